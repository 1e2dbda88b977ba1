"""
How many projects are public, and how many pictures they hold, counted as they change.

The sitemap's index lists a file for each thousand of either; counting them on every request
took longer than the rest of the index at 100,000 projects (docs/scale.md). So the database
counts: triggers on the projects' table (install_counting_triggers, from the migrations) add
a row to PublicChange for every write that changes either number, whatever way it comes
(save, update(), bulk_create, a cascade, raw SQL). A writer only inserts: it takes no lock
another writer waits for, so the count adds no deadlock and no queue to uploads. Reading
adds the pending changes to PublicTotals, and folds them into it once they are many.

A migration that remakes the projects' table on SQLite (most schema changes there) drops its
triggers: install them again in the same migration (tests/models/test_totals.py checks).
"""

from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Count, Sum

from portfolio.models.projects import Project, Visibility

TOTALS_ID = 1
# Changes a read adds up before it folds them into the totals (a few hundred microseconds).
FOLD_FROM = 100


class Counted(NamedTuple):
    projects: int
    pictures: int


class PublicTotals(models.Model):
    """The one row of the counts, as of the last fold."""

    projects = models.BigIntegerField()
    pictures = models.BigIntegerField()

    class Meta:
        verbose_name_plural = "public totals"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=TOTALS_ID), name="one_public_totals")
        ]

    def __str__(self) -> str:
        return f"{self.projects} public projects, {self.pictures} pictures"

    @classmethod
    def current(cls, using: str = DEFAULT_DB_ALIAS) -> Counted | None:
        """The counts now; None when the row is missing (emptied by a test's flush)."""
        totals, changes = cls._meta.db_table, PublicChange._meta.db_table
        # Plain SQL: the totals and the changes not folded yet, read once, in one query.
        with connections[using].cursor() as cursor:
            cursor.execute(
                f"SELECT totals.projects + COALESCE(pending.projects, 0), "
                f"totals.pictures + COALESCE(pending.pictures, 0), pending.changes "
                f"FROM {totals} AS totals, (SELECT SUM(projects) AS projects, "
                f"SUM(pictures) AS pictures, COUNT(*) AS changes FROM {changes}) AS pending "
                "WHERE totals.id = %s",
                [TOTALS_ID],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        projects, pictures, pending = row
        if pending >= FOLD_FROM:
            cls.fold(using)
        return Counted(int(projects), int(pictures))

    @classmethod
    def fold(cls, using: str = DEFAULT_DB_ALIAS) -> None:
        """
        Add the pending changes to the totals and delete them. Each change is deleted, and
        so added, by one fold only: a fold waits for another's rows, then finds them gone.

        On PostgreSQL the deleted rows stay in the table until it is vacuumed, and every
        reading goes through them: after a bulk write's 180,000 changes, 16 ms a reading
        where an empty table takes 0.1, until autovacuum came by. So a fold vacuums the table
        (outside a transaction only: VACUUM cannot run in one); it locks out no writer.
        """
        totals, changes = cls._meta.db_table, PublicChange._meta.db_table
        connection = connections[using]
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {changes} RETURNING projects, pictures")
            folded = cursor.fetchall()
            if folded:
                cursor.execute(
                    f"UPDATE {totals} SET projects = projects + %s, pictures = pictures + %s "
                    "WHERE id = %s",
                    [sum(row[0] for row in folded), sum(row[1] for row in folded), TOTALS_ID],
                )
        if folded and connection.vendor == "postgresql" and not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM {changes}")

    @classmethod
    def recount(cls, using: str = DEFAULT_DB_ALIAS) -> Counted | None:
        """
        Count afresh from the projects (settle_media, a test's flush); the writes wait. None
        on a database without the triggers: there is nothing to keep.
        """
        if connections[using].vendor not in COUNTING_TRIGGERS:
            return None
        with transaction.atomic(using=using):
            if connections[using].vendor == "postgresql":
                with connections[using].cursor() as cursor:
                    cursor.execute(f"LOCK TABLE {Project._meta.db_table} IN SHARE MODE")
            PublicChange.objects.using(using).all().delete()
            counted = Project.objects.using(using).filter(visibility=Visibility.PUBLIC)
            counted = counted.aggregate(projects=Count("pk"), pictures=Sum("picture_count"))
            totals = Counted(counted["projects"], counted["pictures"] or 0)
            cls.objects.using(using).update_or_create(pk=TOTALS_ID, defaults=totals._asdict())
        return totals


class PublicChange(models.Model):
    """What one write of a project changed in the counts (a trigger's row), until folded."""

    projects = models.IntegerField()
    pictures = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.projects:+} public projects, {self.pictures:+} pictures"


