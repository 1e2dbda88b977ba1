"""Staff run everything from the admin; nobody else gets in."""

import pytest

from tests.helpers import make_picture, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def picture():
    return make_picture(make_project(), caption="Dune at noon")


def admin_urls(picture) -> list[str]:
    project = picture.project
    return [
        "/admin/",
        "/admin/portfolio/project/",
        "/admin/portfolio/project/?is_published__exact=1",
        f"/admin/portfolio/project/?q={project.title}",
        "/admin/portfolio/project/add/",
        f"/admin/portfolio/project/{project.pk}/change/",
        "/admin/portfolio/picture/",
        "/admin/portfolio/picture/?q=Dune",
        f"/admin/portfolio/picture/{picture.pk}/change/",
        "/admin/portfolio/category/",
    ]


def test_admin_pages_load_for_staff(client, picture):
    client.force_login(make_user(is_staff=True, is_superuser=True))

    for url in admin_urls(picture):
        response = client.get(url)
        assert response.status_code == 200, url


def test_admin_shows_thumbnails(client, picture):
    client.force_login(make_user(is_staff=True, is_superuser=True))

    project_page = client.get(f"/admin/portfolio/project/{picture.project.pk}/change/")
    picture_list = client.get("/admin/portfolio/picture/")

    assert f'<img src="{picture.photo.url}"' in project_page.content.decode()
    assert f'<img src="{picture.photo.url}"' in picture_list.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "owner"])
def test_admin_redirects_everyone_else_to_its_login(client, picture, who):
    if who == "owner":
        client.force_login(picture.project.owner)

    for url in admin_urls(picture):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url
