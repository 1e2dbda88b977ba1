"""
Who may do what: every owner URL and method × anonymous, owner, another owner, staff.

One rule (Project.objects.editable_by): the owner and staff may change a project, anyone
else gets a 404 (a draft's existence is not confirmed), anonymous visitors go to sign in.
"""

from functools import partial
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from portfolio.models import Picture, Project
from tests.helpers import (
    HTMX,
    image_bytes,
    make_picture,
    make_project,
    make_user,
    picture_url,
    signed_in,
    stored_files,
)

pytestmark = pytest.mark.django_db


def project_url(name):
    return lambda picture: reverse(f"portfolio:{name}", kwargs={"slug": picture.project.slug})


def arrange_data(picture):
    """The project's pictures, last first: each changes place."""
    pictures = Picture.objects.filter(project_id=picture.project_id).order_by("-position", "-pk")
    return {"pictures": [str(pk) for pk in pictures.values_list("pk", flat=True)]}


def upload_data(picture):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"photos": [SimpleUploadedFile("new.jpg", image_bytes("JPEG"))]}


# (name, method, url, data, what the owner and staff get)
PROJECT_ACTIONS = [
    ("project-update", "get", project_url("project-update"), None, 200),
    (
        "project-update",
        "post",
        project_url("project-update"),
        lambda picture: {
            "title": "Renamed",
            "slug": picture.project.slug,
            "visibility": "public",
            "downloads": "none",
        },
        302,
    ),
    ("project-delete", "get", project_url("project-delete"), None, 200),
    ("project-delete", "post", project_url("project-delete"), lambda picture: {}, 302),
    ("picture-upload", "get", project_url("picture-upload"), None, 200),
    ("picture-upload", "post", project_url("picture-upload"), upload_data, 302),
    ("picture-update", "get", partial(picture_url, "picture-update"), None, 200),
    (
        "picture-update",
        "post",
        partial(picture_url, "picture-update"),
        lambda picture: {"caption": "Changed"},
        302,
    ),
    ("picture-cover", "post", partial(picture_url, "picture-cover"), lambda picture: {}, 302),
    (
        "picture-move",
        "post",
        partial(picture_url, "picture-move"),
        lambda picture: {"direction": "down"},
        302,
    ),
    (
        "picture-move-to",
        "post",
        partial(picture_url, "picture-move-to"),
        lambda picture: {"position": "1"},
        302,
    ),
    ("picture-arrange", "post", project_url("picture-arrange"), arrange_data, 204),
    ("picture-focus", "get", partial(picture_url, "picture-focus"), None, 200),
    (
        "picture-focus",
        "post",
        partial(picture_url, "picture-focus"),
        lambda picture: {"focal_x": "0.2", "focal_y": "0.9"},
        302,
    ),
    ("picture-delete", "get", partial(picture_url, "picture-delete"), None, 200),
    ("picture-delete", "post", partial(picture_url, "picture-delete"), lambda picture: {}, 302),
]


@pytest.fixture
def draft_picture():
    """A picture in an unpublished project, next to a second picture so moves have room."""
    project = make_project(visibility="private", title="Secret draft")
    picture = make_picture(project, caption="Original")
    make_picture(project)
    return picture


def state(picture) -> tuple:
    """Everything the owner URLs could change about the project and its pictures."""
    project = Project.objects.filter(pk=picture.project_id).values("title", "cover").first()
    pictures = list(
        Picture.objects.filter(project_id=picture.project_id)
        .order_by("pk")
        .values_list("pk", "caption", "position", "focal_x", "focal_y")
    )
    return project, pictures


def client_for(who: str, picture) -> Client:
    client = Client()
    users = {
        "owner": lambda: picture.project.owner,
        "another owner": lambda: make_project(owner=make_user()).owner,
        "staff": lambda: make_user(is_staff=True),
    }
    if who in users:
        client.force_login(users[who]())
    return client


def request(client, method, url, data):
    return client.get(url) if method == "get" else client.post(url, data or {})


@pytest.mark.parametrize(
    ("name", "method", "url", "data", "allowed_status"),
    PROJECT_ACTIONS,
    ids=[f"{action[0]}-{action[1]}" for action in PROJECT_ACTIONS],
)
@pytest.mark.parametrize("who", ["anonymous", "owner", "another owner", "staff"])
def test_permission_matrix(draft_picture, who, name, method, url, data, allowed_status):
    client = client_for(who, draft_picture)
    address = url(draft_picture)
    before = state(draft_picture)

    response = request(client, method, address, data(draft_picture) if data else None)

    if who == "anonymous":
        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={quote(address)}"
        assert state(draft_picture) == before
    elif who == "another owner":
        assert response.status_code == 404
        assert state(draft_picture) == before
    else:
        assert response.status_code == allowed_status
        if method == "post":
            assert state(draft_picture) != before


