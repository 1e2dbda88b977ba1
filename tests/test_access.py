"""
Who may fetch which bytes: every kind of viewer × every address a page hands out or a download
view answers, for public, unlisted and private projects; on disk and, under `make test`, in
buckets (the media_root fixture switches the storages).

How a URL is fetched: tests/fetching.py, as a browser would, and a public file's URL is checked
to be MEDIA_URL + its name.

moto, the S3 server of `make test`, refuses an unsigned request for an object of a bucket with
no policy (the private one), but accepts a presigned URL whatever its signature or expiry
(tried: an expired one and one with a changed signature both answer 200). So in buckets a URL's
lifetime is asserted from its parameters, X-Amz-Date + X-Amz-Expires, not by fetching it late.
"""

import base64
import contextlib
import io
import pickle
import re
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portfolio.access import (
    Grant,
    PictureMedia,
    decide,
    grant_for,
    original_bytes,
    read_signed_file_url,
    signed_file_url,
    url_expiry,
)
from portfolio.models import Picture, Project, ShareLink
from tests.fetching import body, fetch, media_urls, read, stored_name
from tests.helpers import HTMX, make_picture, make_project, make_staff, make_user, signed_in
from tests.production.services import needs_bucket

pytestmark = pytest.mark.django_db

VISIBILITIES = ["public", "unlisted", "private"]
VIEWERS = [
    "anonymous",
    "other-owner",
    "owner",
    "staff",
    "link-originals",
    "link-none",
    "link-no-password",
    "link-expired",
    "link-revoked",
]
OK, PASSWORD_FORM = "ok", "password form"
ALL = ("page", "original", "web", "zip_web", "zip_original")


def expected(visibility: str, viewer: str) -> dict[str, str]:
    """What each viewer gets: "ok" (200 and the right bytes), the password form, or a status."""

    def every(outcome: str) -> dict[str, str]:
        return dict.fromkeys(ALL, outcome)

    if viewer in ("anonymous", "other-owner"):
        if visibility != "public":
            return every("404")
        # The project lets visitors download web sizes (the scene's downloads="web").
        return {**every(OK), "original": "404", "zip_original": "404"}
    if viewer in ("owner", "staff"):
        return every(OK)
    if viewer == "link-expired":
        return every("410")  # Says so, whatever became of the project.
    if viewer == "link-revoked" or visibility == "private":
        return every("404")  # A private project's links open nothing.
    if viewer == "link-originals":
        return every(OK)
    if viewer == "link-none":
        return {**every("404"), "page": OK}
    return every(PASSWORD_FORM)


# ---------------------------------------------------------------- the scene


@dataclass
class Scene:
    owner: object
    project: Project
    rendered: list[Picture]
    pending: Picture  # Its renditions not made yet: an empty frame, even to its owner.
    links: dict[str, ShareLink] = field(default_factory=dict)

    @property
    def pictures(self) -> list[Picture]:
        return [*self.rendered, self.pending]

    def viewer(self, viewer: str) -> tuple[Client, str, callable, str]:
        """The viewer's client, page, picture-download address and ZIP address."""
        if viewer.startswith("link-"):
            token = self.links[viewer].token
            return (
                Client(),
                reverse("portfolio:share", kwargs={"token": token}),
                lambda pk: reverse(
                    "portfolio:share-picture-download", kwargs={"token": token, "pk": pk}
                ),
                reverse("portfolio:share-download", kwargs={"token": token}),
            )
        client = {
            "anonymous": Client,
            "other-owner": lambda: signed_in(make_user()),
            "owner": lambda: signed_in(self.owner),
            "staff": lambda: signed_in(make_staff()),
        }[viewer]()
        slug = self.project.slug
        return (
            client,
            self.project.get_absolute_url(),
            lambda pk: reverse("portfolio:picture-download", kwargs={"slug": slug, "pk": pk}),
            reverse("portfolio:project-download", kwargs={"slug": slug}),
        )


