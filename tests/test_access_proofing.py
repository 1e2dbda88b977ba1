"""
tests/test_access.py's matrix extended with client proofing: every kind of viewer × every page
and endpoint of selections, for public, unlisted and private projects. Only a working link
opens its own selections to its holders; the owner and staff see every link's, frozen or not;
nobody else reaches any of it.
"""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portfolio.models import Favourite, Project, Selection, ShareLink
from tests.helpers import HTMX
from tests.test_access import OK, PASSWORD_FORM, VIEWERS, VISIBILITIES, Scene, make_scene, outcome

pytestmark = pytest.mark.django_db

SHARE_ENDPOINTS = ("start", "favourite", "send", "reopen", "leave")
OWNER_ENDPOINTS = ("edit_page", "lock", "csv", "link_favourites")
LOGIN = "sign-in"
SECRET_NOTE = "Only for the photographer"


def expected(visibility: str, viewer: str) -> dict[str, str]:
    """What each viewer gets of proofing: "ok" (and its effect), a status, or the sign-in."""
    owner_side = {
        "owner": OK,
        "staff": OK,
        "other-owner": "404",
    }.get(viewer, LOGIN)
    share_side = "404"  # Without a link, a made-up token opens nothing.
    if viewer == "link-expired":
        share_side = "410"
    elif viewer == "link-no-password" and visibility != "private":
        share_side = PASSWORD_FORM
    elif viewer in ("link-originals", "link-none") and visibility != "private":
        share_side = OK
    return {
        **dict.fromkeys(SHARE_ENDPOINTS, share_side),
        **dict.fromkeys(OWNER_ENDPOINTS, owner_side),
    }


def proofing_scene(visibility: str) -> tuple[Scene, dict[str, Selection]]:
    """test_access's scene, every link taking favourites, each with a sent selection."""
    scene = make_scene(visibility)
    ShareLink.objects.filter(project=scene.project).update(allows_favourites=True)
    selections = {}
    for viewer, link in scene.links.items():
        selection = Selection.objects.create(
            link=link, name=f"Zoë of {viewer}", note=SECRET_NOTE, sent_at=timezone.now()
        )
        Favourite.objects.create(selection=selection, picture=scene.rendered[0])
        selections[viewer] = selection
    return scene, selections


def state() -> tuple:
    return (
        list(Selection.objects.order_by("pk").values_list("name", "note", "sent_at", "locked_at")),
        list(Favourite.objects.order_by("pk").values_list("selection", "picture")),
    )


def answer(response) -> str:
    """A POST's outcome: "ok" for a redirect back to the share page (or 200 to htmx)."""
    if response.status_code == 302:
        if response.url.startswith(reverse("login")):
            return LOGIN
        return OK
    if response.status_code == 400 and "portfolio/share_password.html" in {
        template.name for template in response.templates or []
    }:
        return PASSWORD_FORM
    return outcome(response)


def share_url(token: str, name: str, **kwargs) -> str:
    return reverse(f"portfolio:{name}", kwargs={"token": token, **kwargs})


