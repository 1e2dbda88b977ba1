"""The sitemap: the gallery, every public project and picture, their images."""

from datetime import datetime
from urllib.parse import urljoin

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Prefetch
from django.urls import reverse

from portfolio.discovery.facts import public_rendition
from portfolio.models import Picture, Project

# Google reads at most 1,000 image entries per <url> of a sitemap.
SITEMAP_IMAGES_PER_PAGE = 1000


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
