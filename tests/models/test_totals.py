"""The public projects and their pictures, counted by the database as they change: every
way a project is written keeps the counts, however it comes; reading folds them."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Sum

from portfolio.models import Counted, Project, PublicChange, PublicTotals
from portfolio.models.totals import COUNTING_TRIGGER_NAMES, FOLD_FROM
from tests.helpers import make_picture, make_project, make_stored_pictures, make_user
from tests.production.services import needs_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def counted_afresh():
    # A test's flush (transactional tests) empties the row the migration made.
    PublicTotals.recount()


def counted_from_the_projects() -> Counted:
    public = Project.objects.public()
    counted = public.aggregate(projects=Count("pk"), pictures=Sum("picture_count"))
    pictures = Project.objects.public().aggregate(pictures=Count("pictures"))["pictures"]
    assert counted["pictures"] in (pictures, None)  # picture_count is right, too.
    return Counted(counted["projects"], counted["pictures"] or 0)


def test_every_way_a_project_is_written_keeps_the_counts():
    owner = make_user()
    shown = make_project(owner)
    assert PublicTotals.current() == counted_from_the_projects() == (1, 0)

    make_project(owner, visibility="private")
    make_picture(shown, renditions=False)
    make_stored_pictures(shown, 3)
    Project.objects.bulk_create(
        Project(owner=owner, title=f"Bulk {n}", slug=f"bulk-{n}", visibility=visibility)
        for n, visibility in enumerate(["public", "private", "unlisted", "public"])
    )
    assert PublicTotals.current() == counted_from_the_projects() == (3, 4)

    shown.visibility = "unlisted"  # Its four pictures leave the count with it.
    shown.save()
    assert PublicTotals.current() == counted_from_the_projects() == (2, 0)

    Project.objects.filter(title__startswith="Bulk").update(visibility="public")
    shown.refresh_from_db()
    shown.visibility = "public"
    shown.save()
    assert PublicTotals.current() == counted_from_the_projects() == (5, 4)

    shown.pictures.first().delete()
    Project.objects.filter(title="Bulk 0").delete()
    assert PublicTotals.current() == counted_from_the_projects() == (4, 3)

    with connection.cursor() as cursor:  # Around the ORM: counted all the same.
        cursor.execute(f"UPDATE {Project._meta.db_table} SET visibility = 'private'")
    assert PublicTotals.current() == counted_from_the_projects() == (0, 0)


def test_deleting_an_owner_takes_their_projects_out_of_the_counts():
    owner, other = make_user(), make_user()
    make_stored_pictures(make_project(owner), 2)
    make_stored_pictures(make_project(other), 5)

    get_user_model().objects.filter(pk=owner.pk).delete()

    assert PublicTotals.current() == counted_from_the_projects() == (1, 5)


def test_a_write_rolled_back_changes_no_count():
    make_project()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_stored_pictures(make_project(), 3)
        raise RuntimeError

    assert PublicTotals.current() == counted_from_the_projects() == (1, 0)


def test_changes_are_added_up_on_reading_and_folded_once_they_are_many():
    owner = make_user()
    for _ in range(FOLD_FROM - 1):
        make_project(owner)
    assert PublicChange.objects.count() == FOLD_FROM - 1
    assert PublicTotals.current() == (FOLD_FROM - 1, 0)
    assert PublicTotals.objects.get().projects == 0  # Not folded yet: added up.

    make_project(owner)
    assert PublicTotals.current() == (FOLD_FROM, 0)

    assert PublicChange.objects.count() == 0
    assert PublicTotals.objects.values_list("projects", "pictures").get() == (FOLD_FROM, 0)
    assert PublicTotals.current() == counted_from_the_projects()


def test_a_write_that_changes_no_count_leaves_no_change():
    project = make_project(visibility="private")
    project.title = "Renamed"
    project.save()
    shown = make_project()
    shown.title = "Renamed too"
    shown.save()  # Public before and after, as many pictures: nothing to count.

    assert PublicChange.objects.count() == 1  # The public project's arrival.


def test_a_missing_totals_row_is_counted_afresh_and_the_sitemap_is_right(client, caplog):
    for _ in range(3):
        make_stored_pictures(make_project(), 1)
    PublicTotals.objects.all().delete()  # As a test's flush leaves it.
    make_project(visibility="private")  # A change that finds no row to be folded into.

    assert PublicTotals.current() == counted_from_the_projects() == (3, 3)
    assert "counted afresh" in caplog.text
    assert PublicTotals.objects.values_list("projects", "pictures").get() == (3, 3)
    assert PublicChange.objects.count() == 0
    pictures = client.get("/sitemap-pictures.xml").content.decode()
    assert pictures.count("<url>") == 3


def test_loading_a_dump_counts_afresh_once_the_load_commits(
    tmp_path, django_capture_on_commit_callbacks
):
    owner = make_user()
    for _ in range(2):
        make_stored_pictures(make_project(owner), 2)
    dump = tmp_path / "dump.json"
    call_command(
        "dumpdata",
        "portfolio.project",
        "portfolio.picture",
        "portfolio.publictotals",
        "portfolio.publicchange",
        output=str(dump),
        verbosity=0,
    )
    Project.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("loaddata", str(dump), verbosity=0)

    # Its projects' triggers counted them, and the dump's own counts came back: twice over
    # but for the count afresh.
    assert PublicTotals.current() == counted_from_the_projects() == (2, 4)


def test_the_counting_triggers_are_there_after_every_migration():
    """A migration that remakes portfolio_project on SQLite drops them: it must add them back."""
    executor = MigrationExecutor(connection)
    assert not executor.migration_plan(executor.loader.graph.leaf_nodes())  # All applied.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass",
                [Project._meta.db_table],
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [Project._meta.db_table],
            )
        installed = {row[0] for row in cursor.fetchall()}

    assert set(COUNTING_TRIGGER_NAMES[connection.vendor]) <= installed


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_fold_gives_way_to_a_write_under_way_and_counts_it_once_committed():
    """
    A fold takes the changes' table without waiting: while a write is under way it gives
    way (the writer never waits for it), and the write's change is folded by a later fold,
    once, when committed.
    """
    owner = make_user()
    for _ in range(FOLD_FROM):
        make_project(owner)
    written, go_on = threading.Event(), threading.Event()

    def writer():  # A project made public, its transaction not yet committed.
        try:
            with transaction.atomic():
                make_project(owner)
                written.set()
                assert go_on.wait(timeout=30)
        finally:
            connection.close()

    writing = threading.Thread(target=writer)
    writing.start()
    assert written.wait(timeout=30)
    try:
        gave_way = not PublicTotals.fold()
        during = PublicTotals.current()
        pending = PublicChange.objects.count()
    finally:
        go_on.set()
        writing.join()

    assert (gave_way, during, pending) == (True, (FOLD_FROM, 0), FOLD_FROM)
    assert PublicTotals.fold()
    assert PublicTotals.objects.values_list("projects", flat=True).get() == FOLD_FROM + 1
    assert PublicChange.objects.count() == 0
    assert PublicTotals.current() == counted_from_the_projects() == (FOLD_FROM + 1, 0)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_fold_leaves_no_deleted_rows_for_the_next_reading_to_go_through():
    owner = make_user()
    Project.objects.bulk_create(
        Project(owner=owner, title=f"Shoot {n}", slug=f"shoot-{n}", visibility="public")
        for n in range(2 * FOLD_FROM)
    )

    assert PublicTotals.fold()

    assert PublicTotals.objects.values_list("projects", "pictures").get() == (2 * FOLD_FROM, 0)
    with connection.cursor() as cursor:  # Emptied by TRUNCATE: no page left to read.
        cursor.execute("SELECT pg_relation_size(%s)", [PublicChange._meta.db_table])
        assert cursor.fetchone()[0] == 0


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_truncating_the_projects_leaves_nothing_counted():
    make_stored_pictures(make_project(), 2)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Project._meta.db_table} CASCADE")

    assert PublicTotals.current() == (0, 0)