def make_scene(visibility: str, owner=None) -> Scene:
    owner = owner or make_user()
    project = make_project(owner, visibility=visibility, downloads="web")
    rendered = [
        make_picture(project, original_filename=f"Dune {n}.jpg", size=(600, 400)) for n in (1, 2)
    ]
    pending = make_picture(project, original_filename="Ridge.jpg", renditions=False)
    scene = Scene(owner, project, rendered, pending)
    past = timezone.now() - timedelta(hours=1)
    for viewer, fields, password in [
        ("link-originals", {"downloads": "originals"}, ""),
        ("link-none", {"downloads": "none"}, ""),
        ("link-no-password", {"downloads": "originals"}, "dunes-for-anna"),
        ("link-expired", {"downloads": "originals", "expires_at": past}, ""),
        ("link-revoked", {"downloads": "originals", "revoked_at": past}, ""),
    ]:
        link = ShareLink(project=project, label=viewer, **fields)
        link.set_password(password)
        link.save()
        scene.links[viewer] = link
    return scene


# ---------------------------------------------------------------- reading pages and files


def outcome(response) -> str:
    templates = {template.name for template in response.templates or []}
    if response.status_code == 200 and "portfolio/share_password.html" in templates:
        return PASSWORD_FORM
    return OK if response.status_code == 200 else str(response.status_code)


def download(client: Client, url: str) -> tuple[str, bytes]:
    """What a download link gives: the file (after its redirect), a form, or a status."""
    response = client.get(url)
    if response.status_code != 302:
        result = outcome(response)
        content = body(response)
        if result == OK:
            assert "attachment" in response["Content-Disposition"]
        return result, content if result == OK else b""
    assert "private" in response["Cache-Control"]
    status, content, headers = fetch(client, response["Location"])
    assert status == 200, response["Location"]
    assert "attachment" in headers.get("Content-Disposition", ""), response["Location"]
    return OK, content


