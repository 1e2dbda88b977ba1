"""Every model change comes with its migration."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from portfolio.access import public_storage
from tests.helpers import private_files, public_files, read_stored


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration():
    # --check exits non-zero (SystemExit) when makemigrations would write something.
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_visibility_migration_keeps_who_sees_what_and_moves_private_files():
    """0006: published → public, draft → private; originals and drafts' renditions go private."""
    executor = MigrationExecutor(connection)
    executor.migrate([("portfolio", "0005_picture_photo_passes_the_gate")])
    old = executor.loader.project_state([("portfolio", "0005_picture_photo_passes_the_gate")]).apps
    User = old.get_model(*settings.AUTH_USER_MODEL.split("."))
    Project, Picture = old.get_model("portfolio", "Project"), old.get_model("portfolio", "Picture")
    owner = User.objects.create(username="before")
    files = {}
    for slug, published in (("shown", True), ("draft", False)):
        project = Project.objects.create(
            owner=owner, title=slug, slug=slug, is_published=published
        )
        photo, rendition = (
            f"projects/{project.pk}/{slug}.jpg",
            f"projects/{project.pk}/{slug}_w480.webp",
        )
        for name in (photo, rendition):
            # Before 0006 everything was in the default (public) storage.
            public_storage().save(name, ContentFile(b"bytes of " + name.encode()))
        Picture.objects.create(
            project=project,
            photo=photo,
            width=10,
            height=10,
            renditions=[{"width": 10, "height": 10, "name": rendition}],
        )
        files[slug] = (photo, rendition)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("portfolio"))

    from portfolio.models import Picture as Current
    from portfolio.models import Project as CurrentProject

    assert dict(CurrentProject.objects.values_list("slug", "visibility")) == {
        "shown": "public",
        "draft": "private",
    }
    (shown_photo, shown_rendition), (draft_photo, draft_rendition) = files["shown"], files["draft"]
    assert public_files() == {shown_rendition}
    assert private_files() == {shown_photo, draft_photo, draft_rendition}
    assert dict(Current.objects.values_list("project__slug", "renditions_public")) == {
        "shown": True,
        "draft": False,
    }
    assert read_stored(draft_photo) == b"bytes of " + draft_photo.encode()


@pytest.mark.django_db(transaction=True)
def test_published_migration_dates_public_projects_by_their_creation():
    """0012: projects public before it are dated as published when made; the others not."""
    executor = MigrationExecutor(connection)
    executor.migrate([("portfolio", "0011_proofing")])
    old = executor.loader.project_state([("portfolio", "0011_proofing")]).apps
    User = old.get_model(*settings.AUTH_USER_MODEL.split("."))
    Project = old.get_model("portfolio", "Project")
    owner = User.objects.create(username="before")
    for name in ("public", "unlisted", "private"):
        Project.objects.create(owner=owner, title=name, slug=name, visibility=name)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("portfolio"))

    from portfolio.models import Project as CurrentProject

    public = CurrentProject.objects.get(slug="public")
    assert public.published == public.created
    unpublished = CurrentProject.objects.filter(published=None).values_list("slug", flat=True)
    assert set(unpublished) == {"unlisted", "private"}


@pytest.mark.django_db(transaction=True)
def test_selection_keys_migration_keeps_selections_for_the_browsers_that_hold_them():
    """0014: each selection gets a key nobody knows; a session that held it still chooses in it."""
    executor = MigrationExecutor(connection)
    executor.migrate([("portfolio", "0012_project_published")])
    old = executor.loader.project_state([("portfolio", "0012_project_published")]).apps
    User = old.get_model(*settings.AUTH_USER_MODEL.split("."))
    Project, ShareLink, Selection = (
        old.get_model("portfolio", name) for name in ("Project", "ShareLink", "Selection")
    )
    owner = User.objects.create(username="before")
    project = Project.objects.create(owner=owner, title="W", slug="w", visibility="unlisted")
    link = ShareLink.objects.create(
        project=project, label="for Anna", key="k" * 22, allows_favourites=True
    )
    anna = Selection.objects.create(link=link, name="Anna")
    Selection.objects.create(link=link, name="Ben")
    session = SessionStore()
    session[f"share-link-{link.pk}-selection"] = anna.pk
    session.save()

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("portfolio"))

    from portfolio.models import Selection as CurrentSelection
    from portfolio.models import ShareLink as CurrentShareLink

    hashes = list(CurrentSelection.objects.values_list("key_hash", flat=True))
    assert len(set(hashes)) == 2 and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)
    current_link = CurrentShareLink.objects.get()
    browser = Client()
    browser.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    page = browser.get(current_link.get_absolute_url()).content.decode()
    assert "Choosing as <strong>Anna</strong>" in page
    assert "Choosing as" not in Client().get(current_link.get_absolute_url()).content.decode()


@pytest.mark.django_db(transaction=True)
def test_updated_index_migration_dates_projects_by_their_latest_picture():
    """0019: a project is dated by its latest picture when that is later, from now on kept so."""
    executor = MigrationExecutor(connection)
    executor.migrate([("portfolio", "0018_project_picture_count")])
    old = executor.loader.project_state([("portfolio", "0018_project_picture_count")]).apps
    User = old.get_model(*settings.AUTH_USER_MODEL.split("."))
    Project, Picture = (old.get_model("portfolio", name) for name in ("Project", "Picture"))
    owner = User.objects.create(username="before")
    edited = datetime(2026, 3, 1, tzinfo=UTC)
    projects = {}
    for slug in ("later-pictures", "earlier-pictures", "no-pictures"):
        projects[slug] = Project.objects.create(owner=owner, title=slug, slug=slug)
    Project.objects.update(updated=edited)
    for slug, days in (("later-pictures", 5), ("later-pictures", 9), ("earlier-pictures", -5)):
        picture = Picture.objects.create(project=projects[slug], photo="projects/1/p.jpg")
        Picture.objects.filter(pk=picture.pk).update(created=edited + timedelta(days=days))

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("portfolio"))

    from portfolio.models import Project as CurrentProject

    dates = dict(CurrentProject.objects.values_list("slug", "updated"))
    assert dates == {
        "later-pictures": edited + timedelta(days=9),
        "earlier-pictures": edited,
        "no-pictures": edited,
    }
