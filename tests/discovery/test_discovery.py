"""
How the site is shared and found (portfolio/discovery/): link previews on every page, the
sitemap, the feed, robots.txt and the JSON-LD, read as a visitor and a crawler read them.
Nothing unlisted or private appears in any of them.
"""

import io
import json
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client
from django.utils import timezone
from django.utils.http import http_date
from PIL import Image

from portfolio.access import PUBLIC, PictureMedia, public_storage
from portfolio.discovery.facts import public_rendition
from portfolio.models import Picture, Profile, Project, ShareLink, SiteIdentity
from portfolio.tasks import make_renditions
from tests.helpers import (
    exif_with_location,
    make_category,
    make_picture,
    make_project,
    make_stored_pictures,
    public_media,
    signed_in,
    uploaded_image,
)

pytestmark = pytest.mark.django_db

ORIGIN = "http://testserver"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
IMAGE = "{http://www.google.com/schemas/sitemap-image/1.1}"
ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"


@pytest.fixture
def site(owner):
    landscape = make_category("Landscape")
    hills = make_project(
        owner, title="Hills", category=landscape, description="Green hills.\nMorning light."
    )
    # Large enough for a card of the full 1200 × 630.
    morning = make_picture(hills, caption="Morning", size=(1600, 1000))
    evening = make_picture(hills, size=(80, 40))
    coast = make_project(owner, title="Coast")
    harbour = make_picture(coast, caption="Harbour")
    unlisted = make_project(owner, title="Client Proofs", visibility="unlisted")
    proof = make_picture(unlisted, caption="Proof one")
    private = make_project(owner, title="Secret Draft", visibility="private")
    secret = make_picture(private, caption="Unseen")
    link = ShareLink.objects.create(project=unlisted, label="for Anna")
    return SimpleNamespace(**locals())


def hidden_words(site) -> list[str]:
    """What would betray the unlisted and private projects: titles, slugs, captions, files."""
    words = []
    for project, picture in [(site.unlisted, site.proof), (site.private, site.secret)]:
        picture.refresh_from_db()
        words += [project.title, f"/projects/{project.slug}/", picture.caption]
        words += [picture.photo.name, *picture.rendition_names]
    return words


# ---------------------------------------------------------------- reading pages


class HeadTags(HTMLParser):
    """The tags a link preview or a crawler reads: meta, link, JSON-LD."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.meta, self.links, self.json_ld, self.scripts = {}, {}, [], []
        self._in_json_ld = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "meta" and "content" in attributes:
            key = attributes.get("property") or attributes.get("name")
            if key:
                assert key not in self.meta, f"{key} twice"
                self.meta[key] = attributes["content"]
        elif tag == "link":
            self.links.setdefault(attributes["rel"], []).append(attributes)
        elif tag == "script":
            self.scripts.append(attributes)
            self._in_json_ld = attributes.get("type") == "application/ld+json"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_json_ld = False

    def handle_data(self, data: str) -> None:
        if self._in_json_ld:
            self.json_ld.append(json.loads(data))

    @property
    def canonical(self) -> str:
        [link] = self.links["canonical"]
        return link["href"]


def tags_of(client: Client, url: str, status: int = 200) -> HeadTags:
    response = client.get(url)
    assert response.status_code == status
    return HeadTags(response.content.decode())


def absolute(url: str) -> str:
    return urljoin(f"{ORIGIN}/", url)


def card_of(picture: Picture) -> tuple[str, int, int]:
    """The picture's card: its public address, and its size as stored."""
    url = absolute(PictureMedia(picture, PUBLIC).card_url())
    assert picture.card and url.endswith(picture.card)
    return url, *stored_image_size(url)


def site_name() -> str:
    return SiteIdentity.current().name


def stored_image_size(url: str) -> tuple[int, int]:
    """The real size of the public file at `url`, read from the storage it names."""
    prefix = absolute(settings.MEDIA_URL)
    assert url.startswith(prefix), url
    with public_storage().open(url.removeprefix(prefix), "rb") as stored:
        return Image.open(io.BytesIO(stored.read())).size