def zip_contents(content: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        return sorted(archive.read(name) for name in archive.namelist())


def assert_no_secret_in(html: str, secret_names: set[str]) -> None:
    """A public page: no original, no signed address, no file of a project not public."""
    assert "/files/" not in html
    assert "X-Amz-" not in html
    for name in secret_names:
        assert name not in html


# ---------------------------------------------------------------- the matrix


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_what_each_viewer_may_fetch(visibility, viewer):
    scene = make_scene(visibility)
    client, page_url, picture_download, zip_url = scene.viewer(viewer)
    want = expected(visibility, viewer)
    public = visibility == "public"
    sees_originals = want["original"] == OK

    page = client.get(page_url)
    html = page.content.decode()
    assert outcome(page) == want["page"]
    if viewer.startswith("link-"):
        assert "noindex" in page["X-Robots-Tag"]
        assert re.search(r'<meta name="robots" content="noindex[^"]*">', html)
    if want["page"] != OK:
        assert media_urls(html) == set()
    else:
        urls = media_urls(html)
        shown = {url: stored_name(url) for url in urls}
        renditions = {r["name"] for picture in scene.rendered for r in picture.renditions}
        # An original is never shown in a page, to anyone: only downloaded.
        assert set(shown.values()) == renditions
        for url, name in shown.items():
            status, content, _ = fetch(client, url)
            assert status == 200, url
            assert content == read(name, public)
            if public:
                assert url == f"{settings.MEDIA_URL}{name}"  # Plain, cacheable.
            else:
                assert not url.startswith(settings.MEDIA_URL)
                assert url.startswith("/files/") or "X-Amz-Signature" in url
                if "X-Amz-Signature" in url:
                    # Without its signature, the private bucket refuses it.
                    assert requests.get(url.partition("?")[0], timeout=10).status_code == 403
        # "The URL in the page" for an original: its download link, to whoever may, for each
        # picture shown (a pending one is an empty frame), and the ZIP's.
        assert html.count("?size=original") == (len(scene.rendered) + 1 if sees_originals else 0)
        if viewer in ("anonymous", "other-owner"):
            assert_no_secret_in(html, {picture.photo.name for picture in scene.pictures})

    for picture in scene.pictures:
        result, content = download(client, f"{picture_download(picture.pk)}?size=original")
        assert result == want["original"], picture
        if result == OK:
            assert content == original_bytes(picture)
    for picture in scene.rendered:
        result, content = download(client, f"{picture_download(picture.pk)}?size=web")
        assert result == want["web"], picture
        if result == OK:
            assert content == read(picture.web_size, public)

    result, content = download(client, f"{zip_url}?size=web")
    assert result == want["zip_web"]
    if result == OK:
        web_sizes = [picture.web_size for picture in scene.rendered]
        assert zip_contents(content) == sorted(read(name, public) for name in web_sizes)
    result, content = download(client, f"{zip_url}?size=original")
    assert result == want["zip_original"]
    if result == OK:
        originals = [original_bytes(picture) for picture in scene.pictures]
        assert zip_contents(content) == sorted(originals)


# ---------------------------------------------------------------- the policy itself


def grant_of(scene: Scene, viewer: str):
    """The grant access.grant_for() gives this viewer, from what the views resolve them into."""
    if viewer.startswith("link-"):
        return grant_for(scene.project, link=ShareLink.objects.get(pk=scene.links[viewer].pk))
    user = {
        "anonymous": lambda: None,
        "other-owner": make_user,
        "owner": lambda: scene.owner,
        "staff": make_staff,
    }[viewer]()
    return grant_for(scene.project, user=user)


def holding(scene: Scene, viewer: str) -> tuple[Client, callable]:
    """The viewer's client, past the password form if their link has one and opens."""
    client, page_url, picture_download, _ = scene.viewer(viewer)
    if viewer == "link-no-password":
        client.post(page_url, {"password": "dunes-for-anna"})
    return client, picture_download


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_the_download_views_answer_what_the_policy_decides(visibility):
    scene = make_scene(visibility)
    for viewer in VIEWERS:
        client, picture_download = holding(scene, viewer)
        grant = grant_of(scene, viewer)
        for picture in scene.pictures:
            for size in ("web", "original"):
                decision = decide(grant, picture, size=size, attachment=True)
                result, _ = download(client, f"{picture_download(picture.pk)}?size={size}")
                assert (result == OK) == decision.allowed, (viewer, picture, size)


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_the_sizes_a_page_offers_are_those_the_policy_lets_a_viewer_download(visibility):
    scene = make_scene(visibility)
    offered = {}
    for viewer in VIEWERS:
        grant = grant_of(scene, viewer)
        for picture in scene.pictures:
            media = PictureMedia(picture, grant)
            allowed = [
                size
                for size in ("web", "original")
                if decide(grant, picture, size=size, attachment=True)
            ]
            # Only of a picture the page shows: a frame still waiting offers nothing.
            assert media.download_sizes == (allowed if media.renditions_visible else []), (
                viewer,
                picture,
            )
            offered[viewer, picture.original_filename] = media.download_sizes
    assert offered["owner", "Dune 1.jpg"] == ["web", "original"]
    assert offered["link-none", "Dune 1.jpg"] == []
    if visibility != "private":  # A private project's links open nothing.
        assert offered["link-originals", "Dune 1.jpg"] == ["web", "original"]
        # No rendition yet: an empty frame, which offers nothing, its original included.
        assert offered["link-originals", "Ridge.jpg"] == []
    public = ["web"] if visibility == "public" else []
    assert offered["anonymous", "Dune 1.jpg"] == public
    assert offered["anonymous", "Ridge.jpg"] == []


def test_only_the_owner_and_staff_are_granted_a_private_project():
    scene = make_scene("private")
    assert {viewer for viewer in VIEWERS if grant_of(scene, viewer)} == {"owner", "staff"}


def test_originals_go_to_the_owner_staff_and_links_allowed_them_never_into_a_public_page():
    scene = make_scene("public")
    scene.project.downloads = "originals"
    scene.project.save()
    picture = scene.pending
    downloaders = {
        viewer
        for viewer in VIEWERS
        if decide(grant_of(scene, viewer), picture, size="original", attachment=True)
    }
    assert downloaders == {
        "anonymous",
        "other-owner",
        "owner",
        "staff",
        "link-originals",
        "link-no-password",
    }
    # Shown in a page: never, to anyone (it is the upload as it came).
    shown = {
        viewer
        for viewer in VIEWERS
        if decide(grant_of(scene, viewer), picture, name=picture.photo.name, public=False)
    }
    assert shown == set()
    html = Client().get(scene.project.get_absolute_url()).content.decode()
    assert picture.photo.name.rpartition("/")[2] not in html
    # A download link for each picture this visitor is shown, and the ZIP's.
    assert html.count("?size=original") == len(scene.rendered) + 1


def test_a_file_is_refused_where_it_is_not_or_to_whom_it_is_not_for():
    scene = make_scene("unlisted")
    picture, other = scene.rendered
    owner, anyone = grant_of(scene, "owner"), grant_of(scene, "link-none")
    rendition = picture.renditions[0]["name"]
    assert decide(owner, picture, name=rendition, public=False)
    assert decide(anyone, picture, name=rendition, public=False)
    # In another storage than it is now (moved since), another picture's, or not a download.
    assert not decide(owner, picture, name=rendition, public=True)
    assert not decide(owner, other, name=rendition, public=False)
    assert not decide(anyone, picture, name=rendition, public=False, attachment=True)
    assert not decide(anyone, picture, name=picture.photo.name, public=False)
    assert not decide(owner, picture, size="huge", attachment=True)
    assert not decide(None, picture, name=rendition, public=False)


# ---------------------------------------------------------------- public pages and their cache


def test_no_file_of_a_project_not_public_reaches_a_public_page_or_the_page_cache():
    owner = make_user()
    shown = make_scene("public", owner)
    hidden = [make_scene("unlisted", owner), make_scene("private", owner)]
    secret = {picture.photo.name for picture in shown.pictures}
    for scene in hidden:
        for picture in scene.pictures:
            secret |= {picture.photo.name, *picture.rendition_names}
    visitor = Client()
    pages = [
        ("/", {}),
        ("/", HTMX),
        (shown.project.get_absolute_url(), {}),
    ]

    for url, headers in pages * 2:  # The second time from the page cache.
        response = visitor.get(url, headers=headers)
        assert response.status_code == 200
        assert_no_secret_in(response.content.decode(), secret)
    kept = [pickle.loads(value) for value in caches["pages"]._cache.values()]
    assert len(kept) == len(pages)
    for response in kept:
        assert_no_secret_in(response.content.decode(), secret)
    # What the public pages show of the public project is there, served from the cache too.
    gallery = visitor.get("/").content.decode()
    assert f"{settings.MEDIA_URL}{shown.rendered[0].rendition_names[0]}" in gallery

    # Made private, the project leaves every public page at once, its files still moving.
    shown.project.visibility = "private"
    shown.project.save()
    assert visitor.get(shown.project.get_absolute_url()).status_code == 404
    for picture in shown.rendered:
        secret |= set(picture.rendition_names)
    assert_no_secret_in(visitor.get("/").content.decode(), secret)
    assert_no_secret_in(visitor.get("/", headers=HTMX).content.decode(), secret)


# ---------------------------------------------------------------- taking access back


def handed_out(client: Client, scene: Scene, link: ShareLink) -> set[str]:
    """Every media address the link's holder was given: in the page and by its downloads."""
    urls = media_urls(client.get(link.get_absolute_url()).content.decode())
    for picture in scene.pictures:
        for size in ("original", "web"):
            path = reverse(
                "portfolio:share-picture-download", kwargs={"token": link.token, "pk": picture.pk}
            )
            response = client.get(f"{path}?size={size}")
            if response.status_code == 302:
                urls.add(response["Location"])
    return urls


@pytest.mark.local_media
def test_on_disk_revoking_a_link_stops_every_address_it_handed_out_at_once(settings):
    settings.PORTFOLIO_PRIVATE_URL_SECONDS = 10
    scene = make_scene("unlisted")
    link = scene.links["link-originals"]
    holder = Client()
    urls = handed_out(holder, scene, link)
    # Three pictures' originals, two of web size, and the renditions in the page.
    assert len([url for url in urls if url.startswith("/files/")]) == len(urls) >= 5 + 4
    assert all(fetch(holder, url)[0] == 200 for url in urls)

    revoke = reverse(
        "portfolio:share-link-revoke", kwargs={"slug": scene.project.slug, "pk": link.pk}
    )
    assert signed_in(scene.owner).post(revoke).status_code == 302

    assert holder.get(link.get_absolute_url()).status_code == 404
    assert {url: fetch(holder, url)[0] for url in urls} == dict.fromkeys(urls, 404)


@needs_bucket
def test_in_buckets_what_a_revoked_link_handed_out_expires_within_the_lifetime(settings):
    # moto accepts expired presigned URLs: their lifetime is read from their parameters.
    settings.PORTFOLIO_PRIVATE_URL_SECONDS = 10
    scene = make_scene("unlisted")
    link = scene.links["link-originals"]
    holder = Client()
    urls = handed_out(holder, scene, link)
    assert len(urls) >= 5 + 4
    private_bucket = settings.STORAGES["private"]["OPTIONS"]["bucket_name"]
    assert private_bucket != settings.STORAGES["default"]["OPTIONS"]["bucket_name"]
    handed_at = datetime.now(UTC)

    link.revoke()

    assert holder.get(link.get_absolute_url()).status_code == 404
    # Originals never leave by a presigned URL: our file view sends them, and asks again.
    originals = [url for url in urls if url.startswith("/files/")]
    assert originals and all(holder.get(url).status_code == 404 for url in originals)
    for url in set(urls) - set(originals):
        parts = urlsplit(url)
        assert parts.path.startswith(f"/{private_bucket}/"), url
        query = parse_qs(parts.query)
        signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        expires_at = signed_at + timedelta(seconds=int(query["X-Amz-Expires"][0]))
        assert expires_at <= handed_at + timedelta(seconds=10), url
        assert "X-Amz-Signature" in query
        assert requests.get(url.partition("?")[0], timeout=10).status_code == 403


@pytest.mark.local_media
def test_on_disk_a_signed_address_stops_working_when_it_expires(settings, monkeypatch):
    settings.PORTFOLIO_PRIVATE_URL_SECONDS = 10
    scene = make_scene("private")
    owner = signed_in(scene.owner)
    urls = media_urls(owner.get(scene.project.get_absolute_url()).content.decode())
    assert urls and all(url.startswith("/files/") for url in urls)
    assert all(fetch(owner, url)[0] == 200 for url in urls)
    picture = scene.rendered[0]
    name = picture.rendition_names[0]
    grant = grant_for(scene.project, user=scene.owner)
    expired = signed_file_url(picture, name, False, grant, url_expiry() - 10)
    assert fetch(owner, expired)[0] == 404

    # Past the lifetime, every address handed out is refused.
    later = time.time() + 11
    monkeypatch.setattr("portfolio.access.time", SimpleNamespace(time=lambda: later))
    assert {url: fetch(owner, url)[0] for url in urls} == dict.fromkeys(urls, 404)


def test_a_signed_address_reveals_no_id_and_only_we_can_read_it(settings):
    picture = SimpleNamespace(pk=876543)
    name, holder = "projects/765432/3f2a_w480.webp", "link:987654"
    expires = url_expiry()
    url = signed_file_url(picture, name, False, Grant(holder), expires, "DSC 0001.jpg")
    _, files, token, basename = url.split("/")
    assert (files, basename) == ("files", "3f2a_w480.webp")
    sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    readable = [sealed]
    for start in range(len(sealed)):  # Whatever part of it might be compressed text.
        with contextlib.suppress(zlib.error):
            readable.append(zlib.decompressobj().decompress(sealed[start:]))
    for text in readable:
        for secret in [b"876543", b"765432", b"987654", b"link", b"projects", b"DSC"]:
            assert secret not in text
    signed = read_signed_file_url(token)
    assert (signed.picture_id, signed.name, signed.holder, signed.filename) == (
        876543,
        name,
        holder,
        "DSC 0001.jpg",
    )
    # The same file for the same holder until the same time: the same address, which the
    # browser keeps (url_expiry()).
    assert signed_file_url(picture, name, False, Grant(holder), expires, "DSC 0001.jpg") == url
    # Changed anywhere, or sealed under another key, it reads as nothing; an old key still
    # opens what it sealed while it is a fallback.
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for wrong in [flipped, token[:-2], token + "AA", "", "!!!", "A" * 5000]:
        assert read_signed_file_url(wrong) is None
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "another-secret-key-" + "y" * 40
    assert read_signed_file_url(token) is None
    settings.SECRET_KEY_FALLBACKS = [old]
    assert read_signed_file_url(token).picture_id == 876543
