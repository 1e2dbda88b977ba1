"""The pages run a small, constant number of queries, however much there is to show."""

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portfolio.models import Category, Favourite, Picture, Project, Selection, ShareLink
from tests.helpers import (
    HTMX,
    make_category,
    make_picture,
    make_pictures,
    make_project,
    make_user,
    signed_in,
)

pytestmark = pytest.mark.django_db

STEP = settings.PORTFOLIO_STEP_SIZE  # 12: the project and share pages' tests have 25.

RENDITIONS = [
    {"width": 480, "height": 320, "name": "projects/1/a_w480.webp"},
    {"width": 960, "height": 640, "name": "projects/1/a_w960.webp"},
    {"width": 1600, "height": 1067, "name": "projects/1/a_w1600.webp"},
]


def fill_gallery(project_count: int, pictures_per_project: int = 3) -> None:
    owner = make_user()
    category = Category.objects.filter(slug="landscape").first() or make_category("Landscape")
    for number in range(project_count):
        project = make_project(owner, category=category if number % 2 else None)
        pictures = [make_picture(project) for _ in range(pictures_per_project)]
        if number % 3 == 0:  # Some with a chosen cover, all without captions.
            project.cover = pictures[-1]
            project.save()
    Picture.objects.update(renditions=RENDITIONS, renditions_spec="webp 480 960 1600")


def gallery_queries(client, url: str = "/") -> int:
    """The queries of a gallery rendered afresh, as after a write."""
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.count(b" srcset=") == min(len(response.context["project_list"]), 24)
    return len(queries)


@pytest.mark.parametrize("project_count", [3, 40])
def test_gallery_runs_five_queries_then_one(client, django_assert_num_queries, project_count):
    fill_gallery(project_count)

    # Rendered: the content version, then the categories for the filter bar, the projects,
    # their first pictures, the site identity (title, header, footer); no count (pages are
    # found by keyset). Kept: the content version, nothing else.
    for queries in [5, 1]:
        with django_assert_num_queries(queries):
            client.get("/")
        with django_assert_num_queries(queries):
            client.get("/?category=landscape")
    # htmx asks for the fragment: kept apart from the whole page, as cheap once kept; it
    # shows no title, header or footer, so the site identity is not read.
    for queries in [4, 1]:
        with django_assert_num_queries(queries):
            client.get("/?category=landscape", headers={"HX-Request": "true"})


def test_gallery_with_no_category_runs_five_queries_then_one(client, django_assert_num_queries):
    project = make_project()
    make_picture(project)
    make_project().pictures.create(photo="projects/x.jpg", width=10, height=10)

    for queries in [5, 1]:
        with django_assert_num_queries(queries):
            response = client.get("/")
        assert response.content.count(b"project-tile") == 2


def test_an_empty_category_costs_what_a_full_one_does(client, django_assert_num_queries):
    make_category("Empty")

    # Not in the filter bar (nothing published in it): looked up by its slug, in place of the
    # projects' first pictures (there are none).
    for queries in [5, 1]:
        with django_assert_num_queries(queries):
            response = client.get("/?category=empty")
        assert b"No published projects in Empty yet." in response.content


def test_gallery_query_count_does_not_grow_with_the_gallery(client, django_assert_num_queries):
    fill_gallery(2)
    small = gallery_queries(client)
    fill_gallery(30, pictures_per_project=5)

    assert gallery_queries(client) == small
    caches["pages"].clear()
    older = client.get("/").context["page_obj"].links["older"]
    caches["pages"].clear()
    newer = client.get(older).context["page_obj"].links["newer"]
    for url in [older, "/?page=last", newer]:
        assert gallery_queries(client, url) == small
    client.get(older)
    with django_assert_num_queries(1):
        client.get(older)


@pytest.mark.parametrize("chosen_cover", [False, True], ids=["first-picture", "chosen-cover"])
@pytest.mark.parametrize("picture_count", [1, 25])
def test_project_page_runs_four_queries_then_one(
    client, django_assert_num_queries, picture_count, chosen_cover
):
    project = make_project()
    for _ in range(picture_count):
        picture = make_picture(project)
    if chosen_cover:  # The last: the cover is found among the pictures, not queried.
        project.cover = picture
        project.save()
    Picture.objects.update(renditions=RENDITIONS, renditions_spec="webp 480 960 1600")

    # The content version, the project (with its count of pictures), its first step of
    # pictures, the site identity; then the content version alone.
    for queries in [4, 1]:
        with django_assert_num_queries(queries):
            response = client.get(project.get_absolute_url())
        # Each picture of the first step, and the cover the page opens on.
        assert response.content.count(b" srcset=") == min(picture_count, STEP) + 1


def test_an_editors_project_page_is_rendered_every_time(client, django_assert_num_queries):
    owner = make_user()
    project = make_project(owner)
    make_picture(project)
    client.force_login(owner)
    client.get(project.get_absolute_url())

    # The session and its user, the project, may they edit it, its first step of pictures,
    # the site identity: never kept.
    for _ in range(2):
        with django_assert_num_queries(6):
            response = client.get(project.get_absolute_url())
        assert b"picture-tools" in response.content


@pytest.mark.parametrize("chosen_cover", [False, True], ids=["first-picture", "chosen-cover"])
@pytest.mark.parametrize("picture_count", [1, 25])
def test_share_page_runs_four_queries(
    client, django_assert_num_queries, picture_count, chosen_cover
):
    project = make_project()
    for _ in range(picture_count):
        picture = make_picture(project)
    if chosen_cover:
        project.cover = picture
        project.save()
    Picture.objects.update(renditions=RENDITIONS, renditions_spec="webp 480 960 1600")
    link = ShareLink.objects.create(project=project, label="for Anna")

    # The link with its project, its use counted, the first step of pictures, the site
    # identity. Never kept.
    for _ in range(2):
        with django_assert_num_queries(4):
            response = client.get(link.get_absolute_url())
        assert response.content.count(b" srcset=") == min(picture_count, STEP) + 1


