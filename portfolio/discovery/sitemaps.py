"""
The sitemap: the gallery, every public project and picture, each picture's image.

Each file holds at most PORTFOLIO_SITEMAP_URLS addresses and PORTFOLIO_SITEMAP_IMAGES image
entries (1,000 each, within the protocol's 50,000: a file costs what a page costs), each
entry under 500 bytes, so under its 50 MB. A picture's image is listed once, with its own
page (at most one image an address); a project's page is listed without its pictures' images.

The index reads no picture and counts no project: the database counts both sections as
projects change (PublicTotals: the public projects and the sum of their picture_count), and
every file is dated by the latest change of a public project, whose `updated` follows its
pictures' arrivals and departures (on project_updated_idx). Neither section pages by an
OFFSET over the rows before a file: each finds its file's first project among
project_public_totals_idx's entries (ProjectPages, PicturePages).
"""

from datetime import datetime
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet, Subquery, Sum, Window
from django.urls import reverse
from django.utils.functional import cached_property

from portfolio.discovery.facts import public_rendition
from portfolio.models import Picture, Project, PublicTotals

# What a picture's entry is made of: its page, date and largest public rendition.
SITEMAP_PICTURE_FIELDS = ("project", "position", "created", "renditions", "renditions_public")


class LimitedSitemap(Sitemap):
    @property
    def limit(self) -> int:
        """Addresses a file holds: at most one image each, so within both limits."""
        return min(settings.PORTFOLIO_SITEMAP_URLS, settings.PORTFOLIO_SITEMAP_IMAGES)

    def get_latest_lastmod(self) -> datetime | None:
        # The index's date of each file: the latest change of a public project or of its
        # pictures (add_to_picture_count()), one index entry, where the latest of every
        # project's and picture's date read them all.
        latest = Project.objects.public().order_by("-updated").values_list("updated", flat=True)
        return latest.first()


class GallerySitemap(LimitedSitemap):
    def items(self) -> list[str]:
        return ["portfolio:gallery"]

    def location(self, item: str) -> str:
        return reverse(item)


class ProjectSitemap(LimitedSitemap):
    """Every public project's page."""

    def items(self) -> QuerySet[Project]:
        return Project.objects.public().only("slug", "updated", "visibility").order_by("pk")

    @cached_property
    def paginator(self) -> "ProjectPages":
        return ProjectPages(self.items(), self.limit)

    def lastmod(self, project: Project) -> datetime:
        # Its pictures' arrivals and departures date it too (add_to_picture_count()).
        return project.updated


class ProjectPages(Paginator):
    """
    The projects' section in pages, each read from its first project on: that project is
    found by an OFFSET over project_public_totals_idx's entries (read from the index alone
    once vacuumed), where an OFFSET over the rows read every public project before the page.
    """

    @cached_property
    def count(self) -> int:
        return PublicTotals.current().projects

    def page(self, number) -> Page:
        number = self.validate_number(number)
        first = self.object_list.values("pk")[(number - 1) * self.per_page :][:1]
        rows = self.object_list.filter(pk__gte=Subquery(first))[: self.per_page]
        return self._get_page(list(rows), number, self)


class PictureSitemap(LimitedSitemap):
    """The page of each picture of a public project, with its image once it is public."""

    def items(self) -> QuerySet[Picture]:
        # Only what an entry shows: a whole row (metadata, credit) costs twice the time.
        return (
            Picture.objects.filter(project__in=Project.objects.public())
            .select_related("project")
            .only(*SITEMAP_PICTURE_FIELDS, "project__slug", "project__visibility")
            .order_by("project_id", "position", "id")
        )

    @cached_property
    def paginator(self) -> "PicturePages":
        return PicturePages(self.items(), self.limit)

    def lastmod(self, picture: Picture) -> datetime:
        return picture.created

    def get_urls(self, page=1, site=None, protocol=None) -> list[dict]:
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        origin = f"{self.get_protocol(protocol)}://{self.get_domain(site)}/"
        for url in urls:
            url["images"] = sitemap_images([url["item"]], origin)
        return urls


class PicturePages(Paginator):
    """
    The pictures' section in pages, as Django's Paginator answers a sitemap, but with no
    count of the pictures and no OFFSET over every picture before a page: the pictures are
    counted by their projects' picture_count, and a page reads the pictures of the public
    projects its places fall in, found by a running sum of those counts.
    """

    @cached_property
    def count(self) -> int:
        return PublicTotals.current().pictures

    def page(self, number) -> Page:
        number = self.validate_number(number)
        return self._get_page(self.pictures_from((number - 1) * self.per_page), number, self)

    def pictures_from(self, first: int) -> list[Picture]:
        """per_page pictures from the `first`-th (0-based), in the section's order."""
        running = Window(Sum("picture_count"), order_by=F("pk").asc())
        # The public projects with pictures, each with the count of the pictures up to its own
        # (from project_public_totals_idx alone); of those, the ones the page's places fall in,
        # and none between them (a private project's pictures are not read).
        projects = Project.objects.public().filter(picture_count__gt=0).annotate(through=running)
        end = first + self.per_page
        covering = projects.filter(through__gt=first, through__lt=end + F("picture_count"))
        covering = list(covering.order_by("pk").values_list("pk", "through", "picture_count"))
        if not covering:
            return []
        _first_pk, through, count = covering[0]
        pictures = self.object_list.filter(project__in=[pk for pk, _through, _n in covering])
        # The first project's pictures before the page are skipped: an OFFSET within it.
        skip = first - (through - count)
        return list(pictures[skip : skip + self.per_page])


def sitemap_images(pictures: list[Picture], origin: str) -> list[dict]:
    """The image entries of a sitemap's <url>: absolute URLs, on disk or in a bucket alike."""
    images = []
    for picture in pictures:
        rendition = public_rendition(picture)
        if rendition is not None:
            images.append({"location": urljoin(origin, rendition[0])})
    return images


SITEMAPS = {"gallery": GallerySitemap, "projects": ProjectSitemap, "pictures": PictureSitemap}
