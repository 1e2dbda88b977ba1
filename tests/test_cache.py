"""
Visitors who are not signed in get the gallery and project pages rendered once and kept, under
the content version every write through the models changes (portfolio/cache.py). After any
write, a kept page equals a fresh render; nothing made for one requester is ever kept.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models.signals import post_delete
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import reverse

from portfolio.cache import (
    COMPRESSED_FROM_BYTES,
    ContentVersion,
    content_changed_once,
    content_version,
    keep_page,
)
from portfolio.models import Category, Picture, Project, SiteIdentity
from portfolio.tasks import make_renditions
from tests.helpers import (
    HTMX,
    make_category,
    make_picture,
    make_project,
    make_staff,
    make_user,
    picture_url,
    signed_in,
    uploaded_image,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    landscape, seascape = make_category("Landscape"), make_category("Seascape")
    owner = make_user("owner")
    hills = make_project(owner, title="Hills", category=landscape)
    coast = make_project(owner, title="Coast", category=seascape)
    draft = make_project(owner, title="Secret", category=landscape, visibility="private")
    make_project(owner, title="Lake", category=landscape)  # Landscape stays, whatever Hills does.
    morning = make_picture(hills, caption="Morning", renditions=False)  # Made by a write below.
    evening = make_picture(hills, caption="Evening")
    make_picture(hills)  # Without a caption: its alt text names the project.
    harbour = make_picture(coast, caption="Harbour")
    make_picture(draft, caption="Unseen")
    return SimpleNamespace(**locals())


def from_cache(response) -> bool:
    """A kept page comes back as it was stored: no template rendered it for this request."""
    return response.status_code == 200 and not response.templates


def visitor_pages(client: Client, site) -> list:
    """The pages a visitor may have kept: each variant of the gallery, the project pages."""
    return [
        client.get("/"),
        client.get("/", headers=HTMX),
        client.get("/?category=landscape"),
        client.get("/?category=seascape", headers=HTMX),
        client.get(site.hills.get_absolute_url()),
        client.get(site.draft.get_absolute_url()),
        client.get("/about/"),
    ]


def assert_kept_pages_equal_fresh_ones(client: Client, site, before: list) -> None:
    kept = visitor_pages(client, site)
    caches["pages"].clear()
    fresh = visitor_pages(client, site)

    assert [page.status_code for page in kept] == [page.status_code for page in fresh]
    assert [page.content for page in kept] == [page.content for page in fresh]
    # Or the write would not have been tried: something a visitor sees has changed.
    assert [page.content for page in kept] != [page.content for page in before]


# Kept, and reused -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "headers"),
    [("/", {}), ("/", HTMX), ("/?category=landscape", {}), ("/?page=1", {}), ("hills", {})],
    ids=["gallery", "gallery-htmx", "category", "page", "project"],
)
def test_a_visitors_page_is_rendered_once_then_kept(client, site, url, headers):
    url = site.hills.get_absolute_url() if url == "hills" else url

    first, second = client.get(url, headers=headers), client.get(url, headers=headers)

    assert not from_cache(first)
    assert from_cache(second)
    assert second.content == first.content
    assert second["Content-Type"] == "text/html; charset=utf-8"


def test_a_kept_page_gets_the_headers_of_a_rendered_one(client, site):
    rendered, kept = client.get("/"), client.get("/")

    assert from_cache(kept)
    for header in ["Content-Security-Policy", "X-Frame-Options", "Vary", "Referrer-Policy"]:
        assert kept[header] == rendered[header], header
    # No nonce: the page is the same for everyone.
    assert "nonce" not in kept["Content-Security-Policy"]
    assert "HX-Request" in kept["Vary"]
    assert not kept.cookies


def test_a_kept_page_never_answers_for_a_missing_one(client, site):
    for number in range(30):
        make_project(site.owner, title=f"Filler {number}")
    for url in ["/", "/?page=last", "/?category=landscape"]:
        assert client.get(url).status_code == 200

    for url in ["/?page=3", "/?page=two", "/?category=nowhere", site.draft.get_absolute_url()]:
        assert client.get(url).status_code == 404, url
        assert client.get(url).status_code == 404, url


# Never stale, whatever writes ------------------------------------------------------------


def save_a_title(site):
    site.hills.title = "Hills at dawn"
    site.hills.save()


def rename_a_category(site):
    site.landscape.name = "Landscapes"
    site.landscape.save()


def bulk_create_a_project(site):
    Project.objects.bulk_create(
        [Project(owner=site.owner, title="Bulk", slug="bulk", visibility="public")]
    )


def bulk_update_captions(site):
    site.morning.caption, site.evening.caption = "Mist", "Dusk"
    Picture.objects.bulk_update([site.morning, site.evening], ["caption"])


def record_renditions(site):
    make_renditions.enqueue(site.morning.pk)
    site.morning.refresh_from_db()
    assert site.morning.renditions


def admin_renames_a_category(site):
    url = reverse("admin:portfolio_category_change", args=[site.landscape.pk])
    response = signed_in(make_staff()).post(url, {"name": "Hill country", "slug": "landscape"})
    assert response.status_code == 302, response.content


def admin_deletes_pictures(site):
    response = signed_in(make_staff()).post(
        reverse("admin:portfolio_picture_changelist"),
        {"action": "delete_selected", "_selected_action": [site.morning.pk], "post": "yes"},
    )
    assert response.status_code == 302


def studio_edits_a_caption(site):
    url = picture_url("picture-update", site.morning)
    response = signed_in(site.owner).post(url, {"caption": "Fog lifting"}, headers=HTMX)
    assert response.status_code == 200


def studio_edits_a_project(site):
    url = reverse("portfolio:project-update", kwargs={"slug": site.hills.slug})
    data = {"title": "Hills, edited", "slug": "hills", "category": site.seascape.pk}
    assert (
        signed_in(site.owner)
        .post(url, {**data, "visibility": "public", "downloads": "none"})
        .status_code
        == 302
    )


def studio_chooses_a_cover(site):
    response = signed_in(site.owner).post(picture_url("picture-cover", site.evening), headers=HTMX)
    assert response.status_code == 200


def studio_moves_a_picture(site):
    url = picture_url("picture-move", site.evening)
    assert signed_in(site.owner).post(url, {"direction": "up"}).status_code == 302


def studio_deletes_a_picture(site):
    assert (
        signed_in(site.owner).post(picture_url("picture-delete", site.morning)).status_code == 302
    )


def studio_uploads_a_picture(site):
    url = reverse("portfolio:picture-upload", kwargs={"slug": site.hills.slug})
    response = signed_in(site.owner).post(url, {"photos": [uploaded_image("new.jpg")]})
    assert response.status_code == 302


WRITES = {
    # The shell: model methods.
    "save": save_a_title,
    "create": lambda site: make_project(site.owner, title="Brand new", category=site.landscape),
    "category saved": rename_a_category,
    "picture deleted": lambda site: site.morning.delete(),
    "project deleted with its pictures": lambda site: site.hills.delete(),
    "category deleted, its projects let go": lambda site: site.landscape.delete(),
    "owner deleted with their projects": lambda site: site.owner.delete(),
    "pictures moved": lambda site: site.evening.move(-1),
    "picture moved to a place": lambda site: site.evening.move_to(0),
    # Querysets and related managers.
    "update": lambda site: Project.objects.filter(pk=site.hills.pk).update(title="Dusk"),
    "unpublished by update": lambda site: Project.objects.filter(pk=site.hills.pk).update(
        visibility="private"
    ),
    "published by update": lambda site: Project.objects.filter(pk=site.draft.pk).update(
        visibility="public"
    ),
    "related manager update": lambda site: site.hills.pictures.update(caption="Mist"),
    "related manager remove": lambda site: site.landscape.projects.remove(site.hills),
    "queryset delete": lambda site: Picture.objects.filter(pk=site.morning.pk).delete(),
    "projects deleted by a queryset": lambda site: Project.objects.filter(
        pk=site.hills.pk
    ).delete(),
    "bulk_create": bulk_create_a_project,
    "bulk_update": bulk_update_captions,
    # The renditions task records them with update().
    "renditions recorded": record_renditions,
    # The admin.
    "admin change form": admin_renames_a_category,
    "admin delete action": admin_deletes_pictures,
    # The studio's views.
    "studio caption (htmx)": studio_edits_a_caption,
    "studio project form": studio_edits_a_project,
    "studio cover": studio_chooses_a_cover,
    "studio move": studio_moves_a_picture,
    "studio delete": studio_deletes_a_picture,
    "studio upload": studio_uploads_a_picture,
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_kept_page_is_never_stale_after_a_write(
    client, site, write, django_capture_on_commit_callbacks
):
    before = visitor_pages(client, site)
    assert all(from_cache(page) for page in visitor_pages(client, site) if page.status_code == 200)

    with django_capture_on_commit_callbacks(execute=True):
        write(site)

    assert_kept_pages_equal_fresh_ones(client, site, before)


def every_field_changed(site) -> dict:
    """A different value for every column of the models the public pages show."""
    earlier = site.hills.created - timedelta(days=400)
    return {
        Category: {"name": "Seaside", "slug": "seaside"},
        Project: {
            "owner": make_user(),
            "title": "Renamed",
            "slug": "renamed",
            "category": site.seascape,
            "description": "Now described.",
            "visibility": "unlisted",
            "downloads": "originals",
            "show_camera_details": True,
            "cover": site.evening,
            "created": earlier,
            "updated": earlier,
            "published": earlier,
            "picture_count": 7,
        },
        Picture: {
            "project": site.coast,
            "photo": "projects/1/elsewhere.jpg",
            "width": 999,
            "height": 666,
            "caption": "Recaptioned",
            "original_filename": "renamed.jpg",
            "position": 99,
            "created": earlier,
            "renditions": [{"width": 480, "height": 320, "name": "projects/1/other_w480.webp"}],
            "renditions_spec": "webp 480",
            "renditions_public": False,
            "placeholder": "1x1:aabbcc",
            "card": "projects/1/other_card.jpg",
            "web_size": "projects/1/other_web.jpg",
            "focal_x": 0.25,
            "focal_y": 0.75,
            "metadata": {"camera": {"make": "Leica", "model": "Q3"}},
        },
        SiteIdentity: {
            "name": "Studio North",
            "tagline": "Light and stone",
            "about": "Another text.",
            "email": "hello@example.com",
            "instagram_url": "https://instagram.com/example",
            "website_url": "https://example.com/",
            "credit": "All rights reserved.",
        },
    }


FIELDS = [
    (model, field.name)
    for model in (Category, Project, Picture, SiteIdentity)
    for field in model._meta.concrete_fields
    if not field.primary_key
]


def test_every_column_is_tried_below(site):
    changed = every_field_changed(site)

    assert {(model, name) for model in changed for name in changed[model]} == set(FIELDS)


@pytest.mark.parametrize(
    ("model", "field_name"), FIELDS, ids=[f"{model.__name__}.{name}" for model, name in FIELDS]
)
def test_a_change_to_any_column_leaves_no_stale_page(client, site, model, field_name):
    targets = {Category: site.seascape, Project: site.hills, Picture: site.morning}
    target = targets.get(model) or SiteIdentity.current()
    visitor_pages(client, site)
    assert from_cache(client.get("/"))

    value = every_field_changed(site)[model][field_name]
    if (model, field_name) == (Picture, "project"):
        setattr(target, field_name, value)  # A move: only save() makes it (PictureQuerySet).
        target.save()
    else:
        model.objects.filter(pk=target.pk).update(**{field_name: value})

    site.hills.refresh_from_db()
    kept = visitor_pages(client, site)
    caches["pages"].clear()
    fresh = visitor_pages(client, site)
    assert [(page.status_code, page.content) for page in kept] == [
        (page.status_code, page.content) for page in fresh
    ]


def test_other_models_are_still_deleted_without_loading_their_rows():
    # Django deletes rows in one statement only for models nobody listens to.
    assert not post_delete.has_listeners(Session)
    assert all(post_delete.has_listeners(model) for model in (Category, Project, Picture))


def test_a_rolled_back_write_keeps_the_pages(client, site):
    visitor_pages(client, site)

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        Project.objects.update(title="Never seen")
        raise ZeroDivisionError

    assert all(from_cache(page) for page in visitor_pages(client, site) if page.status_code == 200)


def test_writes_elsewhere_keep_the_pages(client, site):
    visitor_pages(client, site)

    make_user()
    site.owner.save()

    assert from_cache(client.get("/"))


def test_writes_changed_once_keep_the_pages_until_the_blocks_end(client, site):
    """content_changed_once(): a move's batches are written, pages change once, at the end."""
    client.get("/")
    version = content_version()

    with content_changed_once():
        Project.objects.filter(pk=site.hills.pk).update(title="Batch one")
        with content_changed_once():  # A batch run inside the move: the move announces.
            Project.objects.filter(pk=site.coast.pk).update(title="Batch two")
        assert content_version() == version
        assert from_cache(client.get("/"))

    assert content_version() != version
    assert "Batch two" in client.get("/").content.decode()