def assert_previews(tags: HeadTags, *, url: str, title: str, picture: Picture) -> None:
    """A full preview of a public page: absolute URLs, the picture's card and its size."""
    image, width, height = card_of(picture)
    assert tags.canonical == tags.meta["og:url"] == url
    assert tags.meta["og:title"] == tags.meta["twitter:title"] == title
    assert tags.meta["og:site_name"] == site_name()
    assert tags.meta["og:type"] == "website"
    assert tags.meta["og:description"] == tags.meta["twitter:description"]
    assert tags.meta["og:image"] == tags.meta["twitter:image"] == image
    assert (int(tags.meta["og:image:width"]), int(tags.meta["og:image:height"])) == (width, height)
    assert tags.meta["og:image:alt"] == tags.meta["twitter:image:alt"] == picture.alt_text
    assert tags.meta["twitter:card"] == "summary_large_image"
    for value in [tags.canonical, tags.meta["og:image"]]:
        assert urlsplit(value).scheme == "http" and urlsplit(value).netloc == "testserver"
    [feed] = tags.links["alternate"]
    assert feed["type"] == "application/atom+xml"


def assert_neutral(tags: HeadTags, url: str) -> None:
    """A preview that tells nothing but the site's name and the address the holder has."""
    assert tags.canonical == tags.meta["og:url"] == absolute(url)
    assert tags.meta["og:title"] == tags.meta["og:site_name"] == site_name()
    assert tags.meta["twitter:card"] == "summary"
    assert not {"og:image", "og:description", "twitter:image"} & set(tags.meta)
    assert tags.json_ld == [] and "alternate" not in tags.links


# ---------------------------------------------------------------- link previews


def test_the_gallery_is_previewed_by_its_newest_projects_cover(client, site):
    tags = tags_of(client, "/")

    assert_previews(tags, url=f"{ORIGIN}/", title="Portfolio", picture=site.harbour)
    assert tags.json_ld == []


def test_a_category_and_a_page_of_the_gallery_are_their_own_canonical_address(client, site):
    assert tags_of(client, "/?category=landscape&utm_source=chat").canonical == (
        f"{ORIGIN}/?category=landscape"
    )
    for number in range(30):
        make_project(title=f"Filler {number}")
    older = client.get("/").context["page_obj"].links["older"]
    assert tags_of(client, older).canonical == f"{ORIGIN}{older}"
    assert tags_of(client, "/?page=last").canonical == f"{ORIGIN}/?page=last"
    assert tags_of(client, "/?page=1").canonical == f"{ORIGIN}/"


def test_a_project_page_is_previewed_by_its_cover(client, site):
    tags = tags_of(client, site.hills.get_absolute_url())

    url = absolute(site.hills.get_absolute_url())
    assert_previews(tags, url=url, title="Hills", picture=site.morning)
    assert tags.meta["og:description"] == "Green hills. Morning light."
    assert (tags.meta["og:image:width"], tags.meta["og:image:height"]) == ("1200", "630")

    site.hills.cover = site.evening
    site.hills.save()
    chosen = tags_of(client, site.hills.get_absolute_url())
    assert_previews(chosen, url=url, title="Hills", picture=site.evening)


def test_a_small_or_turned_pictures_card_is_previewed_at_its_own_size(client, site):
    # Its card is as large as the picture allows: 64 × 48 gives 64 × 34.
    tags = tags_of(client, site.harbour.get_absolute_url())
    assert (tags.meta["og:image:width"], tags.meta["og:image:height"]) == ("64", "34")

    # Stored 1000 × 800, shown 800 × 1000 (EXIF orientation 6): its card is 800 × 420.
    turned = Picture(project=site.coast, caption="Turned")
    upload = uploaded_image("turned.jpg", size=(1000, 800), exif=exif_with_location(6))
    turned.photo.save(upload.name, upload, save=True)
    make_renditions.call(turned.pk)
    turned.refresh_from_db()
    assert (turned.display_width, turned.display_height) == (800, 1000)

    tags = tags_of(client, turned.get_absolute_url())
    assert_previews(tags, url=absolute(turned.get_absolute_url()), title="Turned", picture=turned)
    assert (tags.meta["og:image:width"], tags.meta["og:image:height"]) == ("800", "420")


