"""The Atom feed of the projects newly made public, each with its cover."""

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from portfolio.discovery.facts import site_identity
from portfolio.discovery.previews import preview_image
from portfolio.models import Project

FEED_LENGTH = 20


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

    # Atom requires an author for every entry (RFC 4287, 4.1.1): the feed's stands for all.
    def author_name(self, request: HttpRequest) -> str:
        return site_identity(request).name

    def author_link(self, request: HttpRequest) -> str:
        return request.build_absolute_uri(reverse("portfolio:about"))

    def author_email(self, request: HttpRequest) -> str | None:
        return site_identity(request).email or None

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
