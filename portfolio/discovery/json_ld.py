"""Structured data (JSON-LD): public projects and pictures as schema.org types."""

import json
import mimetypes

from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from portfolio.discovery.facts import describe, public_rendition, site_identity
from portfolio.models import Picture, Project


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