def test_the_sites_identity_names_every_preview_the_feed_and_the_json_ld(client, site):
    identity = SiteIdentity.current()
    identity.name, identity.tagline = "Ann Lee Photography", "Hills, coasts and harbours."
    identity.save()

    gallery = tags_of(client, "/")
    assert gallery.meta["og:site_name"] == gallery.meta["og:title"] == "Ann Lee Photography"
    assert gallery.meta["og:description"] == "Hills, coasts and harbours."
    assert tags_of(client, site.link.get_absolute_url()).meta["og:title"] == "Ann Lee Photography"
    assert gallery_json_ld(client, site.hills)["isPartOf"]["name"] == "Ann Lee Photography"
    feed = feed_of(client)
    assert feed.find(f"{ATOM}title").text == "New projects · Ann Lee Photography"
    assert feed.find(f"{ATOM}subtitle").text == "Hills, coasts and harbours."


def test_the_about_page_is_previewed_by_its_text(client, site):
    identity = SiteIdentity.current()
    identity.about = "Ann Lee photographs\n\nhills and harbours."
    identity.save()

    tags = tags_of(client, "/about/?from=chat")

    assert tags.canonical == tags.meta["og:url"] == f"{ORIGIN}/about/"
    assert tags.meta["og:title"] == f"About {site_name()}"
    assert tags.meta["og:description"] == "Ann Lee photographs hills and harbours."
    assert tags.meta["twitter:card"] == "summary" and "og:image" not in tags.meta
    [feed] = tags.links["alternate"]
    assert feed["href"] == "/feed/"


def test_a_picture_has_a_page_of_its_own_with_its_preview(client, site):
    url = f"/projects/hills/pictures/{site.evening.pk}/"
    assert site.evening.get_absolute_url() == url

    response = client.get(url)
    tags = HeadTags(response.content.decode())

    assert_previews(
        tags, url=absolute(url), title=f"Hills: picture {site.evening.pk}", picture=site.evening
    )
    html = response.content.decode()
    assert f'src="{public_media(site.evening).src}"' in html
    # Back to the project, where the lightbox opens it.
    assert f'href="/projects/hills/#picture-{site.evening.pk}"' in html
    assert tags_of(client, site.morning.get_absolute_url()).meta["og:title"] == "Morning"


def test_a_picture_page_describes_its_picture_as_an_image_object_of_the_gallery(client, site):
    [data] = tags_of(client, site.evening.get_absolute_url()).json_ld
    assert_valid(data)

    [in_gallery] = [
        image
        for image in gallery_json_ld(client, site.hills)["image"]
        if image["url"] == absolute(site.evening.get_absolute_url())
    ]
    assert data == {
        "@context": "https://schema.org",
        **in_gallery,
        "isPartOf": {
            "@type": "ImageGallery",
            "name": "Hills",
            "url": absolute(site.hills.get_absolute_url()),
        },
    }
    assert (
        tags_of(client, make_picture(site.hills, renditions=False).get_absolute_url()).json_ld
        == []
    )


def test_a_picture_page_is_only_found_under_its_own_project(client, site):
    assert client.get(f"/projects/coast/pictures/{site.morning.pk}/").status_code == 404
    assert client.get(f"/projects/hills/pictures/{site.secret.pk}/").status_code == 404


def test_a_share_links_page_is_previewed_by_nothing_but_the_sites_name(client, site):
    url = site.link.get_absolute_url()
    tags = tags_of(client, url)

    assert_neutral(tags, url)
    assert not any(word in value for word in hidden_words(site) for value in tags.meta.values())


def test_a_share_links_tiles_open_the_pictures_not_pages_the_holder_cannot_open(client, site):
    html = client.get(site.link.get_absolute_url()).content.decode()

    # Its largest rendition, at an address signed for the link (portfolio/access.py).
    [frame] = re.findall(r'<a href="([^"]+)" class="picture-frame" aria-label="[^"]*" data-', html)
    assert frame.startswith("/files/") and frame.endswith(site.proof.renditions[-1]["name"][-20:])
    assert site.proof.get_absolute_url() not in html
    assert client.get(site.proof.get_absolute_url()).status_code == 404


def test_a_protected_or_revoked_share_link_is_previewed_by_nothing_either(client, site):
    site.link.set_password("a long password")
    site.link.save()
    assert_neutral(tags_of(client, site.link.get_absolute_url()), site.link.get_absolute_url())

    site.link.revoke()
    assert_neutral(
        tags_of(client, site.link.get_absolute_url(), 404), site.link.get_absolute_url()
    )


