"""{{ picture|media_for:viewer }}: one picture's URLs for the page's viewer (access.Viewer)."""

from django import template

from portfolio.access import PictureMedia, Viewer

register = template.Library()


@register.filter
def media_for(picture, viewer: Viewer) -> PictureMedia:
    # No viewer, no URLs by default: a page that forgot it fails instead of showing too much.
    if not isinstance(viewer, Viewer):
        raise TypeError(f"media_for needs the page's viewer, not {viewer!r}.")
    return viewer.media(picture)
