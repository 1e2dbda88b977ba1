"""The pages run a small, constant number of queries, however much there is to show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolio.models import Category, Picture
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
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.count(b" srcset=") == min(len(response.context["project_list"]), 24)
    return len(queries)


@pytest.mark.parametrize("project_count", [3, 40])
def test_gallery_runs_at_most_four_queries(client, django_assert_num_queries, project_count):
    fill_gallery(project_count)

    # Categories for the filter bar, the page count, the projects, their first pictures:
    # the same whether the grid is rendered or comes from the cache, whose key they make.
    for _ in range(2):
        with django_assert_num_queries(4):
            client.get("/")
        with django_assert_num_queries(4):
            client.get("/?category=landscape")
        with django_assert_num_queries(4):
            client.get("/", headers={"HX-Request": "true"})


def test_gallery_query_count_does_not_grow_with_the_gallery(client):
    fill_gallery(2)
    small = gallery_queries(client)
    fill_gallery(30, pictures_per_project=5)

    assert gallery_queries(client) == small
    assert gallery_queries(client, "/?page=2") == small


@pytest.mark.parametrize("picture_count", [1, 25])
def test_project_page_runs_two_queries(client, django_assert_num_queries, picture_count):
    project = make_project()
    for _ in range(picture_count):
        make_picture(project)
    Picture.objects.update(renditions=RENDITIONS, renditions_spec="webp 480 960 1600")

    # The project, its pictures: rendered, then from the cache.
    for _ in range(2):
        with django_assert_num_queries(2):
            response = client.get(project.get_absolute_url())
        assert response.content.count(b" srcset=") == picture_count
