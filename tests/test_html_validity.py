"""
Every page and htmx fragment the site serves is valid HTML, as the W3C Nu Html Checker reads it.

The pages are rendered with the test client and checked in one run of vnu.jar (`make test`
installs it, tests/vnu/), since Java takes seconds to start. Fragments are checked inside a
minimal document, as htmx puts them into one.
"""

import errno
import json
import re
import subprocess

import pytest
from django.core.files.storage import FileSystemStorage
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.views.defaults import server_error

from portfolio.models import ShareLink
from site_config.environment import BASE_DIR
from tests.helpers import (
    HTMX,
    PASSWORD,
    make_picture,
    make_project,
    picture_url,
    signed_in,
    uploaded_image,
)

VNU_JAR = BASE_DIR / "tests/vnu/node_modules/vnu-jar/build/dist/vnu.jar"
FRAGMENT_DOCUMENT = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fragment</title></head>'
    "<body>{}</body></html>"
)


@pytest.mark.django_db
def test_every_page_and_fragment_is_valid_html(owner, tmp_path, monkeypatch):
    documents = pages_and_fragments(owner, monkeypatch)

    messages = nu_check(documents, tmp_path)

    assert not messages, "The Nu Html Checker found:\n" + "\n".join(messages)


def pages_and_fragments(owner, monkeypatch) -> dict[str, str]:
    """Every kind of page and fragment, by a name that says which: {name: HTML document}."""
    project = make_project(owner, title="Dunes", description="Sand at dawn.")
    pictures = [make_picture(project, caption=f"Dune {number}") for number in (1, 2, 3)]
    picture = pictures[0]
    project.cover = picture
    project.save()
    draft = make_project(owner, title="Draft", visibility="private")
    link = ShareLink.objects.create(project=project, label="for Anna", allows_favourites=True)
    locked_link = ShareLink(project=project, label="with a password")
    locked_link.set_password(PASSWORD)
    locked_link.save()

    visitor, owner_client = Client(), signed_in(owner)
    slug = {"slug": project.slug}
    # A change in the grid on the project page sends its cover too, out of band.
    from_project_page = {
        **HTMX,
        "HX-Current-URL": f"http://testserver{project.get_absolute_url()}",
    }
    documents: dict[str, str] = {}

    def page(name: str, client: Client, url: str, status=200, method="get", inside="", **kwargs):
        """Fetch a page, or a fragment to check `inside` the element htmx swaps it into."""
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code == status, f"{name}: {url} answered {response.status_code}"
        html = response.content.decode()
        if "HX-Request" in kwargs.get("headers", {}):
            html = FRAGMENT_DOCUMENT.format(f"<{inside}>{html}</{inside}>" if inside else html)
        documents[name] = html

    # What visitors see.
    page("gallery", visitor, reverse("portfolio:gallery"))
    page("gallery-fragment", visitor, reverse("portfolio:gallery") + "?page=1", headers=HTMX)
    page("project", visitor, project.get_absolute_url())
    after_first = f"?after={project.pictures.cursor_of(picture)}"
    page("project-step", visitor, project.get_absolute_url() + after_first)
    page(
        "project-step-fragment",
        visitor,
        project.get_absolute_url() + after_first,
        headers=HTMX,
        inside="ul",  # In place of the grid's More link.
    )
    page("picture", visitor, picture.get_absolute_url())
    page("about", visitor, reverse("portfolio:about"))
    page("login", visitor, reverse("login"))
    page("not-found", visitor, "/no-such-page/", status=404)
    documents["server-error"] = server_error(RequestFactory().get("/")).content.decode()

    # What a share link's holder sees.
    share_url = link.get_absolute_url()
    holder = Client()
    page("share-before-choosing", holder, share_url)
    start_url = reverse("portfolio:share-selection-start", kwargs={"token": link.token})
    assert holder.post(start_url, {"name": "Anna"}).status_code == 302
    page("share-with-personal-link", holder, share_url)
    page("share-favourites-only", holder, share_url + "?favourites=1")
    page("share", holder, share_url)
    page(
        "share-favourite-fragment",
        holder,
        reverse(
            "portfolio:share-favourite", kwargs={"token": link.token, "picture_id": pictures[1].pk}
        ),
        method="post",
        headers=HTMX,
    )
    page("share-password", Client(), locked_link.get_absolute_url())
    wrong = Client(REMOTE_ADDR="203.0.113.7")
    for name, status in [("share-password-wrong", 400)] * 4 + [("share-locked", 429)]:
        page(
            name,
            wrong,
            locked_link.get_absolute_url(),
            status=status,
            method="post",
            data={"password": "wrong"},
        )
    page(
        "share-unavailable",
        Client(),
        reverse("portfolio:share", kwargs={"token": "nothing"}),
        status=404,
    )

    # Signing in, and being locked out.
    refused = Client(REMOTE_ADDR="203.0.113.8")
    for _attempt in range(5):
        response = refused.post(reverse("login"), {"username": owner.username, "password": "no"})
    documents["login-locked-out"] = response.content.decode()

    # What the owner sees.
    page("studio", owner_client, reverse("portfolio:studio"))
    studio_after = f"?after={owner.projects.cursor_of(draft)}"  # The newest.
    page("studio-step", owner_client, reverse("portfolio:studio") + studio_after)
    page(
        "studio-step-fragment",
        owner_client,
        reverse("portfolio:studio") + studio_after,
        headers=HTMX,
        inside="ul",
    )
    page("profile", owner_client, reverse("portfolio:profile"))
    page("project-create", owner_client, reverse("portfolio:project-create"))
    page(
        "project-create-errors",
        owner_client,
        reverse("portfolio:project-create"),
        method="post",
        data={"title": ""},
    )
    page("project-owner", owner_client, project.get_absolute_url())
    page("project-draft", owner_client, draft.get_absolute_url())
    zip_url = reverse("portfolio:project-download", kwargs=slug)
    open_zips = [owner_client.get(zip_url) for _ in range(2)]  # Streams held open: two slots.
    page("downloads-busy", owner_client, zip_url, status=429)
    for response in open_zips:
        b"".join(response.streaming_content)
    page("picture-owner", owner_client, picture.get_absolute_url())
    page("project-update", owner_client, reverse("portfolio:project-update", kwargs=slug))
    page("project-delete", owner_client, reverse("portfolio:project-delete", kwargs=slug))
    page("picture-upload", owner_client, reverse("portfolio:picture-upload", kwargs=slug))
    page(
        "picture-upload-fragment",
        owner_client,
        reverse("portfolio:picture-upload", kwargs=slug),
        method="post",
        data={"photos": [uploaded_image("new.jpg")]},
        headers=HTMX,
    )
    page("picture-update", owner_client, picture_url("picture-update", picture))
    page("picture-focus", owner_client, picture_url("picture-focus", picture))
    page("picture-delete", owner_client, picture_url("picture-delete", picture))
    page(
        "picture-update-fragment",
        owner_client,
        picture_url("picture-update", picture),
        method="post",
        data={"caption": "Dawn"},
        headers=HTMX,
        inside="ul",  # A picture of the grid.
    )
    page(
        "picture-update-errors-fragment",
        owner_client,
        picture_url("picture-update", picture),
        method="post",
        data={"caption": "x" * 301},
        headers=HTMX,
    )
    page(
        "picture-cover-fragment",
        owner_client,
        picture_url("picture-cover", pictures[1]),
        method="post",
        headers=from_project_page,
    )
    page(
        "picture-move-fragment",
        owner_client,
        picture_url("picture-move", pictures[1]),
        method="post",
        data={"direction": "up", "shown_through": ""},
        headers=from_project_page,
    )
    page(
        "picture-focus-fragment",
        owner_client,
        picture_url("picture-focus", picture),
        method="post",
        data={"focal_x": "0.3", "focal_y": "0.6"},
        headers=HTMX,
        inside="ul",
    )
    page(
        "project-visibility-fragment",
        owner_client,
        reverse("portfolio:project-visibility", kwargs=slug),
        method="post",
        data={"visibility": "unlisted"},
        headers=HTMX,
    )
    sharing_url = reverse("portfolio:share-link-create", kwargs=slug)
    page("sharing", owner_client, sharing_url)
    page(
        "sharing-fragment",
        owner_client,
        sharing_url,
        method="post",
        data={"label": "for Ben", "downloads": "web"},
        headers=HTMX,
    )
    page(
        "sharing-errors-fragment",
        owner_client,
        sharing_url,
        method="post",
        data={"label": ""},
        headers=HTMX,
        status=400,
    )
    selection = link.selections.get()
    lock_url = reverse("portfolio:selection-lock", kwargs={**slug, "pk": selection.pk})
    page("selection-lock-fragment", owner_client, lock_url, method="post", headers=HTMX)
    page(
        "picture-move-fragment",
        owner_client,
        picture_url("picture-move", pictures[1]),
        method="post",
        data={"direction": "up"},
        headers=from_project_page,
    )
    page(
        "picture-delete-fragment",
        owner_client,
        picture_url("picture-delete", pictures[2]),
        method="post",
        headers=from_project_page,
    )
    revoke_url = reverse("portfolio:share-link-revoke", kwargs={**slug, "pk": link.pk})
    page("share-link-revoke-fragment", owner_client, revoke_url, method="post", headers=HTMX)
    page("sharing-after-revoking", owner_client, sharing_url)

    # Django refusing a request: too much form data.
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100):
        too_much = {"caption": "x" * 500}
        for name, headers in (("bad-request", {}), ("bad-request-fragment", HTMX)):
            page(
                name,
                owner_client,
                picture_url("picture-update", picture),
                status=400,
                method="post",
                data=too_much,
                headers=headers,
            )

    # The storage failing under an upload.
    def storage_down(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(FileSystemStorage, "_save", storage_down)
    page(
        "storage-unavailable",
        owner_client,
        reverse("portfolio:picture-upload", kwargs=slug),
        status=503,
        method="post",
        data={"photos": [uploaded_image("lost.jpg")]},
    )
    return documents


def nu_check(documents: dict[str, str], folder) -> list[str]:
    """The checker's errors in the documents, one line each, named by document."""
    assert VNU_JAR.exists(), f"No {VNU_JAR}: `make test` installs it (tests/vnu/, npm ci)."
    paths = []
    for name, html in documents.items():
        paths.append(folder / f"{name}.html")
        paths[-1].write_text(html, encoding="utf-8")
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stderr or result.stdout)
    return [
        f"{message.get('url', '').rsplit('/', 1)[-1]}:{message.get('lastLine')}: "
        f"{message['message']} [{re.sub(r'\s+', ' ', message.get('extract', ''))}]"
        for message in report["messages"]
    ]