# The triggers, by database. Only a write that changes a count adds a row. -----------------

_POSTGRESQL_TRIGGERS = [
    """
    CREATE OR REPLACE FUNCTION portfolio_count_public_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        changed_projects integer := 0;
        changed_pictures bigint := 0;
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.visibility = 'public' THEN
            changed_projects := changed_projects - 1;
            changed_pictures := changed_pictures - OLD.picture_count;
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.visibility = 'public' THEN
            changed_projects := changed_projects + 1;
            changed_pictures := changed_pictures + NEW.picture_count;
        END IF;
        IF changed_projects <> 0 OR changed_pictures <> 0 THEN
            INSERT INTO portfolio_publicchange (projects, pictures)
            VALUES (changed_projects, changed_pictures);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS portfolio_count_public ON portfolio_project",
    """
    CREATE TRIGGER portfolio_count_public
    AFTER INSERT OR DELETE OR UPDATE OF visibility, picture_count ON portfolio_project
    FOR EACH ROW EXECUTE FUNCTION portfolio_count_public_change()
    """,
]

_SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS portfolio_count_public_insert",
    """
    CREATE TRIGGER portfolio_count_public_insert AFTER INSERT ON portfolio_project
    WHEN NEW.visibility = 'public'
    BEGIN
        INSERT INTO portfolio_publicchange (projects, pictures) VALUES (1, NEW.picture_count);
    END
    """,
    "DROP TRIGGER IF EXISTS portfolio_count_public_delete",
    """
    CREATE TRIGGER portfolio_count_public_delete AFTER DELETE ON portfolio_project
    WHEN OLD.visibility = 'public'
    BEGIN
        INSERT INTO portfolio_publicchange (projects, pictures) VALUES (-1, -OLD.picture_count);
    END
    """,
    "DROP TRIGGER IF EXISTS portfolio_count_public_update",
    """
    CREATE TRIGGER portfolio_count_public_update
    AFTER UPDATE OF visibility, picture_count ON portfolio_project
    WHEN OLD.visibility = 'public' OR NEW.visibility = 'public'
    BEGIN
        INSERT INTO portfolio_publicchange (projects, pictures)
        SELECT changed_projects, changed_pictures FROM (
            SELECT (NEW.visibility = 'public') - (OLD.visibility = 'public') AS changed_projects,
                IIF(NEW.visibility = 'public', NEW.picture_count, 0)
                - IIF(OLD.visibility = 'public', OLD.picture_count, 0) AS changed_pictures
        ) WHERE changed_projects <> 0 OR changed_pictures <> 0;
    END
    """,
]

COUNTING_TRIGGERS = {"postgresql": _POSTGRESQL_TRIGGERS, "sqlite": _SQLITE_TRIGGERS}
COUNTING_TRIGGER_NAMES = {
    "postgresql": ["portfolio_count_public"],
    "sqlite": [
        "portfolio_count_public_insert",
        "portfolio_count_public_delete",
        "portfolio_count_public_update",
    ],
}


def install_counting_triggers(schema_editor) -> None:
    """The triggers for the migrating database. Any other database has none (and no totals)."""
    for statement in COUNTING_TRIGGERS.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def remove_counting_triggers(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for name in COUNTING_TRIGGER_NAMES.get(vendor, []):
        on_table = " ON portfolio_project" if vendor == "postgresql" else ""
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}{on_table}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS portfolio_count_public_change()")
