"""The pages run a small, constant number of queries, however much there is to show."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolio.models import Category, Picture, ShareLink
from tests.helpers import make_category, make_picture, make_project, make_user

pytestmark = pytest.mark.django_db

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

    # The content version, the project, its pictures, the site identity; then the content
    # version alone.
    for queries in [4, 1]:
        with django_assert_num_queries(queries):
            response = client.get(project.get_absolute_url())
        # Each picture in the grid, and the cover the page opens on.
        assert response.content.count(b" srcset=") == picture_count + 1


def test_an_editors_project_page_is_rendered_every_time(client, django_assert_num_queries):
    owner = make_user()
    project = make_project(owner)
    make_picture(project)
    client.force_login(owner)
    client.get(project.get_absolute_url())

    # The session and its user, the project, may they edit it, its pictures, the site
    # identity: never kept.
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

    # The link with its project, its use counted, the pictures, the site identity. Never kept.
    for _ in range(2):
        with django_assert_num_queries(4):
            response = client.get(link.get_absolute_url())
        assert response.content.count(b" srcset=") == picture_count + 1