# ---------------------------------------------------------------- the matrix


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_what_each_viewer_reaches_of_selections(visibility, viewer):
    scene, selections = proofing_scene(visibility)
    client, page_url, _, _ = scene.viewer(viewer)
    want = expected(visibility, viewer)
    token = scene.links[viewer].token if viewer.startswith("link-") else "no-such-link"
    own_selection = selections.get(viewer)
    picture = scene.rendered[1]

    # The page they see: their link's selection panel at most, never anyone's selection.
    html = client.get(page_url).content.decode()
    assert ('id="selection"' in html) == (want["start"] == OK)
    assert SECRET_NOTE not in html
    assert "Zoë of" not in html

    before = state()
    share_posts = [
        ("start", share_url(token, "share-selection-start"), {"name": "Eve"}),
        ("favourite", share_url(token, "share-favourite", picture_id=picture.pk), {}),
        ("send", share_url(token, "share-selection-send"), {"name": "Eve", "note": "Hi"}),
        ("reopen", share_url(token, "share-selection-reopen"), {}),
        ("leave", share_url(token, "share-selection-leave"), {}),
    ]
    for endpoint, url, data in share_posts:
        response = client.post(url, data)
        assert answer(response) == want[endpoint], endpoint
        if viewer.startswith("link-"):
            assert response["X-Robots-Tag"] == "noindex, nofollow"
            assert "no-cache" in response["Cache-Control"]
    if want["start"] == OK:
        # Eve chose one picture, sent it, reopened it and left; Zoë's stayed as it was.
        eve = Selection.objects.get(link=scene.links[viewer], name="Eve")
        assert (eve.note, eve.is_sent, [p.pk for p in eve.pictures()]) == (
            "Hi",
            False,
            [picture.pk],
        )
        assert Selection.objects.exclude(pk=eve.pk).count() == len(selections)
    else:
        assert state() == before
    # An htmx heart is refused alike, with no fragment.
    response = client.post(share_posts[1][1], headers=HTMX)
    if want["favourite"] == OK:
        assert response.status_code == 409  # Eve left: no name, no heart.
    elif want["favourite"] == PASSWORD_FORM:
        # htmx swaps no 4xx: it is told to ask for the password, with no fragment.
        assert response.status_code == 400 and response.content == b""
        assert "password" in json.loads(response["HX-Trigger"])["request-refused"]["message"]
    else:
        assert answer(response) == want["favourite"]
        assert b"favourite-button" not in response.content

    # The owner's side: every link's selections, with their notes and file names.
    target = selections["link-originals"]
    slug = scene.project.slug
    edit_page = client.get(reverse("portfolio:project-update", kwargs={"slug": slug}))
    assert answer(edit_page) == want["edit_page"]
    if want["edit_page"] == OK:
        page = edit_page.content.decode()
        for selection in selections.values():
            assert selection.name in page
        assert SECRET_NOTE in page
        assert f"{scene.rendered[0].original_filename}</textarea>" in page
    csv = client.get(reverse("portfolio:selection-csv", kwargs={"slug": slug, "pk": target.pk}))
    assert answer(csv) == want["csv"]
    assert (scene.rendered[0].original_filename.encode() in csv.content) == (want["csv"] == OK)
    lock = reverse("portfolio:selection-lock", kwargs={"slug": slug, "pk": target.pk})
    assert answer(client.post(lock, {"lock": "1"})) == want["lock"]
    target.refresh_from_db()
    assert target.is_locked == (want["lock"] == OK)
    other_link = scene.links["link-none"]
    favourites = reverse(
        "portfolio:share-link-favourites", kwargs={"slug": slug, "pk": other_link.pk}
    )
    response = client.post(favourites, {"allows_favourites": "on", "favourite_limit": "7"})
    assert answer(response) == want["link_favourites"]
    other_link.refresh_from_db()
    assert (other_link.favourite_limit == 7) == (want["link_favourites"] == OK)
    if own_selection is not None and own_selection != target:
        own_selection.refresh_from_db()
        assert not own_selection.is_locked


def test_only_holders_of_a_working_link_choose_and_only_the_owner_and_staff_read():
    choosers, readers = set(), set()
    for visibility in VISIBILITIES:
        scene, selections = proofing_scene(visibility)
        target = selections["link-originals"]
        csv_url = reverse(
            "portfolio:selection-csv", kwargs={"slug": scene.project.slug, "pk": target.pk}
        )
        for viewer in VIEWERS:
            client, *_ = scene.viewer(viewer)
            token = scene.links[viewer].token if viewer.startswith("link-") else "no-such-link"
            name = f"Eve {visibility} {viewer}"
            client.post(share_url(token, "share-selection-start"), {"name": name})
            if Selection.objects.filter(name=name).exists():
                choosers.add((visibility, viewer))
            csv = client.get(csv_url)
            if scene.rendered[0].original_filename.encode() in csv.content:
                readers.add((visibility, viewer))
    assert {viewer for _, viewer in choosers} == {"link-originals", "link-none"}
    assert {visibility for visibility, _ in choosers} == {"public", "unlisted"}
    assert {viewer for _, viewer in readers} == {"owner", "staff"}
    assert {visibility for visibility, _ in readers} == set(VISIBILITIES)


