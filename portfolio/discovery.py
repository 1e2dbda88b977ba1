"""
How the site is shared and found: link previews (OpenGraph, Twitter cards, the canonical
address), the sitemap, the Atom feed of new projects and the JSON-LD of project pages.

Only public projects appear, and only through their public URLs (portfolio/access.py's PUBLIC
grant, whoever is looking): nothing unlisted or private, never an original. Everything here
is built from rows the page already loaded, so it adds no query per picture, and from the
site's identity as its templates read it, once a request (SiteIdentity.for_request).
"""

import json
import mimetypes
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode, urljoin

from django.contrib.sitemaps import Sitemap
from django.contrib.syndication.views import Feed
from django.db.models import Max, Prefetch
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from portfolio.access import PUBLIC, PictureMedia
from portfolio.images.cards import card_size
from portfolio.models import Category, Picture, Project, SiteIdentity

FEED_LENGTH = 20
# Google reads at most 1,000 image entries per <url> of a sitemap.
SITEMAP_IMAGES_PER_PAGE = 1000


# ---------------------------------------------------------------- link previews


@dataclass(frozen=True)
class PreviewImage:
    url: str  # Absolute.
    width: int
    height: int
    alt: str


@dataclass(frozen=True)
class LinkPreview:
    """What a page says of itself to link previews and search engines (_meta_tags.html)."""

    title: str
    url: str  # Absolute: the canonical address.
    description: str = ""
    image: PreviewImage | None = None
    site_name: str = ""
    # Public pages name the feed; the others (share links, the studio) nothing of the site.
    public: bool = False
    json_ld: str = ""


def neutral_preview(request: HttpRequest) -> LinkPreview:
    """
    A page that tells nothing: the site's name and the page's own address.

    Every page without a preview of its own gets it: share links (which a chat shows to
    everyone in it, password or not), the studio, sign-in.
    """
    name = site_identity(request).name
    return LinkPreview(title=name, url=request.build_absolute_uri(request.path), site_name=name)


def gallery_preview(
    request: HttpRequest, category: Category | None, page_number: int, projects
) -> LinkPreview:
    """The gallery (a category, a page of it), shown by its newest project's cover."""
    query = {"category": category.slug} if category else {}
    if page_number > 1:
        query["page"] = page_number
    address = reverse("portfolio:gallery") + (f"?{urlencode(query)}" if query else "")
    newest = next(iter(projects), None)
    cover = newest.cover_picture if newest else None
    identity = site_identity(request)
    return LinkPreview(
        title=category.name if category else identity.name,
        url=request.build_absolute_uri(address),
        description=identity.tagline,
        image=preview_image(request, cover) if cover else None,
        site_name=identity.name,
        public=True,
    )


def about_preview(request: HttpRequest) -> LinkPreview:
    """The about page: the site's name, and its about text's first words."""
    identity = site_identity(request)
    about = Truncator(" ".join(identity.about.split())).words(30)
    return LinkPreview(
        title=f"About {identity.name}",
        url=request.build_absolute_uri(reverse("portfolio:about")),
        description=about or identity.tagline,
        site_name=identity.name,
        public=True,
    )


def project_preview(
    request: HttpRequest, project: Project, pictures: list[Picture]
) -> LinkPreview | None:
    """A public project's page, with its cover and its JSON-LD; None for any other project."""
    if not project.is_public:
        return None
    cover = next((p for p in pictures if p.pk == project.cover_picture_id), None)
    return LinkPreview(
        title=project.title,
        url=request.build_absolute_uri(project.get_absolute_url()),
        description=describe(request, project),
        image=preview_image(request, cover) if cover else None,
        site_name=site_identity(request).name,
        public=True,
        json_ld=json_ld_script(project_json_ld(request, project, pictures, cover)),
    )


def picture_preview(request: HttpRequest, picture: Picture) -> LinkPreview | None:
    """A public project's picture on its own page; None for any other picture."""
    project = picture.project
    if not project.is_public:
        return None
    return LinkPreview(
        title=picture.caption or f"{project.title}: picture {picture.pk}",
        url=request.build_absolute_uri(picture.get_absolute_url()),
        description=describe(request, project),
        image=preview_image(request, picture),
        site_name=site_identity(request).name,
        public=True,
        json_ld=json_ld_script(picture_page_json_ld(request, picture)),
    )


def preview_image(request: HttpRequest, picture: Picture) -> PreviewImage | None:
    """A public picture's link-preview card (images/cards.py), once the task has made it."""
    if not picture.project.is_public:
        return None
    url = PictureMedia(picture, PUBLIC).card_url()
    if not url:
        return None
    width, height = card_size(*upright_size(picture))
    return PreviewImage(request.build_absolute_uri(url), width, height, picture.alt_text)


