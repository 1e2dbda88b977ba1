"""What every part of discovery says of the site, a public project or a picture."""

from django.http import HttpRequest
from django.utils.text import Truncator

from portfolio.access import PUBLIC, PictureMedia
from portfolio.models import Picture, Project, SiteIdentity


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
    url = PictureMedia(picture, PUBLIC).largest_rendition_url()
    if not url:
        return None
    largest = picture.renditions[-1]
    return url, largest["width"], largest["height"]
