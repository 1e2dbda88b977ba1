"""
The gallery grid and a project's pictures are rendered once and kept, under the content
version the database bumps on every write (portfolio/fragments.py). Whatever changes, however
it is changed (a form, the admin, the renditions task, a queryset .update() or raw SQL from
another process, which no signal sees), the next visitor sees it; and nothing that differs per
visitor is ever kept.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.urls import reverse

from portfolio.models import Category, Picture, Project
from portfolio.tasks import make_renditions
from tests.helpers import make_category, make_picture, make_project, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
# Included once per picture: in a response's templates only when the grid was rendered.
PICTURE_TEMPLATE = "portfolio/_picture_image.html"


@pytest.fixture
def site():
    landscape, seascape = make_category("Landscape"), make_category("Seascape")
    owner = make_user("owner")
    hills = make_project(owner, title="Hills", category=landscape)
    coast = make_project(owner, title="Coast", category=seascape)
    draft = make_project(owner, title="Secret", category=landscape, is_published=False)
    make_project(owner, title="Lake", category=landscape)  # Landscape stays, whatever Hills does.
    morning = make_picture(hills, caption="Morning")
    evening = make_picture(hills, caption="Evening")
    make_picture(hills)  # Without a caption: its alt text names the project.
    harbour = make_picture(coast, caption="Harbour")
    make_picture(draft, caption="Unseen")
    # The renditions task has not run (its transaction never commits in these tests): the
    # pictures show their originals until it does.
    return SimpleNamespace(**locals())


def gallery(client: Client, url: str = "/"):
    """The gallery's grid alone, as htmx asks for it (the whole page adds only its frame)."""
    return client.get(url, headers=HTMX)


def picture_grid(client: Client, project: Project):
    """A project page, with its picture grid as `grid` (the rest has a new nonce each time)."""
    response = client.get(project.get_absolute_url())
    response.grid = between(response, '<ul id="picture-grid"', "</ul>")
    return response


def gallery_section(response) -> str:
    return between(response, '<section id="gallery"', "</section>")


def between(response, start: str, end: str) -> str:
    html = response.content.decode()
    begin = html.find(start)
    return html[begin : html.index(end, begin) + len(end)] if begin >= 0 else ""


def from_cache(response) -> bool:
    return PICTURE_TEMPLATE not in {template.name for template in response.templates}


def rendered_afresh(fetch, *arguments):
    caches["template_fragments"].clear()
    return fetch(*arguments)


# Kept, and reused ----------------------------------------------------------------------


def test_gallery_grid_is_rendered_once_then_reused(client, site):
    first = client.get("/")
    second = client.get("/")

    assert not from_cache(first)
    assert from_cache(second)
    assert gallery_section(second) == gallery_section(first)
    assert "Morning" in gallery_section(second)
    # Around it, the page is rendered for each request: its CSP nonce is new every time.
    assert second.content != first.content


def test_project_grid_is_rendered_once_then_reused_for_visitors(client, site):
    first, second = picture_grid(client, site.hills), picture_grid(client, site.hills)

    assert not from_cache(first)
    assert from_cache(second)
    assert second.grid == first.grid
    assert 'alt="Morning"' in second.grid


def test_each_page_and_filter_has_its_own_grid(client, site):
    for number in range(30):
        make_project(site.owner, title=f"Filler {number}")

    pages = {url: gallery(client, url).content.decode() for url in ["/", "/?page=2"]}
    filters = {
        url: gallery(client, url).content.decode()
        for url in ["/?category=landscape", "/?category=seascape"]
    }

    assert "Filler 29" in pages["/"] and "Filler 29" not in pages["/?page=2"]
    assert "Hills" in pages["/?page=2"] and "Hills" not in pages["/"]
    assert "Hills" in filters["/?category=landscape"]
    assert "Hills" not in filters["/?category=seascape"]
    assert "Coast" in filters["/?category=seascape"]
    for url, html in {**pages, **filters}.items():
        assert gallery(client, url).content.decode() == html