def first_response_queries(client, url: str) -> tuple[int, bytes]:
    """The queries and the body of a page's first response, rendered afresh."""
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content


@pytest.mark.parametrize("page", ["project", "share", "edit", "favourites"])
def test_the_first_response_costs_as_much_for_2000_pictures_as_for_10(client, settings, page):
    settings.PORTFOLIO_STEP_SIZE = 8
    owner = make_user()
    if page == "edit":
        client.force_login(owner)
    costs = {}
    for picture_count in (10, 2000):
        project = make_project(owner)
        pictures = make_pictures(project, picture_count)
        project.cover = pictures[-1]  # Far beyond the first step: the page still opens on it.
        project.save()
        url = {"project": project.get_absolute_url(), "edit": f"/projects/{project.slug}/edit/"}
        if page in ("share", "favourites"):
            link = ShareLink.objects.create(project=project, allows_favourites=True)
            url["share"] = url["favourites"] = link.get_absolute_url()
        if page == "favourites":
            start = reverse("portfolio:share-selection-start", kwargs={"token": link.token})
            client.post(start, {"name": "Anna"})
            selection = Selection.objects.get(link=link)
            Favourite.objects.bulk_create(
                Favourite(selection=selection, picture=picture) for picture in pictures[1:]
            )
            url["favourites"] += "?favourites=1"
        queries, html = first_response_queries(client, url[page])
        # The step's pictures, each with its tools or heart; the cover the page opens on.
        assert html.count(b'class="picture ') == 8
        if page != "edit":
            assert f'alt="{pictures[-1].caption}"'.encode() in html.split(b'id="picture-grid"')[0]
        costs[picture_count] = queries, len(html)

    (small_queries, small_bytes), (large_queries, large_bytes) = costs[10], costs[2000]
    assert small_queries == large_queries
    assert large_bytes < 1.05 * small_bytes


def test_a_later_step_costs_what_the_first_does(client, django_assert_num_queries, settings):
    settings.PORTFOLIO_STEP_SIZE = 8
    project = make_project()
    make_pictures(project, 100)
    first = client.get(project.get_absolute_url()).context["step"]
    second = client.get(f"{project.get_absolute_url()}?after={first.next_cursor}", headers=HTMX)
    third_url = f"{project.get_absolute_url()}?after={second.context['step'].next_cursor}"

    # The content version, the project, the step's pictures: no site identity in a fragment.
    with django_assert_num_queries(3):
        response = client.get(third_url, headers=HTMX)
    assert response.content.count(b'class="picture ') == 8


def test_a_later_steps_page_costs_as_much_for_2000_pictures_as_for_10(client, settings):
    settings.PORTFOLIO_STEP_SIZE = 8
    costs = []
    for picture_count in (10, 2000):
        project = make_project()
        pictures = make_pictures(project, picture_count)
        # Its last step, as a link to its last picture opens it: the count before it included.
        cursor = project.pictures.cursor_of(pictures[(picture_count - 1) // 8 * 8 - 1])
        queries, html = first_response_queries(
            client, f"{project.get_absolute_url()}?after={cursor}"
        )
        assert f'data-first-place="{(picture_count - 1) // 8 * 8}"'.encode() in html
        costs.append(queries)
    assert costs[0] == costs[1]


def test_the_studio_costs_as_much_for_300_projects_as_for_3(django_assert_num_queries, settings):
    settings.PORTFOLIO_STEP_SIZE = 6
    costs = []
    for project_count in (3, 300):
        owner = make_user()
        Project.objects.bulk_create(
            Project(owner=owner, title=f"Project {number}", slug=f"{owner}-{number}")
            for number in range(project_count)
        )
        client = signed_in(owner)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/studio/")
        assert response.content.count(b'class="project-tile"') == min(project_count, 6)
        costs.append(len(queries))
    assert costs[0] == costs[1]


@pytest.mark.parametrize("page", ["project", "share", "edit"])
def test_where_a_picture_is_costs_as_much_for_2000_pictures_as_for_10(client, settings, page):
    settings.PORTFOLIO_STEP_SIZE = 8
    owner = make_user()
    if page == "edit":
        client.force_login(owner)
    costs = []
    for picture_count in (10, 2000):
        project = make_project(owner)
        last = make_pictures(project, picture_count)[-1]
        url = {
            "project": project.get_absolute_url(),
            "share": ShareLink.objects.create(project=project).get_absolute_url(),
            "edit": f"/projects/{project.slug}/edit/",
        }[page]
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{url}?at={last.pk}", headers=HTMX)
        assert response.status_code == 204
        costs.append(len(queries))
    assert costs[0] == costs[1]


def test_where_a_picture_is_runs_five_queries(client, django_assert_num_queries, settings):
    settings.PORTFOLIO_STEP_SIZE = 8
    project = make_project()
    last = make_pictures(project, 100)[-1]

    # The content version, the project, the picture, a count of those before it, the last of
    # the step before its own: nothing is rendered, nothing kept.
    for _ in range(2):
        with django_assert_num_queries(5):
            response = client.get(f"{project.get_absolute_url()}?at={last.pk}", headers=HTMX)
        assert response.status_code == 204