def test_owners_see_neutral_previews_of_their_unlisted_and_private_pages(site, owner):
    owner_client = signed_in(owner)
    for project, picture in [(site.unlisted, site.proof), (site.private, site.secret)]:
        for url in [project.get_absolute_url(), picture.get_absolute_url()]:
            assert_neutral(tags_of(owner_client, url), url)
    assert_neutral(tags_of(owner_client, "/studio/"), "/studio/")


def test_public_pages_with_their_previews_are_still_kept_for_visitors(client, site):
    urls = ["/", site.hills.get_absolute_url(), site.morning.get_absolute_url()]
    rendered = [client.get(url) for url in urls]
    kept = [client.get(url) for url in urls]

    assert all(page.templates for page in rendered)
    assert not any(page.templates for page in kept)
    assert [page.content for page in kept] == [page.content for page in rendered]
    # No nonce anywhere, the JSON-LD's script included: a nonce would stop the page being kept.
    assert all(b"nonce" not in page.content for page in kept)


def test_a_picture_page_runs_five_queries_then_one(client, site, django_assert_num_queries):
    url = site.morning.get_absolute_url()
    # The content version, the picture with its project, the pictures before and after it (one
    # row each, whatever the project holds), the site's identity (once, for the preview and the
    # page's title alike); kept: the content version.
    for queries in [5, 1]:
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200


# ---------------------------------------------------------------- structured data

# schema.org's properties of the types used (those of their supertypes included), and what
# each must have to mean something to a search engine.
PROPERTIES = {
    "ImageGallery": {
        "name", "url", "description", "image", "dateModified", "datePublished", "isPartOf",
        "genre",
    },
    "ImageObject": {
        "contentUrl", "url", "name", "width", "height", "caption", "encodingFormat",
        "creator", "creditText", "copyrightNotice", "license", "acquireLicensePage", "isPartOf",
    },
    "WebSite": {"name", "url"},
    "QuantitativeValue": {"value", "unitCode"},
    "Person": {"name", "url"},
}  # fmt: skip
REQUIRED = {
    "ImageGallery": {"name", "url"},
    "ImageObject": {"contentUrl"},
    "WebSite": {"name", "url"},
    "QuantitativeValue": {"value"},
}


def nodes(data):
    """Every typed node in a JSON-LD document."""
    if isinstance(data, dict):
        if "@type" in data:
            yield data
        for value in data.values():
            yield from nodes(value)
    elif isinstance(data, list):
        for value in data:
            yield from nodes(value)


def assert_valid(data: dict) -> None:
    assert data["@context"] == "https://schema.org"
    for node in nodes(data):
        kind = node["@type"]
        assert kind in PROPERTIES, kind
        assert set(node) - {"@context", "@type"} <= PROPERTIES[kind], kind
        assert REQUIRED.get(kind, set()) <= set(node), kind


def gallery_json_ld(client: Client, project: Project) -> dict:
    [data] = tags_of(client, project.get_absolute_url()).json_ld
    assert_valid(data)
    return data


def test_a_project_page_describes_itself_as_an_image_gallery_of_its_pictures(client, site):
    data = gallery_json_ld(client, site.hills)

    assert data["@type"] == "ImageGallery"
    assert data["name"] == "Hills" and data["genre"] == "Landscape"
    assert data["url"] == absolute(site.hills.get_absolute_url())
    assert data["isPartOf"] == {"@type": "WebSite", "name": "Portfolio", "url": f"{ORIGIN}/"}
    images = data["image"]
    assert [image["url"] for image in images] == [
        absolute(picture.get_absolute_url()) for picture in (site.morning, site.evening)
    ]
    for image, picture in zip(images, (site.morning, site.evening), strict=True):
        url, width, height = public_rendition(picture)
        assert image["contentUrl"] == absolute(url)
        assert stored_image_size(image["contentUrl"]) == (width, height)
        assert image["width"]["value"] == width and image["height"]["value"] == height
        assert image["encodingFormat"] == "image/webp"
    assert images[0]["caption"] == "Morning" and "caption" not in images[1]


def test_the_cover_comes_first_among_the_images(client, site):
    site.hills.cover = site.evening
    site.hills.save()

    images = gallery_json_ld(client, site.hills)["image"]

    assert [image["url"] for image in images] == [
        absolute(site.evening.get_absolute_url()),
        absolute(site.morning.get_absolute_url()),
    ]