def test_writes_changed_once_are_announced_even_when_the_work_fails(client, site):
    version = content_version()

    with pytest.raises(OSError), content_changed_once():
        Project.objects.filter(pk=site.hills.pk).update(title="Done before the failure")
        raise OSError("the storage went away")

    assert content_version() != version


def test_no_write_no_new_version():
    version = content_version()

    with content_changed_once():
        Project.objects.count()

    assert content_version() == version


def test_raw_sql_is_not_seen_until_the_next_write(client, site):
    """The limit docs/page-cache.md states: only writes through the models change the version."""
    client.get("/")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE portfolio_project SET title = %s WHERE id = %s", ["Raw", site.hills.pk]
        )

    assert "Raw" not in client.get("/").content.decode()
    make_category("Anything")
    assert "Raw" in client.get("/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_without_the_version_row_nothing_is_kept_until_a_write_makes_it_again(client):
    make_project(title="Flushed")
    ContentVersion.objects.all().delete()  # As a test's flush leaves the table.

    assert content_version() is None
    assert not from_cache(client.get("/")) and not from_cache(client.get("/"))

    make_project(title="Again")
    assert content_version() is not None
    client.get("/")
    assert from_cache(client.get("/"))
    assert "Again" in client.get("/").content.decode()


# Nothing made for one requester is kept ----------------------------------------------------


@pytest.mark.parametrize("member", ["owner", "other"])
def test_signed_in_users_never_get_a_kept_page_nor_leave_one(client, site, member):
    member_client = signed_in(site.owner if member == "owner" else make_user())
    url = site.hills.get_absolute_url()

    theirs = [
        member_client.get(url),
        member_client.get(url),
        member_client.get("/"),
        member_client.get("/"),
    ]
    visitors = [client.get(url), client.get("/")]
    after_visitors = [member_client.get(url), member_client.get("/")]

    assert not any(from_cache(page) for page in [*theirs, *visitors, *after_visitors])
    for page in [*theirs, *after_visitors]:
        assert "Sign out" in page.content.decode()
    for page in visitors:
        assert "Sign out" not in page.content.decode()
        assert "csrfmiddlewaretoken" not in page.content.decode()
    assert ("picture-tools" in theirs[0].content.decode()) == (member == "owner")
    assert "picture-tools" not in visitors[0].content.decode()


@pytest.mark.parametrize(
    ("markup", "kept"),
    [
        ("<p>The same for all</p>", True),
        ("<form>{% csrf_token %}</form>", False),
        ('<script nonce="{{ csp_nonce }}"></script>', False),
    ],
    ids=["plain", "csrf-token", "nonce"],
)
def test_a_page_using_a_token_of_its_request_is_never_kept(
    client, settings, tmp_path, markup, kept
):
    """Whoever edits a template cannot make the cache hand one visitor's token to the next."""
    (tmp_path / "portfolio").mkdir()
    (tmp_path / "portfolio" / "project_list.html").write_text(markup)
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [tmp_path, *engine["DIRS"]]}]

    first, second = client.get("/"), client.get("/")

    assert first.status_code == 200
    assert from_cache(second) == kept