# ---------------------------------------------------------------- a holder whose link changes


def wrong_token(link: ShareLink) -> None:
    link.key = "x" * len(link.key)  # Not saved: the URL names a link that never was.


def expire(link: ShareLink) -> None:
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def make_private(link: ShareLink) -> None:
    Project.objects.filter(pk=link.project_id).update(visibility="private")


def turn_favourites_off(link: ShareLink) -> None:
    ShareLink.objects.filter(pk=link.pk).update(allows_favourites=False)


def protect(link: ShareLink) -> None:
    link.set_password("a secret")
    link.save()


LINK_STATES = [
    ("wrong link", wrong_token, 404),
    ("revoked", ShareLink.revoke, 404),
    ("expired", expire, 410),
    ("project private", make_private, 404),
    ("no favourites", turn_favourites_off, 404),
    ("password not given", protect, 400),
]


def holder_posts(link: ShareLink, picture) -> list[tuple[str, str, dict]]:
    token = link.token
    return [
        ("favourite", share_url(token, "share-favourite", picture_id=picture.pk), {}),
        ("start", share_url(token, "share-selection-start"), {"name": "Eve"}),
        ("send", share_url(token, "share-selection-send"), {"name": "Anna"}),
        ("reopen", share_url(token, "share-selection-reopen"), {}),
        ("leave", share_url(token, "share-selection-leave"), {}),
    ]


@pytest.fixture
def holder():
    """A holder of an unlisted project's link, who chose one picture while it worked."""
    scene = make_scene("unlisted")
    link = scene.links["link-originals"]
    ShareLink.objects.filter(pk=link.pk).update(allows_favourites=True)
    link.refresh_from_db()
    client = Client()
    client.post(share_url(link.token, "share-selection-start"), {"name": "Anna"})
    client.post(share_url(link.token, "share-favourite", picture_id=scene.rendered[0].pk))
    assert Favourite.objects.count() == 1
    return client, link, scene.rendered[1]


@pytest.mark.parametrize("endpoint", range(5), ids=SHARE_ENDPOINTS)
@pytest.mark.parametrize(
    ("case", "change", "status"), LINK_STATES, ids=[s[0] for s in LINK_STATES]
)
def test_a_link_that_stopped_working_takes_nothing_more(holder, endpoint, case, change, status):
    client, link, picture = holder
    before = state()
    change(link)
    name, url, data = holder_posts(link, picture)[endpoint]
    for headers in [{}, HTMX]:
        response = client.post(url, data, headers=headers)
        assert response.status_code == status
        assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert state() == before
    # Anyone else, without the holder's session: the same.
    assert Client().post(url, data).status_code == status
    assert state() == before


@pytest.mark.parametrize("endpoint", range(5), ids=SHARE_ENDPOINTS)
def test_a_locked_selection_changes_through_no_endpoint(holder, endpoint):
    client, link, picture = holder
    Selection.objects.get().lock()
    before = state()
    name, url, data = holder_posts(link, picture)[endpoint]
    response = client.post(url, data, headers=HTMX)
    if name in ("start", "leave"):
        assert response.status_code == 302  # Anyone may start their own, or leave.
        assert Selection.objects.get(name="Anna").favourites.count() == 1
        return
    assert response.status_code == 409
    assert "locked" in json.loads(response["HX-Trigger"])["request-refused"]["message"]
    assert state() == before


def test_share_endpoints_only_take_posts(holder):
    client, link, picture = holder
    for name, url, _ in holder_posts(link, picture):
        assert client.get(url).status_code == 405, name
