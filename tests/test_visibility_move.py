"""
A project's visibility moves its renditions between the public and the private storage
(tasks.move_project_files): whole, and, interrupted anywhere, with nothing lost and nothing
left in the wrong storage once it is run again. On disk and, under `make test`, in buckets.
"""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

import portfolio.tasks
from portfolio.access import PUBLIC, PictureMedia, private_storage, public_storage
from portfolio.cache import ContentVersion
from portfolio.models import Picture, Project, Selection, ShareLink
from portfolio.tasks import make_renditions, move_project_files, settle_project_batch
from tests.fetching import fetch, media_urls, read, stored_name
from tests.helpers import (
    make_picture,
    make_project,
    make_staff,
    make_stored_pictures,
    private_files,
    public_files,
    signed_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_step_shows_every_picture(settings):
    # These tests read every picture's files off the owner's page; pages in steps are
    # tests/views/test_steps.py's concern.
    settings.PORTFOLIO_STEP_SIZE = 1000


@pytest.fixture
def project(owner):
    project = make_project(owner, visibility="public")
    for number in range(3):
        make_picture(project, original_filename=f"Dune {number}.jpg", size=(600, 400))
    return project


def renditions(project) -> set[str]:
    return {name for picture in project.pictures.all() for name in picture.rendition_names}


def originals(project) -> set[str]:
    return {picture.photo.name for picture in project.pictures.all()}


def assert_settled(project, public: bool) -> None:
    """Every rendition in the storage the visibility calls for, and in that one only."""
    names = renditions(project)
    assert len(names) == 12  # Three pictures: two widths, a card and a web size each.
    here, there = public_files(), private_files()
    if not public:
        here, there = there, here
    assert names <= here
    assert not names & there
    assert originals(project) <= private_files() - public_files()  # Originals never move.
    assert set(project.pictures.values_list("renditions_public", flat=True)) == {public}


def assert_nothing_lost(project) -> None:
    """Each rendition is where its row says, and the owner's page shows every picture."""
    for picture in Picture.objects.filter(project=project):
        storage = public_storage() if picture.renditions_public else private_storage()
        for name in picture.rendition_names:
            assert storage.exists(name), (name, picture.renditions_public)
    assert_owner_sees_every_picture(project)


def assert_owner_sees_every_picture(project) -> set[str]:
    owner = signed_in(project.owner)
    urls = media_urls(owner.get(project.get_absolute_url()).content.decode())
    shown = {record["name"] for picture in project.pictures.all() for record in picture.renditions}
    assert {stored_name(url) for url in urls} == shown  # The page shows no card.
    for url in urls:
        status, content, _ = fetch(owner, url)
        assert status == 200, url
        picture = next(p for p in project.pictures.all() if stored_name(url) in p.rendition_names)
        assert content == read(stored_name(url), picture.renditions_public)
    return urls


def make(project, visibility: str, capture) -> None:
    """Change the visibility as the studio does; the move runs once that commits."""
    project.visibility = visibility
    with capture(execute=True):
        project.save()


def test_made_private_its_renditions_move_to_the_private_storage_and_back(
    project, django_capture_on_commit_callbacks
):
    assert_settled(project, public=True)

    make(project, "private", django_capture_on_commit_callbacks)

    assert_settled(project, public=False)
    urls = assert_owner_sees_every_picture(project)
    assert all(url.startswith("/files/") or "X-Amz-Signature" in url for url in urls)
    assert Client().get(project.get_absolute_url()).status_code == 404

    make(project, "public", django_capture_on_commit_callbacks)

    assert_settled(project, public=True)
    urls = media_urls(Client().get(project.get_absolute_url()).content.decode())
    shown = {record["name"] for picture in project.pictures.all() for record in picture.renditions}
    assert {stored_name(url) for url in urls} == shown  # The page shows no card.
    assert all(fetch(Client(), url)[0] == 200 for url in urls)


def test_unlisted_to_private_moves_nothing(project, django_capture_on_commit_callbacks):
    make(project, "unlisted", django_capture_on_commit_callbacks)
    before = private_files()

    make(project, "private", django_capture_on_commit_callbacks)

    assert private_files() == before
    assert_settled(project, public=False)


def fail_after(monkeypatch, count: int, exception: BaseException) -> list[str]:
    """Make the move's copies fail after `count` files, as a lost storage or a kill would."""
    copy, copied = portfolio.tasks.copy_file, []

    def copy_file(name, source, target) -> None:
        if len(copied) >= count:
            raise exception
        copy(name, source, target)
        copied.append(name)

    monkeypatch.setattr(portfolio.tasks, "copy_file", copy_file)
    return copied


@pytest.mark.parametrize("public_to_private", [True, False])
@pytest.mark.parametrize("copied", [1, 3, 5])
def test_a_move_cut_short_loses_nothing_and_a_rerun_finishes_it(
    project, monkeypatch, public_to_private, copied, django_capture_on_commit_callbacks
):
    if not public_to_private:
        make(project, "private", django_capture_on_commit_callbacks)
    target = not public_to_private
    done = fail_after(monkeypatch, copied, OSError("the storage went away"))
    project.visibility = "private" if public_to_private else "public"
    project.save()  # Its move is not run: called below, as a worker would.

    with pytest.raises(OSError):
        move_project_files.call(project.pk)

    assert len(done) == copied
    assert_nothing_lost(project)
    monkeypatch.undo()
    move_project_files.call(project.pk)
    assert_settled(project, public=target)
    assert_owner_sees_every_picture(project)


def test_a_move_cut_short_after_recording_deletes_the_leftovers_on_rerun(project, monkeypatch):
    def storage_fails(storage, names) -> None:
        raise OSError("the storage went away")

    monkeypatch.setattr(portfolio.tasks, "delete_renditions", storage_fails)
    project.visibility = "private"
    project.save()

    with pytest.raises(OSError):
        move_project_files.call(project.pk)

    # The first picture's row says private, its files are in both storages.
    first = project.pictures.in_display_order().first()
    assert not first.renditions_public
    assert set(first.rendition_names) <= public_files() & private_files()
    assert_nothing_lost(project)
    monkeypatch.undo()
    move_project_files.call(project.pk)
    assert_settled(project, public=False)


@pytest.mark.local_media
def test_a_truncated_copy_on_disk_is_replaced_on_rerun(project):
    # What a copy cut short on disk leaves: the first part of the file under its own name.
    name = sorted(renditions(project))[0]
    whole = read(name, public=True)
    private_storage().save(name, ContentFile(whole[: len(whole) // 3]))
    project.visibility = "private"
    project.save()

    move_project_files.call(project.pk)

    assert read(name, public=False) == whole
    assert_settled(project, public=False)
    assert_owner_sees_every_picture(project)


@pytest.mark.django_db(transaction=True)
def test_a_worker_stopped_mid_move_loses_nothing_and_the_move_can_be_run_again(
    project, monkeypatch, settings
):
    """
    The database queue and its worker, as production runs them; the worker stopped (SystemExit,
    as gunicorn's and the process manager's stops are) after two copies.
    """
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    project.visibility = "private"
    project.save()  # Commits (transaction=True): the move is queued.
    assert DBTaskResult.objects.filter(task_path__endswith="move_project_files").count() == 1
    fail_after(monkeypatch, 2, SystemExit(1))

    with pytest.raises(SystemExit):
        call_command("db_worker", "--batch", "--no-startup-delay", "--verbosity", "0")

    assert_nothing_lost(project)
    assert project.pictures.filter(renditions_public=True).exists()  # Not finished.
    monkeypatch.undo()
    move_project_files.call(project.pk)
    assert_settled(project, public=False)


def move_in_admin(picture, project, capture) -> None:
    """Give the picture another project through the admin's change form."""
    staff = signed_in(make_staff())
    with capture(execute=True):
        response = staff.post(
            f"/admin/portfolio/picture/{picture.pk}/change/",
            {"project": project.pk, "caption": picture.caption, "position": picture.position},
        )
    assert response.status_code == 302


def test_a_picture_moved_to_another_project_in_the_admin_moves_its_renditions(
    project, owner, django_capture_on_commit_callbacks
):
    picture = project.pictures.first()
    names = set(picture.rendition_names)
    public_urls = {url for _, url in PictureMedia(picture, PUBLIC).rendition_urls}
    assert names <= public_files() and public_urls
    project.cover = picture
    project.save()
    private = make_project(owner, visibility="private")

    move_in_admin(picture, private, django_capture_on_commit_callbacks)

    picture.refresh_from_db()
    assert picture.project == private and not picture.renditions_public
    assert names <= private_files()
    assert not names & public_files()
    # The addresses handed out while it was public no longer serve it.
    assert all(fetch(Client(), url)[0] == 404 for url in public_urls)
    assert_nothing_lost(private)
    project.refresh_from_db()
    assert project.cover is None  # No longer one of its pictures.

    move_in_admin(picture, project, django_capture_on_commit_callbacks)

    picture.refresh_from_db()
    assert picture.project == project and picture.renditions_public
    assert names <= public_files()
    assert not names & private_files()
    assert_settled(project, public=True)


def test_a_picture_moved_to_another_project_goes_to_its_end_and_leaves_the_old_links(
    project, owner, django_capture_on_commit_callbacks
):
    picture = project.pictures.first()
    link = ShareLink.objects.create(project=project, allows_favourites=True)
    selection = Selection.objects.create(link=link, name="Anna")
    selection.toggle(picture)
    other = make_project(owner, visibility="public")
    kept = [make_picture(other), make_picture(other)]

    move_in_admin(picture, other, django_capture_on_commit_callbacks)

    assert list(other.pictures.in_display_order()) == [*kept, picture]
    # The old project's link no longer reaches it: it is no favourite there any more.
    assert not selection.favourites.exists()


# A project of many pictures: moved in batches, in the background, told to the cache once -----


PICTURES, BATCH = 40, 7  # Six batches, the last one short.


@pytest.fixture
def shoot(owner, settings):
    settings.PORTFOLIO_MOVE_BATCH_PICTURES = BATCH
    shoot = make_project(owner, visibility="public")
    make_stored_pictures(shoot, PICTURES)
    return shoot


def where_renditions_are(project) -> dict[str, set[bool]]:
    """For each rendition of the project: in which storages it is (True: the public one)."""
    public, private = public_files(), private_files()
    return {
        name: {storage for storage, files in ((True, public), (False, private)) if name in files}
        for picture in project.pictures.all()
        for name in picture.rendition_names
    }


def assert_all_in(project, public: bool) -> None:
    assert set(map(frozenset, where_renditions_are(project).values())) == {frozenset({public})}
    assert set(project.pictures.values_list("renditions_public", flat=True)) == {public}


def version_changes(queries) -> int:
    return sum(
        query["sql"].startswith(f'UPDATE "{ContentVersion._meta.db_table}"') for query in queries
    )


@pytest.mark.django_db(transaction=True)
def test_making_a_big_project_private_answers_before_any_file_moves(shoot, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    visibility = reverse("portfolio:project-visibility", kwargs={"slug": shoot.slug})

    response = signed_in(shoot.owner).post(visibility, {"visibility": "private"})

    assert response.status_code == 302
    assert_all_in(shoot, public=True)  # Not one file copied, not one row changed.
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "portfolio.tasks.move_project_files"
    assert queued.status == "READY"
    call_command("db_worker", "--batch", "--no-startup-delay", "--verbosity", "0")
    assert_all_in(shoot, public=False)
    assert_nothing_lost(shoot)


@pytest.mark.parametrize("public", [False, True])
def test_a_move_of_many_pictures_tells_the_page_cache_once(shoot, public):
    if public:
        shoot.visibility = "private"
        shoot.save()
        move_project_files.call(shoot.pk)
    shoot.visibility = "public" if public else "private"
    shoot.save()

    with CaptureQueriesContext(connection) as queries:
        moved = move_project_files.call(shoot.pk)

    assert moved == PICTURES
    assert version_changes(queries) == 1
    assert_all_in(shoot, public=public)
    assert_nothing_lost(shoot)


def test_a_project_is_dated_when_its_images_have_moved_and_when_one_arrives(project):
    project.visibility = "private"
    project.save()
    move_project_files.call(project.pk)
    project.visibility = "public"
    project.save()
    long_ago = timezone.now() - timedelta(days=30)
    Project.objects.filter(pk=project.pk).update(updated=long_ago)

    move_project_files.call(project.pk)  # Its images listed from now on (the sitemap).
    project.refresh_from_db()
    assert project.updated > long_ago

    Project.objects.filter(pk=project.pk).update(updated=long_ago)
    move_project_files.call(project.pk)  # Nothing moved: nothing changed.
    project.refresh_from_db()
    assert project.updated == long_ago
    picture = make_picture(project, renditions=False)
    Project.objects.filter(pk=project.pk).update(updated=long_ago)
    make_renditions.call(picture.pk)  # Its image arrives in the public storage.
    project.refresh_from_db()
    assert project.updated > long_ago


def test_a_move_stopped_between_batches_shows_every_picture_and_resumes(shoot):
    shoot.visibility = "private"
    shoot.save()
    after, moved = settle_project_batch(shoot.pk)
    after, moved_too = settle_project_batch(shoot.pk, after)  # Then the worker stops.

    assert moved == moved_too == BATCH
    places = where_renditions_are(shoot)
    assert sum(places[name] == {False} for name in places) == 2 * BATCH * 3
    assert_nothing_lost(shoot)  # Each picture from where its row says.

    assert move_project_files.call(shoot.pk, after) == PICTURES - 2 * BATCH
    assert_all_in(shoot, public=False)


def test_a_visitors_kept_page_is_made_again_once_the_move_is_done(shoot):
    shoot.visibility = "private"
    shoot.save()
    move_project_files.call(shoot.pk)
    shoot.visibility = "public"
    shoot.save()
    settle_project_batch(shoot.pk)
    moved = shoot.pictures.order_by("pk")[:BATCH]

    # Halfway, a visitor sees the pictures that moved, and frames for the others: none broken.
    halfway = media_urls(Client().get(shoot.get_absolute_url()).content.decode())
    shown = {record["name"] for picture in moved for record in picture.renditions}
    assert {stored_name(url) for url in halfway} == shown
    assert all(fetch(Client(), url)[0] == 200 for url in halfway)

    move_project_files.call(shoot.pk)

    done = media_urls(Client().get(shoot.get_absolute_url()).content.decode())
    assert len(done) == PICTURES * 2  # Not the page kept halfway.
    assert all(fetch(Client(), url)[0] == 200 for url in done)


def test_two_moves_in_a_row_settle_on_the_last_visibility(shoot):
    shoot.visibility = "private"
    shoot.save()
    after, _ = settle_project_batch(shoot.pk)  # The first move's worker has begun.
    shoot.visibility = "public"
    shoot.save()

    move_project_files.call(shoot.pk, after)  # The first move goes on...
    move_project_files.call(shoot.pk)  # ...and the second runs.

    assert_all_in(shoot, public=True)
    assert_nothing_lost(shoot)