def test_credits_are_given_only_where_known(client, site, owner):
    credit_keys = {"creator", "creditText", "copyrightNotice", "license"}
    assert not credit_keys & set(gallery_json_ld(client, site.hills)["image"][0])

    # The owner's profile, written into the pictures uploaded after it: the same record
    # (Picture.credit) feeds the files' XMP and the JSON-LD.
    Profile.objects.create(
        user=owner,
        creator="Ann Example",
        copyright_notice="© 2026 Ann Example",
        credit_line="Ann Example / Studio North",
        rights_url="https://creativecommons.org/licenses/by/4.0/",
    )
    credited = make_picture(site.hills, caption="Credited")
    assert credited.credit["creator"] == "Ann Example"
    caches["pages"].clear()
    images = gallery_json_ld(client, site.hills)["image"]

    [image] = [image for image in images if image.get("caption") == "Credited"]
    assert {key: image[key] for key in credit_keys} == {
        "creator": {"@type": "Person", "name": "Ann Example"},
        "creditText": "Ann Example / Studio North",
        "copyrightNotice": "© 2026 Ann Example",
        "license": "https://creativecommons.org/licenses/by/4.0/",
    }
    assert [credit_keys & set(other) for other in images if other is not image] == [set(), set()]


def test_a_credit_known_in_part_gives_only_its_part(client, site):
    site.morning.metadata = {"credit": {"creator": "Bo Owner"}}
    site.morning.save()
    caches["pages"].clear()

    first = gallery_json_ld(client, site.hills)["image"][0]

    assert first["creator"] == {"@type": "Person", "name": "Bo Owner"}
    assert not {"creditText", "copyrightNotice", "license"} & set(first)


def test_a_picture_without_a_public_image_yet_is_left_out(client, site):
    pending = make_picture(site.hills, renditions=False)

    images = gallery_json_ld(client, site.hills)["image"]

    assert absolute(pending.get_absolute_url()) not in [image["url"] for image in images]
    assert len(images) == 2


def test_nothing_in_the_json_ld_can_end_its_script_element(client, site):
    site.hills.title = "Hills </script><script>alert(1)</script> & <!-- more"
    site.hills.save()

    response = client.get(site.hills.get_absolute_url())
    html = response.content.decode()

    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)[1]
    assert "<" not in script and ">" not in script
    assert json.loads(script)["name"] == site.hills.title
    assert "<script>alert(1)" not in html


# ---------------------------------------------------------------- sitemap, feed, robots.txt


def sitemap_of(client: Client) -> dict[str, list[str]]:
    """What the sitemap lists, as a crawler follows it: each page's address, its images."""
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    listed = {}
    for section in ElementTree.fromstring(index.content).iter(f"{SITEMAP}loc"):
        assert section.text.startswith(f"{ORIGIN}/sitemap-")
        response = client.get(section.text.removeprefix(ORIGIN))
        assert response.status_code == 200
        for url in ElementTree.fromstring(response.content).iter(f"{SITEMAP}url"):
            images = [image.text for image in url.iter(f"{IMAGE}loc")]
            assert url.find(f"{SITEMAP}loc").text not in listed  # Listed once.
            listed[url.find(f"{SITEMAP}loc").text] = images
    return listed


def public_images(project: Project) -> list[str]:
    return [
        absolute(public_rendition(picture)[0]) for picture in project.pictures.in_display_order()
    ]


def test_the_sitemap_lists_every_public_project_and_picture_each_image_with_its_page(client, site):
    listed = sitemap_of(client)

    expected = {f"{ORIGIN}/": []}
    for project in Project.objects.public():
        expected[absolute(project.get_absolute_url())] = []
        for picture in project.pictures.all():
            expected[absolute(picture.get_absolute_url())] = [
                absolute(public_rendition(picture)[0])
            ]
    assert listed == expected
    [image] = listed[absolute(site.morning.get_absolute_url())]
    assert stored_image_size(image)  # A public file, at an absolute address.


@pytest.fixture
def shoots(owner, settings):
    """Public projects of 0 to 5 pictures, and limits of 3 addresses and 5 images a file."""
    settings.PORTFOLIO_SITEMAP_URLS, settings.PORTFOLIO_SITEMAP_IMAGES = 3, 5
    projects = []
    for count in [0, 2, 4, 5, 1, 3, 0, 2]:
        project = make_project(owner)
        make_stored_pictures(project, count)
        projects.append(project)
        if count == 4:  # Never listed, between the listed ones.
            make_stored_pictures(make_project(owner, visibility="private"), 3)
            make_stored_pictures(make_project(owner, visibility="unlisted"), 2)
    make_stored_pictures(make_project(owner, visibility="private"), 3)
    return projects