@pytest.mark.parametrize("name", ["picture-cover", "picture-move", "picture-move-to"])
def test_post_only_endpoints_refuse_get(draft_picture, name):
    client = client_for("owner", draft_picture)

    assert client.get(picture_url(name, draft_picture)).status_code == 405


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("owner", 200), ("another owner", 200), ("staff", 200)],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_studio_and_new_project_are_for_signed_in_users(draft_picture, who, status, method):
    client = client_for(who, draft_picture)

    for url in [reverse("portfolio:studio"), reverse("portfolio:project-create")]:
        if method == "post" and url == reverse("portfolio:studio"):
            assert client.post(url).status_code == (302 if who == "anonymous" else 405)
            continue
        response = request(client, method, url, {"title": ""})
        assert response.status_code == status
        if status == 302:
            assert response.url.startswith(f"{reverse('login')}?next=")


def test_arrange_is_post_only(draft_picture):
    client = client_for("owner", draft_picture)

    url = reverse("portfolio:picture-arrange", kwargs={"slug": draft_picture.project.slug})

    assert client.get(url).status_code == 405


@pytest.mark.parametrize(
    "ids", ["another project's picture", "not a number", "beyond any id", "zero"]
)
def test_arrange_refuses_what_is_not_a_picture_of_the_project_with_400(draft_picture, ids):
    owner = draft_picture.project.owner
    elsewhere = make_picture(make_project(owner=owner))
    client = signed_in(owner)
    url = reverse("portfolio:picture-arrange", kwargs={"slug": draft_picture.project.slug})
    data = arrange_data(draft_picture)
    data["pictures"].insert(
        1,
        {
            "another project's picture": str(elsewhere.pk),
            "not a number": "two",
            "beyond any id": "9" * 20,
            "zero": "0",
        }[ids],
    )
    before = state(draft_picture), elsewhere.position

    response = client.post(url, data, headers=HTMX)

    assert response.status_code == 400
    assert (state(draft_picture), Picture.objects.get(pk=elsewhere.pk).position) == before


def test_picture_of_another_project_is_404_even_for_its_own_owner_under_a_wrong_slug(
    draft_picture,
):
    owner = draft_picture.project.owner
    other_project = make_project(owner=owner)
    client = signed_in(owner)

    url = reverse(
        "portfolio:picture-cover", kwargs={"slug": other_project.slug, "pk": draft_picture.pk}
    )

    assert client.post(url).status_code == 404


def test_anonymous_htmx_request_is_sent_to_sign_in_as_a_whole_page(draft_picture):
    url = picture_url("picture-move", draft_picture)
    page = draft_picture.project.get_absolute_url()

    response = Client().post(
        url,
        {"direction": "down"},
        headers={**HTMX, "HX-Current-URL": f"http://testserver{page}"},
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('login')}?next={quote(page)}"


# CSRF stays on, for htmx requests too ---------------------------------------------------


@pytest.fixture
def csrf_client(draft_picture):
    client = Client(enforce_csrf_checks=True)
    client.force_login(draft_picture.project.owner)
    return client


def test_post_without_a_csrf_token_is_refused(csrf_client, draft_picture):
    before = state(draft_picture)

    response = csrf_client.post(
        picture_url("picture-move", draft_picture),
        {"direction": "down"},
        headers=HTMX,
    )

    assert response.status_code == 403
    assert state(draft_picture) == before


def test_htmx_post_with_the_token_in_its_header_passes(csrf_client, draft_picture):
    page = csrf_client.get(draft_picture.project.get_absolute_url())
    token = csrf_client.cookies["csrftoken"].value
    # The page gives htmx the token for every request, as django-htmx documents.
    assert 'data-hx-headers=\'{"X-CSRFToken": "' in page.content.decode()

    response = csrf_client.post(
        picture_url("picture-move", draft_picture),
        {"direction": "down"},
        headers={**HTMX, "X-CSRFToken": token},
    )

    assert response.status_code == 200
    assert Picture.objects.get(pk=draft_picture.pk).position == 1


def test_upload_without_a_csrf_token_is_refused_and_stores_nothing(csrf_client, draft_picture):
    files_before = stored_files()

    response = csrf_client.post(
        reverse("portfolio:picture-upload", kwargs={"slug": draft_picture.project.slug}),
        upload_data(draft_picture),
    )

    assert response.status_code == 403
    assert stored_files() == files_before