def test_a_filter_showing_the_same_projects_has_its_own_grid(client):
    make_project(title="Only", category=make_category("Landscape"))
    make_category("Empty")
    make_category("Vacant")

    grids = {
        url: gallery(client, url).content.decode()
        for url in ["/", "/?category=landscape", "/?category=empty", "/?category=vacant"]
    }

    assert 'class="page-title">Projects</h1>' in grids["/"]
    assert 'class="page-title">Landscape</h1>' in grids["/?category=landscape"]
    assert "Only" in grids["/"] and "Only" in grids["/?category=landscape"]
    assert "No published projects in Empty yet." in grids["/?category=empty"]
    assert "No published projects in Vacant yet." in grids["/?category=vacant"]


# Every kind of change shows at once ------------------------------------------------------


def edit_title_with_save(site):
    site.hills.title = "Hills at dawn"
    site.hills.save()


def run_the_renditions_task(site):
    make_renditions.enqueue(site.morning.pk)
    site.morning.refresh_from_db()
    assert site.morning.renditions


def delete_the_first_picture(site):
    site.morning.delete()


def move_the_second_picture_first(site):
    site.evening.move(-1)


def add_a_project(site):
    make_project(site.owner, title="Brand new", category=site.landscape)


def raw(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# Each is made as another process would: by .update() or raw SQL, which send no signal, or
# through the models and the renditions task.
CHANGES = {
    "title edited": edit_title_with_save,
    "title updated elsewhere": lambda site: Project.objects.filter(pk=site.hills.pk).update(
        title="Hills at dusk"
    ),
    "unpublished": lambda site: Project.objects.filter(pk=site.hills.pk).update(
        is_published=False
    ),
    "published": lambda site: Project.objects.filter(pk=site.draft.pk).update(is_published=True),
    "new cover": lambda site: Project.objects.filter(pk=site.hills.pk).update(cover=site.evening),
    "caption": lambda site: Picture.objects.filter(pk=site.morning.pk).update(caption="Mist"),
    "renditions finished": run_the_renditions_task,
    "file replaced": lambda site: Picture.objects.filter(pk=site.morning.pk).update(
        photo=site.harbour.photo.name, width=640, height=480
    ),
    "picture deleted": delete_the_first_picture,
    "pictures reordered": move_the_second_picture_first,
    "project deleted": lambda site: site.hills.delete(),
    "project added": add_a_project,
    "category renamed": lambda site: Category.objects.filter(pk=site.landscape.pk).update(
        name="Landscapes"
    ),
    "title by raw SQL": lambda site: raw(
        "UPDATE portfolio_project SET title = %s WHERE id = %s", "Raw hills", site.hills.pk
    ),
    "caption by raw SQL": lambda site: raw(
        "UPDATE portfolio_picture SET caption = %s WHERE id = %s", "Raw mist", site.morning.pk
    ),
    "picture deleted by raw SQL": lambda site: raw(
        "DELETE FROM portfolio_picture WHERE id = %s", site.morning.pk
    ),
    "published by raw SQL": lambda site: raw(
        "UPDATE portfolio_project SET is_published = TRUE WHERE id = %s", site.draft.pk
    ),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_cached_gallery_shows_every_change_at_once(client, site, change):
    before = gallery(client).content
    assert from_cache(gallery(client))

    change(site)
    after = gallery(client)

    assert after.content != before
    assert after.content == rendered_afresh(gallery, client).content


@pytest.mark.parametrize(
    "change",
    [
        CHANGES[name]
        for name in [
            "title updated elsewhere",
            "caption",
            "caption by raw SQL",
            "picture deleted by raw SQL",
            "renditions finished",
            "file replaced",
            "picture deleted",
            "pictures reordered",
        ]
    ],
)
def test_cached_project_grid_shows_every_change_at_once(client, site, change):
    before = picture_grid(client, site.hills).grid
    assert from_cache(picture_grid(client, site.hills))

    change(site)
    after = picture_grid(client, site.hills)

    assert after.grid != before
    assert after.grid == rendered_afresh(picture_grid, client, site.hills).grid


def test_an_owners_htmx_caption_edit_shows_to_the_next_visitor(client, site):
    visitor_grid = picture_grid(client, site.hills).grid
    gallery_grid = gallery(client).content.decode()
    owner = Client()
    owner.force_login(site.owner)
    url = reverse(
        "portfolio:picture-update", kwargs={"slug": site.hills.slug, "pk": site.morning.pk}
    )

    assert owner.post(url, {"caption": "Fog lifting"}, headers=HTMX).status_code == 200

    assert 'alt="Fog lifting"' not in visitor_grid and "Fog lifting" not in gallery_grid
    assert 'alt="Fog lifting"' in picture_grid(client, site.hills).grid
    assert 'alt="Fog lifting"' in gallery(client).content.decode()


def every_field_changed(site) -> dict:
    """A different value for every column of the three models the public pages show."""
    earlier = site.hills.created - timedelta(days=400)
    return {
        Category: {"name": "Seaside", "slug": "seaside"},  # Sorted where it was.
        Project: {
            "owner": make_user(),
            "title": "Renamed",
            "slug": "renamed",
            "category": site.seascape,
            "description": "Now described.",
            "is_published": False,
            "cover": site.evening,
            "created": earlier,
            "updated": earlier,
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
        },
    }


FIELDS = [
    (model, field.name)
    for model in (Category, Project, Picture)
    for field in model._meta.concrete_fields
    if not field.primary_key
]


def test_every_column_is_tried_below(site):
    changed = every_field_changed(site)

    assert {(model, name) for model in changed for name in changed[model]} == set(FIELDS)


@pytest.mark.parametrize(
    ("model", "field_name"), FIELDS, ids=[f"{model.__name__}.{name}" for model, name in FIELDS]
)
def test_a_change_to_any_column_never_leaves_a_stale_fragment(client, site, model, field_name):
    """Whatever a template shows, now or after a later edit, is in the key: or this fails."""
    # Seascape has no project among Landscape's tiles: only the filter bar shows its name.
    target = {Category: site.seascape, Project: site.hills, Picture: site.morning}[model]
    urls = ["/", "/?category=landscape", "/?category=seascape"]
    for url in urls:
        gallery(client, url)
    picture_grid(client, site.hills)
    assert from_cache(gallery(client))

    value = every_field_changed(site)[model][field_name]
    model.objects.filter(pk=target.pk).update(**{field_name: value})

    site.hills.refresh_from_db()
    cached = [gallery(client, url) for url in urls] + [picture_grid(client, site.hills)]
    caches["template_fragments"].clear()
    fresh = [gallery(client, url) for url in urls] + [picture_grid(client, site.hills)]
    for cached_response, fresh_response in zip(cached[:-1], fresh[:-1], strict=True):
        assert cached_response.status_code == fresh_response.status_code
        assert cached_response.content == fresh_response.content
    assert (cached[-1].status_code, cached[-1].grid) == (fresh[-1].status_code, fresh[-1].grid)


# A kept fragment never answers for a page that is not there -------------------------------


def test_a_kept_grid_never_shows_a_draft_or_a_missing_page(client, site):
    for number in range(30):
        make_project(site.owner, title=f"Filler {number}")
    owner = Client()
    owner.force_login(site.owner)
    assert owner.get(site.draft.get_absolute_url()).status_code == 200
    for url in ["/", "/?page=2", "/?category=landscape", site.hills.get_absolute_url()]:
        assert client.get(url).status_code == 200

    statuses = {
        url: client.get(url).status_code
        for url in [
            site.draft.get_absolute_url(),
            "/?page=3",
            "/?page=0",
            "/?page=two",
            "/?category=nowhere",
            "/?category=landscape&page=2",
        ]
    }

    assert set(statuses.values()) == {404}, statuses
    assert from_cache(client.get("/?page=02"))  # Page 2, as ListView reads it.


def test_an_unpublished_project_is_gone_at_once_though_its_grid_was_kept(client, site):
    assert from_cache(picture_grid(client, site.hills)) is False
    assert from_cache(picture_grid(client, site.hills))

    Project.objects.filter(pk=site.hills.pk).update(is_published=False)

    assert client.get(site.hills.get_absolute_url()).status_code == 404
    assert "Hills" not in gallery(client).content.decode()


# Nothing that differs per visitor is kept -----------------------------------------------


@pytest.mark.parametrize("first", ["visitor", "owner"])
def test_an_editors_grid_is_never_kept_nor_shown_to_visitors(site, first):
    visitor, owner, other = Client(), Client(), Client()
    owner.force_login(site.owner)
    other.force_login(make_user())
    order = [("visitor", visitor), ("owner", owner)]
    if first == "owner":
        order.reverse()

    responses = {name: picture_grid(client, site.hills) for name, client in order}
    responses["other"] = picture_grid(other, site.hills)
    responses["owner again"] = picture_grid(owner, site.hills)

    for name in ["owner", "owner again"]:
        assert not from_cache(responses[name])
        assert "picture-tools" in responses[name].grid
        assert "csrfmiddlewaretoken" in responses[name].grid
    for name in ["visitor", "other"]:
        assert "picture-tools" not in responses[name].grid
        assert "csrfmiddlewaretoken" not in responses[name].grid
        assert responses[name].grid == responses["visitor"].grid
    assert "Edit project" not in responses["visitor"].content.decode()
    assert "Sign out" not in responses["visitor"].content.decode()


def test_staff_get_their_tools_after_a_visitor_was_served(site):
    visitor, staff = Client(), Client()
    staff.force_login(make_user(is_staff=True))

    picture_grid(visitor, site.hills)
    response = picture_grid(staff, site.hills)

    assert not from_cache(response)
    assert "picture-tools" in response.grid


def test_gallery_frame_follows_the_visitor_while_the_grid_is_shared(site):
    visitor, member = Client(), Client()
    member.force_login(make_user())

    member_page = member.get("/").content.decode()
    visitor_response = visitor.get("/")
    visitor_page = visitor_response.content.decode()

    assert from_cache(visitor_response)
    assert "Sign out" in member_page and "csrfmiddlewaretoken" in member_page
    assert "Sign out" not in visitor_page and "csrfmiddlewaretoken" not in visitor_page
    assert "Sign in" in visitor_page


# The htmx fragments ---------------------------------------------------------------------


def test_htmx_gets_the_grid_the_whole_page_kept(client, site):
    page = client.get("/?category=landscape").content.decode()
    response = gallery(client, "/?category=landscape")
    fragment = response.content.decode()

    assert from_cache(response)
    assert fragment.strip().startswith('<section id="gallery"')
    assert "<html" not in fragment and "<header" not in fragment
    assert fragment.strip() in page
    assert "HX-Request" in response["Vary"]


def test_the_whole_page_gets_the_grid_htmx_kept(client, site):
    fragment = gallery(client).content.decode()
    response = client.get("/")

    assert from_cache(response)
    assert "<html" in response.content.decode()
    assert fragment.strip() in response.content.decode()


def test_htmx_history_restore_still_gets_the_whole_page(client, site):
    gallery(client)

    response = client.get("/", headers={**HTMX, "HX-History-Restore-Request": "true"})

    assert "<html" in response.content.decode()
    assert from_cache(response)


def test_editors_htmx_fragments_are_rendered_for_them(site):
    owner = Client()
    owner.force_login(site.owner)
    picture_grid(Client(), site.hills)  # A visitor's grid is kept...
    url = reverse(
        "portfolio:picture-move", kwargs={"slug": site.hills.slug, "pk": site.evening.pk}
    )

    response = owner.post(url, {"direction": "up"}, headers=HTMX)

    html = response.content.decode()
    assert not from_cache(response)  # ...and never sent to an editor.
    assert html.strip().startswith('<ul id="picture-grid"')
    assert "picture-tools" in html
    assert html.index('alt="Evening"') < html.index('alt="Morning"')