def sitemap_files(client: Client) -> list[bytes]:
    """Every file a crawler reads from the index: each section's pages."""
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    files = []
    for section in ElementTree.fromstring(index.content).iter(f"{SITEMAP}loc"):
        response = client.get(section.text.removeprefix(ORIGIN))
        assert response.status_code == 200
        files.append(response.content)
    return files


def test_each_sitemap_file_keeps_within_the_limits_and_all_is_listed(client, shoots):
    files = sitemap_files(client)

    for content in files:
        urls = list(ElementTree.fromstring(content).iter(f"{SITEMAP}url"))
        images = list(ElementTree.fromstring(content).iter(f"{IMAGE}image"))
        assert 1 <= len(urls) <= 3
        assert len(images) <= len(urls)
        # Under 500 bytes an entry, so the protocol's 50 MB holds at 50,000 of each.
        assert len(content) <= 500 * (len(urls) + len(images)) + 300
    # 1 gallery + 8 projects + 17 pictures, three a file.
    assert len(files) == 1 + 3 + 6
    listed = sitemap_of(client)
    for project in shoots:
        assert listed[absolute(project.get_absolute_url())] == []
        for picture in project.pictures.all():
            assert listed[absolute(picture.get_absolute_url())] == [
                absolute(public_rendition(picture)[0])
            ]
    assert len(listed) == 1 + 8 + 17
    # The pictures' files, one after another: the projects in turn, each in its own order.
    pictures = [
        absolute(picture.get_absolute_url())
        for project in sorted(shoots, key=lambda project: project.pk)
        for picture in project.pictures.in_display_order()
    ]
    assert [url for url in listed if url in pictures] == pictures


@pytest.mark.parametrize("page", ["0", "99", "two", "-1", "1.5"])
def test_a_sitemap_page_that_is_not_there_is_a_404(client, shoots, page):
    assert client.get(f"/sitemap-projects.xml?p={page}").status_code == 404
    assert client.get(f"/sitemap-pictures.xml?p={page}").status_code == 404


def test_a_kept_sitemap_is_made_again_once_the_content_changes(
    client, shoots, django_assert_num_queries
):
    assert client.get("/sitemap-pictures.xml?p=6").status_code == 200
    with django_assert_num_queries(1):  # The content version: the file was kept.
        kept = client.get("/sitemap-pictures.xml?p=6").content

    make_stored_pictures(shoots[-1], 1)  # Its last project gets a third picture.

    made = client.get("/sitemap-pictures.xml?p=6").content
    assert made != kept
    assert made.count(b"<image:image>") == kept.count(b"<image:image>") + 1


def index_dates(client: Client) -> set[str]:
    index = ElementTree.fromstring(client.get("/sitemap.xml").content)
    return {entry.find(f"{SITEMAP}lastmod").text for entry in index.iter(f"{SITEMAP}sitemap")}


def test_the_sitemap_index_dates_each_section_by_its_latest_public_change(client, site):
    site.private.title = "Secret Draft, retitled"
    site.private.save()  # Later than any public change: moves no date.
    make_picture(site.private)

    public = [site.hills, site.coast]
    for project in public:
        project.refresh_from_db()
    latest = max(project.updated for project in public)
    assert latest >= max(picture.created for picture in [site.morning, site.evening])
    assert index_dates(client) == {latest.isoformat()}

    arrived = make_picture(site.coast)  # A public project's new picture dates it,
    site.coast.refresh_from_db()
    assert site.coast.updated > latest
    assert index_dates(client) == {site.coast.updated.isoformat()}

    latest = site.coast.updated
    arrived.delete()  # and its departure.
    site.coast.refresh_from_db()
    assert site.coast.updated > latest
    assert index_dates(client) == {site.coast.updated.isoformat()}


