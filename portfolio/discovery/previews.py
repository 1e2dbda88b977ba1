"""Link previews: what a page says of itself to chat apps, social sites and search engines."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.text import Truncator

from portfolio.access import PUBLIC, PictureMedia
from portfolio.discovery.facts import describe, site_identity
from portfolio.discovery.json_ld import json_ld_script, picture_page_json_ld, project_json_ld
from portfolio.images.cards import card_size
from portfolio.models import Category, Picture, Project


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
    request: HttpRequest, category: Category | None, page_query: dict[str, str], projects
) -> LinkPreview:
    """The gallery (a category, a page of it), shown by its newest project's cover."""
    query = {"category": category.slug} if category else {}
    query.update(page_query)
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
    cover = project.cover_picture  # Wherever it is in the order: not always among `pictures`.
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
