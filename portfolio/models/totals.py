"""
How many projects are public, and how many pictures they hold, counted as they change.

The sitemap's index lists a file for each thousand of either; counting them on every request
took longer than the rest of the index at 100,000 projects (docs/scale.md). So the database
counts: triggers on the projects' table (install_counting_triggers, from the migrations) add
a row to PublicChange for every write that changes either number, whatever way it comes
(save, update(), bulk_create, a cascade, an INSERT, UPDATE, DELETE or, on PostgreSQL,
TRUNCATE of raw SQL; not SQLite's INSERT OR REPLACE, whose deletions fire no trigger). A
writer only inserts: it takes no lock another writer waits for, so the count adds no
deadlock and no queue to uploads. Reading adds the pending changes to PublicTotals, and
folds them into it once they are many. `manage.py settle_media` counts afresh; loading the
two tables' rows (loaddata) does too, once the load commits (signals.py).

On SQLite, a migration that remakes the projects' table (most schema changes there) drops
its triggers, and one that remakes portfolio_publicchange fails on them: remove them first
(remove_counting_triggers) and install them again after (tests/models/test_totals.py
checks they are there).
"""

import logging
from contextlib import contextmanager
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, models, transaction
from django.db.models import Count, Sum

from portfolio.models.projects import Project, Visibility

logger = logging.getLogger(__name__)

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
    def current(cls, using: str = DEFAULT_DB_ALIAS) -> Counted:
        """The counts now. A missing row (a test's flush) is counted afresh."""
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
            logger.warning("The public totals' row was missing: counted afresh.")
            return cls.recount(using)
        projects, pictures, pending = row
        if pending >= FOLD_FROM:
            cls.fold(using)
        return Counted(int(projects), int(pictures))

    @classmethod
    def fold(cls, using: str = DEFAULT_DB_ALIAS) -> bool:
        """
        Add the pending changes to the totals and empty their table, unless a write (or, on
        PostgreSQL, a reading) is at work on it: a fold gives way and never waits, and the
        changes wait for the next. Whether it folded.
        """
        connection = connections[using]
        try:
            with (
                _not_waiting(connection),
                transaction.atomic(using=using),
                connection.cursor() as cursor,
            ):
                _FOLDS[connection.vendor](cursor)
        except OperationalError as error:
            if _gave_way(connection, error):
                return False
            raise
        return True

    @classmethod
    def recount(cls, using: str = DEFAULT_DB_ALIAS) -> Counted:
        """Count afresh from the projects (settle_media, a test's flush); the writes wait."""
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


def _fold_on_postgresql(cursor) -> None:
    """
    The changes added up, then the table emptied by TRUNCATE, under its lock: taken without
    waiting (NOWAIT), so that no write is under way and every change is committed and seen;
    held for the fold's milliseconds, while writers and readings of the table wait.
    TRUNCATE leaves no deleted rows behind: a DELETE's stayed until the table was vacuumed,
    and every reading went through them (180,000 after the bench's bulk write: 16 ms a
    reading, where an empty table takes 0.15).
    """
    changes = PublicChange._meta.db_table
    cursor.execute(f"LOCK TABLE {changes} IN ACCESS EXCLUSIVE MODE NOWAIT")
    cursor.execute(
        f"SELECT COALESCE(SUM(projects), 0), COALESCE(SUM(pictures), 0), COUNT(*) FROM {changes}"
    )
    projects, pictures, count = cursor.fetchone()
    if count:
        cursor.execute(
            f"UPDATE {PublicTotals._meta.db_table} SET projects = projects + %s, "
            "pictures = pictures + %s WHERE id = %s",
            [projects, pictures, TOTALS_ID],
        )
        cursor.execute(f"TRUNCATE {changes}")


def _fold_on_sqlite(cursor) -> None:
    # The transaction took the database's one write lock as it began (transaction_mode
    # IMMEDIATE, site_config/environment.py): nothing comes between the sums and the deletion.
    changes = PublicChange._meta.db_table
    cursor.execute(f"SELECT MAX(id), SUM(projects), SUM(pictures) FROM {changes}")
    last, projects, pictures = cursor.fetchone()
    if last is not None:
        cursor.execute(f"DELETE FROM {changes} WHERE id <= %s", [last])
        cursor.execute(
            f"UPDATE {PublicTotals._meta.db_table} SET projects = projects + %s, "
            "pictures = pictures + %s WHERE id = %s",
            [projects, pictures, TOTALS_ID],
        )


_FOLDS = {"postgresql": _fold_on_postgresql, "sqlite": _fold_on_sqlite}


def _gave_way(connection, error: OperationalError) -> bool:
    """Whether a fold stopped for another's lock: SQLite's database, PostgreSQL's table."""
    if connection.vendor == "sqlite":
        return "locked" in str(error)
    return getattr(error.__cause__, "sqlstate", None) == "55P03"  # lock_not_available


@contextmanager
def _not_waiting(connection):
    """On SQLite, no waiting for the write lock another connection holds (busy_timeout)."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    connection.ensure_connection()
    database = connection.connection
    waits = database.execute("PRAGMA busy_timeout").fetchone()[0]
    database.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        database.execute(f"PRAGMA busy_timeout = {int(waits)}")


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
    # TRUNCATE fires no row trigger: no project is left, so nothing is counted.
    """
    CREATE OR REPLACE FUNCTION portfolio_count_public_truncated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM portfolio_publicchange;
        UPDATE portfolio_publictotals SET projects = 0, pictures = 0;
        RETURN NULL;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS portfolio_count_public_truncate ON portfolio_project",
    """
    CREATE TRIGGER portfolio_count_public_truncate AFTER TRUNCATE ON portfolio_project
    FOR EACH STATEMENT EXECUTE FUNCTION portfolio_count_public_truncated()
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
    "postgresql": ["portfolio_count_public", "portfolio_count_public_truncate"],
    "sqlite": [
        "portfolio_count_public_insert",
        "portfolio_count_public_delete",
        "portfolio_count_public_update",
    ],
}


def install_counting_triggers(schema_editor) -> None:
    """The triggers for the migrating database (the site runs on these two alone)."""
    for statement in COUNTING_TRIGGERS[schema_editor.connection.vendor]:
        schema_editor.execute(statement)


def remove_counting_triggers(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for name in COUNTING_TRIGGER_NAMES[vendor]:
        on_table = " ON portfolio_project" if vendor == "postgresql" else ""
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}{on_table}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS portfolio_count_public_change()")
        schema_editor.execute("DROP FUNCTION IF EXISTS portfolio_count_public_truncated()")
