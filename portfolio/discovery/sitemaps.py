"""
The sitemap: the gallery, every public project and picture, their images.

Each file keeps within the protocol's limits, as settings: at most PORTFOLIO_SITEMAP_URLS
addresses (50,000) and PORTFOLIO_SITEMAP_IMAGES image entries (50,000), each entry under 500
bytes, so under its 50 MB. The projects' section is paged by both, its pages cut between
projects by id; the others hold one image an address at most.
"""

from datetime import datetime
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Max, Prefetch, QuerySet
from django.urls import reverse
from django.utils.functional import cached_property

from portfolio.discovery.facts import public_rendition
from portfolio.models import Picture, Project

# Google reads at most 1,000 image entries per <url> of a sitemap.
SITEMAP_IMAGES_PER_PAGE = 1000
# What a picture's entries are made of: its page, date and largest public rendition.
SITEMAP_PICTURE_FIELDS = ("project", "position", "created", "renditions", "renditions_public")


class LimitedSitemap(Sitemap):
    @property
    def limit(self) -> int:
        """Addresses a file holds: at most one image each, so within both limits."""
        return min(settings.PORTFOLIO_SITEMAP_URLS, settings.PORTFOLIO_SITEMAP_IMAGES)


class GallerySitemap(LimitedSitemap):
    def items(self) -> list[str]:
        return ["portfolio:gallery"]

    def location(self, item: str) -> str:
        return reverse(item)


class ProjectSitemap(LimitedSitemap):
    """Every public project, its pictures as image entries (Google's image extension)."""

    @property
    def images_per_project(self) -> int:
        return min(SITEMAP_IMAGES_PER_PAGE, settings.PORTFOLIO_SITEMAP_IMAGES)

    @cached_property
    def paginator(self) -> "ProjectPages":
        # Weighed by picture_count, read from the projects' rows: at most their image entries
        # (only pictures with a public rendition have one), so a file may hold fewer projects
        # than it could, never more than the limits; counting the entries joins every picture.
        weights = Project.objects.public().order_by("pk").values_list("pk", "picture_count")
        return ProjectPages(
            self.items(),
            [(project_id, min(count, self.images_per_project)) for project_id, count in weights],
            urls=settings.PORTFOLIO_SITEMAP_URLS,
            images=settings.PORTFOLIO_SITEMAP_IMAGES,
        )

    def items(self) -> QuerySet[Project]:
        pictures = (
            Picture.objects.filter(renditions_public=True)
            .only(*SITEMAP_PICTURE_FIELDS)
            .in_display_order()
        )
        return (
            Project.objects.public()
            .annotate(latest_picture=Max("pictures__created"))
            .prefetch_related(
                Prefetch(
                    "pictures",
                    queryset=pictures[: self.images_per_project],
                    to_attr="sitemap_pictures",
                )
            )
            .order_by("pk")
        )

    def lastmod(self, project: Project) -> datetime:
        return max(filter(None, [project.updated, project.latest_picture]))

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


class ProjectPages:
    """
    The projects' section in pages, as Django's Paginator answers a sitemap: each page the
    projects from one id to the next page's first, within `urls` addresses and `images`
    image entries (a project's images counted whole: it is never cut).
    """

    def __init__(
        self,
        projects: QuerySet[Project],
        weights: list[tuple[int, int]],
        *,
        urls: int,
        images: int,
    ) -> None:
        self.projects = projects
        self.starts, page_urls, page_images = [], 0, 0
        for project_id, count in weights:
            if not self.starts or page_urls + 1 > urls or page_images + count > images:
                self.starts.append(project_id)
                page_urls, page_images = 0, 0
            page_urls, page_images = page_urls + 1, page_images + count

    @property
    def num_pages(self) -> int:
        return max(1, len(self.starts))

    def page(self, number) -> "ProjectPage":
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer") from None
        if not 1 <= number <= self.num_pages:
            raise EmptyPage("That page contains no results")
        return ProjectPage(self, number)


class ProjectPage:
    def __init__(self, pages: ProjectPages, number: int) -> None:
        self.pages, self.number = pages, number

    @property
    def object_list(self) -> QuerySet[Project]:
        starts, projects = self.pages.starts, self.pages.projects
        if not starts:
            return projects.none()
        projects = projects.filter(pk__gte=starts[self.number - 1])
        if self.number < len(starts):
            projects = projects.filter(pk__lt=starts[self.number])
        return projects


class PictureSitemap(LimitedSitemap):
    """The page of each picture of a public project that has a public image."""

    def items(self):
        # Only what an entry shows: a whole row (metadata, credit) costs twice the time.
        return (
            Picture.objects.filter(project__in=Project.objects.public(), renditions_public=True)
            .select_related("project")
            .only(*SITEMAP_PICTURE_FIELDS, "project__slug", "project__visibility")
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