def upright_size(picture: Picture) -> tuple[int, int]:
    """
    The original's size as shown, which its card was cut from: its stored size, turned as
    its renditions are (the file keeps its EXIF orientation).
    """
    width, height = picture.width, picture.height
    if (width > height) != (picture.display_width > picture.display_height):
        return height, width
    return width, height


def site_identity(request: HttpRequest) -> SiteIdentity:
    return SiteIdentity.for_request(request)


def describe(request: HttpRequest, project: Project) -> str:
    if project.description:
        return Truncator(" ".join(project.description.split())).words(30)
    return f"{project.title}, a project on {site_identity(request).name}."


def public_rendition(picture: Picture) -> tuple[str, int, int] | None:
    """A public project's picture's largest rendition in the public storage, if it has one."""
    if not picture.project.is_public:
        return None
    urls = PictureMedia(picture, PUBLIC).rendition_urls()
    if not urls:
        return None
    largest = picture.renditions[-1]
    return urls[-1][1], largest["width"], largest["height"]


# ---------------------------------------------------------------- structured data (JSON-LD)


def project_json_ld(
    request: HttpRequest, project: Project, pictures: list[Picture], cover: Picture | None
) -> dict:
    """A public project as a schema.org ImageGallery of ImageObjects, in display order."""
    images = [image for picture in pictures if (image := picture_json_ld(request, picture))]
    if cover is not None:
        # The cover first: what a search engine takes for the gallery's image.
        images.sort(key=lambda image: image["url"] != picture_page_url(request, cover))
    data = {
        "@context": "https://schema.org",
        "@type": "ImageGallery",
        "name": project.title,
        "url": request.build_absolute_uri(project.get_absolute_url()),
        "description": describe(request, project),
        "dateModified": project.updated.isoformat(),
        "isPartOf": {
            "@type": "WebSite",
            "name": site_identity(request).name,
            "url": request.build_absolute_uri(reverse("portfolio:gallery")),
        },
    }
    if project.published:
        data["datePublished"] = project.published.isoformat()
    if project.category:
        data["genre"] = project.category.name
    if images:
        data["image"] = images
    return data


def picture_page_json_ld(request: HttpRequest, picture: Picture) -> dict | None:
    """A picture's own page: its ImageObject, part of its project's ImageGallery."""
    image = picture_json_ld(request, picture)
    if image is None:
        return None
    project = picture.project
    gallery = {
        "@type": "ImageGallery",
        "name": project.title,
        "url": request.build_absolute_uri(project.get_absolute_url()),
    }
    return {"@context": "https://schema.org", **image, "isPartOf": gallery}


def picture_json_ld(request: HttpRequest, picture: Picture) -> dict | None:
    """A picture as a schema.org ImageObject, or None until it has a public image."""
    rendition = public_rendition(picture)
    if rendition is None:
        return None
    url, width, height = rendition
    content_type, _ = mimetypes.guess_type(picture.renditions[-1]["name"])
    data = {
        "@type": "ImageObject",
        "contentUrl": request.build_absolute_uri(url),
        "url": picture_page_url(request, picture),
        "name": picture.alt_text,
        "width": pixels(width),
        "height": pixels(height),
    }
    if picture.caption:
        data["caption"] = picture.caption
    if content_type:
        data["encodingFormat"] = content_type
    return {**data, **picture_credit(picture)}


def picture_credit(picture: Picture) -> dict:
    """
    Who made `picture` and on what terms, as schema.org ImageObject properties, only those
    known: the credit its files carry (Picture.credit, the metadata policy's one record).
    """
    credit = picture.credit
    data = {}
    if credit["creator"]:
        data["creator"] = {"@type": "Person", "name": credit["creator"]}
    if credit["credit_line"]:
        data["creditText"] = credit["credit_line"]
    if credit["copyright_notice"]:
        data["copyrightNotice"] = credit["copyright_notice"]
    if credit["rights_url"]:
        # The web statement of rights: what Google reads as an image's licence.
        data["license"] = credit["rights_url"]
    return data


def picture_page_url(request: HttpRequest, picture: Picture) -> str:
    return request.build_absolute_uri(picture.get_absolute_url())


def pixels(count: int) -> dict:
    # schema.org's width and height: a Distance or a QuantitativeValue (E37: UN/CEFACT's pixel).
    return {"@type": "QuantitativeValue", "value": count, "unitCode": "E37"}


# Inside <script> only "</script>" or "<!--" could end or change the element: escape <, > and &.
JSON_IN_HTML = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def json_ld_script(data: dict | None) -> SafeString:
    """`data` as JSON that is safe inside a <script type="application/ld+json"> element."""
    if data is None:
        return mark_safe("")
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(JSON_IN_HTML))