def test_a_response_setting_a_cookie_is_never_kept(rf):
    with_cookie = HttpResponse("A page")
    with_cookie.set_cookie("seen", "yes")

    keep_page(rf.get("/"), "page:with-cookie", with_cookie)
    keep_page(rf.get("/"), "page:without", HttpResponse("A page"))

    assert caches["pages"].get("page:with-cookie") is None
    assert caches["pages"].get("page:without").content == b"A page"


def test_a_large_page_is_kept_compressed_and_answered_whole(rf):
    content = "".join(f"<url><loc>http://testserver/p/{n}/</loc></url>" for n in range(20_000))
    headers = {"Content-Type": "application/xml", "X-Robots-Tag": "noindex"}
    assert len(content) > COMPRESSED_FROM_BYTES

    keep_page(rf.get("/sitemap.xml"), "page:large", HttpResponse(content, headers=headers))

    kept = caches["pages"].get("page:large")
    assert len(kept.content) < len(content) / 5
    answered = kept.response()
    assert answered.content == content.encode()
    assert {name: answered[name] for name in headers} == headers


def with_a_message(client: Client, text: str) -> None:
    """Give the visitor a pending message, as a redirect after a form leaves one."""
    storage = CookieStorage(HttpRequest())
    storage.add(constants.INFO, text)
    response = HttpResponse()
    storage.update(response)
    client.cookies["messages"] = response.cookies["messages"].value