def test_each_sitemap_entry_is_dated_and_each_file_answers_when_it_last_changed(client, shoots):
    index = ElementTree.fromstring(client.get("/sitemap.xml").content)
    files = [entry.text.removeprefix(ORIGIN) for entry in index.iter(f"{SITEMAP}loc")]
    dates = {}
    for address in files[1:]:  # The gallery's page has no date of its own.
        response = client.get(address)
        urls = list(ElementTree.fromstring(response.content).iter(f"{SITEMAP}url"))
        own = {url.find(f"{SITEMAP}loc").text: url.find(f"{SITEMAP}lastmod").text for url in urls}
        # For a crawler's conditional request: the latest of the file's entries.
        latest = max(datetime.fromisoformat(date) for date in own.values())
        assert response["Last-Modified"] == http_date(latest.timestamp())
        dates.update(own)

    for project in shoots:
        project.refresh_from_db()  # Dated by its pictures' arrivals since it was made.
        assert dates[absolute(project.get_absolute_url())] == project.updated.isoformat()
        for picture in project.pictures.all():
            assert dates[absolute(picture.get_absolute_url())] == picture.created.isoformat()


def feed_of(client: Client) -> ElementTree.Element:
    response = client.get("/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ElementTree.fromstring(response.content)


def test_the_feed_lists_public_projects_newest_published_first_with_their_covers(client, site):
    feed = feed_of(client)

    entries = feed.findall(f"{ATOM}entry")
    assert [entry.find(f"{ATOM}title").text for entry in entries] == ["Coast", "Hills"]
    for entry, project, cover in zip(
        entries, (site.coast, site.hills), (site.harbour, site.morning), strict=True
    ):
        assert entry.find(f"{ATOM}link").get("href") == absolute(project.get_absolute_url())
        thumbnail = entry.find(f"{MEDIA}thumbnail")
        url, width, height = card_of(cover)
        assert thumbnail.attrib == {"url": url, "width": str(width), "height": str(height)}
        assert f'src="{url}"' in entry.find(f"{ATOM}summary").text
    assert "Green hills." in entries[1].find(f"{ATOM}summary").text
    assert feed.find(f"{ATOM}title").text == "New projects · Portfolio"


def test_the_feed_names_the_site_as_the_author_of_every_entry(client, site):
    identity = SiteIdentity.current()
    identity.name, identity.email = "Ann Lee Photography", "ann@example.com"
    identity.save()

    feed = feed_of(client)

    # RFC 4287: an entry without an author of its own takes the feed's.
    [author] = feed.findall(f"{ATOM}author")
    assert author.find(f"{ATOM}name").text == "Ann Lee Photography"
    assert author.find(f"{ATOM}uri").text == absolute("/about/")
    assert author.find(f"{ATOM}email").text == "ann@example.com"
    entries = feed.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        assert entry.find(f"{ATOM}author") is None or entry.find(f"{ATOM}author/{ATOM}name").text


def test_a_project_made_public_later_is_new_in_the_feed_by_that_date(client, site):
    site.private.visibility = "public"
    site.private.save()

    titles = [entry.find(f"{ATOM}title").text for entry in feed_of(client).iter(f"{ATOM}entry")]
    assert titles == ["Secret Draft", "Coast", "Hills"]


def test_a_project_keeps_the_date_it_was_first_published(site):
    first = site.hills.published
    assert first is not None and site.private.published is None

    site.hills.visibility = "private"
    site.hills.save()
    site.hills.visibility = "public"
    site.hills.save(update_fields=["visibility"])
    site.hills.refresh_from_db()
    assert site.hills.published == first

    site.private.visibility = "public"
    site.private.save(update_fields=["visibility"])
    site.private.refresh_from_db()
    assert timezone.now() - site.private.published < timedelta(minutes=1)


def test_the_sitemap_and_the_feed_cost_the_same_queries_however_many_projects(
    client, site, django_assert_num_queries
):
    # The sitemap: the content version, then, made: the index: each section's latest change
    # (one index entry each) and the projects' and pictures' sizes (their projects' count,
    # their kept picture_count summed); a section: its size, its rows (the pictures': the
    # projects the page falls in, then their rows); the feed: the site's identity, the
    # projects, their covers.
    queries = {
        "/sitemap.xml": 6,
        "/sitemap-projects.xml": 3,
        "/sitemap-pictures.xml": 4,
        "/feed/": 3,
        "/robots.txt": 0,
    }
    for more in [0, 10]:
        for number in range(more):
            project = make_project(title=f"More {number}")
            make_picture(project)
            make_picture(project)
        for url, count in queries.items():
            with django_assert_num_queries(count):
                assert client.get(url).status_code == 200


def robots_rules(client: Client) -> tuple[list[str], list[str]]:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = [line.split(":", 1) for line in response.content.decode().splitlines() if ":" in line]
    rules = [(name.strip().lower(), value.strip()) for name, value in lines]
    assert ("user-agent", "*") in rules
    disallowed = [value for name, value in rules if name == "disallow"]
    sitemaps = [value for name, value in rules if name == "sitemap"]
    return disallowed, sitemaps


def disallowed_by(rules: list[str], path: str) -> bool:
    """RFC 9309's matching: `*` any characters, a final `$` the end of the path."""
    for rule in rules:
        pattern = re.escape(rule.removesuffix("$")).replace(r"\*", ".*")
        if re.match(pattern + ("$" if rule.endswith("$") else ""), path):
            return True
    return False


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_the_rest(client, site):
    rules, sitemaps = robots_rules(client)

    assert sitemaps == [f"{ORIGIN}/sitemap.xml"]
    picture = site.morning
    kept_out = [
        site.link.get_absolute_url(),
        "/studio/",
        "/projects/new/",
        f"/projects/{site.hills.slug}/edit/",
        f"/projects/{site.hills.slug}/delete/",
        f"/projects/{site.hills.slug}/visibility/",
        f"/projects/{site.hills.slug}/links/",
        f"/projects/{site.hills.slug}/download/",
        f"/projects/{site.hills.slug}/pictures/",
        f"/projects/{site.hills.slug}/pictures/{picture.pk}/edit/",
        f"/projects/{site.hills.slug}/pictures/{picture.pk}/download/",
        f"/projects/{site.hills.slug}/pictures/{picture.pk}/move-to/",
        f"/projects/{site.hills.slug}/pictures/{picture.pk}/focus/",
        f"/projects/{site.hills.slug}/pictures/{picture.pk}/delete/",
        "/studio/profile/",
        "/files/some-token/photo.jpg",
        "/admin/",
        "/accounts/login/",
    ]
    open_to_crawlers = [
        "/",
        "/?category=landscape",
        site.hills.get_absolute_url(),
        picture.get_absolute_url(),
        "/sitemap.xml",
        "/sitemap-projects.xml",
        "/feed/",
        settings.MEDIA_URL,
        "/projects/edit/",  # A project whose slug is "edit".
    ]
    assert [path for path in kept_out if not disallowed_by(rules, path)] == []
    assert [path for path in open_to_crawlers if disallowed_by(rules, path)] == []


# ---------------------------------------------------------------- visibility, everywhere


def everything_a_crawler_reads(client: Client, site) -> str:
    """The gallery, the sitemap, the feed and robots.txt, as one text."""
    caches["pages"].clear()
    pages = ["/", "/?category=landscape", "/feed/", "/robots.txt", "/sitemap.xml"]
    texts = [client.get(url).content.decode() for url in pages]
    texts += [json.dumps(sitemap_of(client))]
    return "\n".join(texts)


@pytest.mark.parametrize("visibility", ["unlisted", "private"])
def test_a_project_that_is_not_public_appears_nowhere(client, site, visibility):
    site.hills.visibility = visibility
    site.hills.save()
    site.hills.refresh_from_db()
    # Made so in this transaction: its files have not moved yet (tasks.py, on commit), so its
    # renditions are still in the public storage. Still listed nowhere.
    site.morning.refresh_from_db()
    assert site.morning.renditions_public

    text = everything_a_crawler_reads(client, site)

    words = hidden_words(site) + ["Hills", "/projects/hills/", "Morning", "Green hills"]
    words += site.morning.rendition_names + site.evening.rendition_names
    assert [word for word in words if word in text] == []
    for url in [site.hills.get_absolute_url(), site.morning.get_absolute_url()]:
        assert client.get(url).status_code == 404
    # The public one is still there.
    assert "Coast" in text and absolute(site.coast.get_absolute_url()) in text


def test_public_projects_appear_everywhere_and_nothing_else(client, site):
    text = everything_a_crawler_reads(client, site)

    assert [word for word in hidden_words(site) if word in text] == []
    for project in (site.hills, site.coast):
        assert project.title in text and absolute(project.get_absolute_url()) in text
        for image in public_images(project):
            assert image in text
    for project in (site.unlisted, site.private):
        for url in [project.get_absolute_url(), project.pictures.get().get_absolute_url()]:
            response = client.get(url)
            assert response.status_code == 404