# ---------------------------------------------------------------- the sitemap


class GallerySitemap(Sitemap):
    def items(self) -> list[str]:
        return ["portfolio:gallery"]

    def location(self, item: str) -> str:
        return reverse(item)


class ProjectSitemap(Sitemap):
    """Every public project, its pictures as image entries (Google's image extension)."""

    def items(self):
        pictures = Picture.objects.in_display_order()
        return Project.objects.public().prefetch_related(
            Prefetch("pictures", queryset=pictures, to_attr="sitemap_pictures")
        )

    def lastmod(self, project: Project) -> datetime:
        return max([project.updated, *(picture.created for picture in project.sitemap_pictures)])

    def get_latest_lastmod(self) -> datetime | None:
        # The index's date from two aggregates, not from every project and picture loaded.
        projects = Project.objects.public()
        updated = projects.aggregate(latest=Max("updated"))["latest"]
        pictures = Picture.objects.filter(project__in=projects)
        created = pictures.aggregate(latest=Max("created"))["latest"]
        return max(filter(None, [updated, created]), default=None)

    def get_urls(self, page=1, site=None, protocol=None) -> list[dict]:
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        origin = f"{self.get_protocol(protocol)}://{self.get_domain(site)}/"
        for url in urls:
            url["images"] = sitemap_images(url["item"].sitemap_pictures, origin)
        return urls


class PictureSitemap(Sitemap):
    """The page of each picture of a public project that has a public image."""

    def items(self):
        return (
            Picture.objects.filter(project__in=Project.objects.public(), renditions_public=True)
            .select_related("project")
            .order_by("project_id", "position", "id")
        )

    def lastmod(self, picture: Picture) -> datetime:
        return picture.created

    def get_latest_lastmod(self) -> datetime | None:
        return self.items().aggregate(latest=Max("created"))["latest"]

    def get_urls(self, page=1, site=None, protocol=None) -> list[dict]:
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        origin = f"{self.get_protocol(protocol)}://{self.get_domain(site)}/"
        for url in urls:
            url["images"] = sitemap_images([url["item"]], origin)
        return urls


def sitemap_images(pictures: list[Picture], origin: str) -> list[dict]:
    """The image entries of a sitemap's <url>: absolute URLs, on disk or in a bucket alike."""
    images = []
    for picture in pictures:
        rendition = public_rendition(picture)
        if rendition is not None:
            images.append({"location": urljoin(origin, rendition[0])})
    return images[:SITEMAP_IMAGES_PER_PAGE]


SITEMAPS = {"gallery": GallerySitemap, "projects": ProjectSitemap, "pictures": PictureSitemap}


# ---------------------------------------------------------------- the feed


class MediaAtomFeed(Atom1Feed):
    """Atom with Media RSS's thumbnail: how feed readers find an entry's picture."""

    def root_attributes(self) -> dict:
        return {**super().root_attributes(), "xmlns:media": "http://search.yahoo.com/mrss/"}

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, item)
        cover = item.get("cover")
        if cover:
            handler.addQuickElement(
                "media:thumbnail",
                attrs={"url": cover.url, "width": str(cover.width), "height": str(cover.height)},
            )


class NewProjectsFeed(Feed):
    """The newest public projects, as they were first made public, each with its cover."""

    feed_type = MediaAtomFeed
    description_template = "portfolio/feed_entry.html"

    def get_object(self, request: HttpRequest) -> HttpRequest:
        # The request itself: covers need absolute URLs, and the feed object is shared by threads.
        return request

    def title(self, request: HttpRequest) -> str:
        return f"New projects · {site_identity(request).name}"

    def subtitle(self, request: HttpRequest) -> str:
        return site_identity(request).tagline

    def link(self) -> str:
        return reverse("portfolio:gallery")

    def feed_url(self) -> str:
        return reverse("portfolio:feed")

    def items(self, request: HttpRequest) -> list[Project]:
        projects = list(
            Project.objects.public()
            .exclude(published=None)
            .with_cover()
            .order_by("-published", "-id")[:FEED_LENGTH]
        )
        for project in projects:
            cover = project.cover_picture
            project.feed_cover = preview_image(request, cover) if cover else None
        return projects

    def item_title(self, project: Project) -> str:
        return project.title

    def item_pubdate(self, project: Project) -> datetime:
        return project.published

    def item_updateddate(self, project: Project) -> datetime:
        return project.updated

    def item_categories(self, project: Project) -> list[str]:
        return [project.category.name] if project.category else []

    def item_extra_kwargs(self, project: Project) -> dict:
        return {"cover": project.feed_cover}