def test_a_page_with_messages_is_neither_served_from_nor_kept_in_the_cache(client, site):
    client.get("/")
    with_a_message(client, "Signed out.")

    with_message = client.get("/")

    assert not from_cache(with_message)
    assert "Signed out." in with_message.content.decode()
    assert not from_cache(Client().get("/?category=landscape"))
    with_a_message(client, "Again.")
    assert "Again." in client.get("/?category=landscape").content.decode()
    # The page rendered with the message was not kept: the next visitor gets a page without it.
    assert "Again." not in Client().get("/?category=landscape").content.decode()


# The htmx fragment and the whole page are kept apart ----------------------------------------


def test_htmx_fragment_and_whole_page_are_kept_apart(client, site):
    page, fragment = client.get("/"), client.get("/", headers=HTMX)
    kept_page, kept_fragment = client.get("/"), client.get("/", headers=HTMX)

    assert not from_cache(fragment)
    assert from_cache(kept_page) and from_cache(kept_fragment)
    assert "<html" in kept_page.content.decode()
    assert kept_fragment.content.decode().strip().startswith('<section id="gallery"')
    assert "<html" not in kept_fragment.content.decode()
    assert kept_page.content == page.content and kept_fragment.content == fragment.content


def test_htmx_history_restore_gets_the_whole_page(client, site):
    client.get("/", headers=HTMX)

    response = client.get("/", headers={**HTMX, "HX-History-Restore-Request": "true"})

    assert "<html" in response.content.decode()
