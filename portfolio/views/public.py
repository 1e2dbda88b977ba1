"""What visitors see: the gallery, project and picture pages, the about page, robots.txt."""

from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlencode

from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.generic import (
    DetailView,
    ListView,
    TemplateView,
)

from portfolio.access import Viewer
from portfolio.cache import CachedForVisitorsMixin
from portfolio.discovery.previews import (
    about_preview,
    gallery_preview,
    picture_preview,
    project_preview,
)
from portfolio.forms import PictureUploadForm
from portfolio.models import Category, Picture, Project
from portfolio.views.htmx import HtmxPartialMixin
from portfolio.views.steps import StepsMixin


class GalleryView(CachedForVisitorsMixin, HtmxPartialMixin, ListView):
    """Public projects as a grid of covers, optionally in one category."""

    template_name = "portfolio/project_list.html"
    htmx_partial = "gallery"
    paginate_by = 24

    def get(self, request, *args, **kwargs) -> HttpResponse:
        self.categories = list(Category.objects.with_public_projects())
        self.category = self._selected_category()
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        projects = Project.objects.public().with_cover()
        if self.category:
            projects = projects.filter(category=self.category)
        return projects

    def paginate_queryset(self, queryset, page_size: int) -> tuple:
        """Page by keyset: no count, and the last page costs what the first does."""
        query = {"category": self.category.slug} if self.category else {}
        page = GalleryPage.of(queryset, self.request.GET, page_size, query)
        return None, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(
            categories=self.categories,
            selected_category=self.category,
            viewer=Viewer(),  # The gallery is the same for everyone: the page cache keeps it.
            **kwargs,
        )
        # Made only where shown: not for an htmx fragment, which has no <head>.
        context["link_preview"] = SimpleLazyObject(
            partial(
                gallery_preview,
                self.request,
                self.category,
                context["page_obj"].query,
                context["object_list"],
            )
        )
        return context

    def _selected_category(self) -> Category | None:
        slug = self.request.GET.get("category")
        if not slug:
            return None
        for category in self.categories:
            if category.slug == slug:
                return category
        # Not in the filter bar: an empty category shows an empty grid, a made-up one is a 404.
        return get_object_or_404(Category, slug=slug)


@dataclass
class GalleryPage:
    """
    A page of the gallery, found from a neighbour's edge rather than by its number:
    `?after=<cursor>` the older ones, `?before=<cursor>` the newer ones, `?page=last` the
    oldest. Each is one query of at most a page and one row, wherever it lies.
    """

    object_list: list[Project]
    query: dict[str, str] = field(default_factory=dict)  # What names this page, as asked.
    has_newer: bool = False
    has_older: bool = False
    links: dict[str, str] = field(default_factory=dict)  # newest, newer, older, oldest

    @classmethod
    def of(cls, projects, asked: QueryDict, size: int, base_query: dict) -> "GalleryPage":
        """The page `asked` names, of `projects` in the gallery's order; 404 for no page."""
        asked_for = {name: asked[name] for name in ("after", "before", "page") if name in asked}
        if len(asked_for) > 1 or asked_for.get("page", "1") not in ("1", "last"):
            raise Http404("No such page of the gallery.")
        try:
            if "after" in asked_for:
                rows = list(projects.after(asked_for["after"])[: size + 1])
                page = cls(rows[:size], has_newer=True, has_older=len(rows) > size)
            elif "before" in asked_for:
                rows = list(projects.before(asked_for["before"])[: size + 1])
                page = cls(rows[:size][::-1], has_newer=len(rows) > size, has_older=True)
            elif asked_for.get("page") == "last":
                rows = list(projects.reverse()[: size + 1])
                page = cls(rows[:size][::-1], has_newer=len(rows) > size)
            else:
                page = None
        except ValueError:
            raise Http404("No such page of the gallery.") from None
        if "before" in asked_for and not page.has_newer:
            # The newest ones: the first page, at the gallery's own address; whole, at the cost
            # of a second query, when pages from the oldest end do not meet it exactly.
            asked_for = {}
            if len(page.object_list) < size:
                page = None
        if page is None:
            rows = list(projects[: size + 1])
            page = cls(rows[:size], has_older=len(rows) > size)
        page.query = {} if asked_for.get("page") == "1" else asked_for
        page.links = page.make_links(base_query)
        return page

    def has_other_pages(self) -> bool:
        return self.has_newer or self.has_older

    def make_links(self, base_query: dict) -> dict[str, str]:
        links = {}
        if self.has_newer:
            links["newest"] = address(base_query)
            if self.object_list:
                links["newer"] = address({**base_query, "before": self.object_list[0].cursor})
            else:  # Asked past the end: the oldest page is the one before.
                links["newer"] = address({**base_query, "page": "last"})
        if self.has_older:
            links["older"] = address({**base_query, "after": self.object_list[-1].cursor})
            links["oldest"] = address({**base_query, "page": "last"})
        return links


def address(query: dict) -> str:
    gallery = reverse("portfolio:gallery")
    return f"{gallery}?{urlencode(query)}" if query else gallery


def picture_grid_context(
    project: Project,
    pictures: list[Picture],
    *,
    viewer: Viewer,
    can_edit: bool,
    next_url: str = "",
    first: bool = False,
) -> dict:
    """What the picture grid needs to show `pictures`, the project's `first` ones or others."""
    # As ProjectQuerySet.with_cover() fetches it: the first picture (the cover unless one is
    # chosen) needs no query of its own on the first step. A chosen cover comes with the
    # project (select_related), wherever it is in the order.
    if first and not Project.first_picture.is_cached(project):
        project.first_picture = pictures[0] if pictures else None
    return {
        "project": project,
        "pictures": pictures,
        "picture_count": project.picture_count,
        "can_edit": can_edit,
        "viewer": viewer,
        "grant": viewer.grant(project),
        # Only an editor's tools show it: a visitor's later step asks nothing for it.
        "cover_id": SimpleLazyObject(lambda: project.cover_picture_id),
        "next_url": next_url or project.get_absolute_url(),
    }


class PictureGridMixin(StepsMixin):
    """A page of a project's picture grid, in steps: the project page, the share and edit pages."""

    step_template_name = "portfolio/_picture_grid.html#picture-step"
    item_anchor = "picture-{pk}"  # The lightbox opens the picture a link names.

    def grid_context(
        self, project: Project, pictures, *, viewer: Viewer, can_edit: bool, next_url: str = ""
    ) -> dict:
        """The grid's context for the step asked for of `pictures` (the project's, or some)."""
        step = self.get_step(pictures)
        context = picture_grid_context(
            project,
            step.items,
            viewer=viewer,
            can_edit=can_edit,
            next_url=next_url,
            first=step.is_first,
        )
        context.update(self.step_context(step))
        if not step.is_first and step.items and not self.wants_step():
            # A later step's page (a link far down opens one): the lightbox counts from here.
            context["first_place"] = pictures.count_before(step.items[0])
        return context


class ProjectDetailView(CachedForVisitorsMixin, PictureGridMixin, DetailView):
    """A project's pictures in order, each opening large in the lightbox."""

    def get_queryset(self):
        projects = Project.objects.visible_to(self.request.user)
        return projects.select_related("category", "cover")

    def get(self, request, *args, **kwargs) -> HttpResponse:
        if self.asks_where():
            return self.where_is(self.get_object().pictures.all())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs) -> dict:
        project = self.object
        can_edit = Project.objects.editable_by(self.request.user).filter(pk=project.pk).exists()
        viewer = Viewer(user=self.request.user)
        context = self.grid_context(
            project, project.pictures.all(), viewer=viewer, can_edit=can_edit
        )
        if can_edit:
            context["upload_form"] = PictureUploadForm()
        context["link_preview"] = SimpleLazyObject(
            partial(project_preview, self.request, project, context["pictures"])
        )
        return super().get_context_data(**context, **kwargs)


class PictureDetailView(CachedForVisitorsMixin, DetailView):
    """One picture large, on a page of its own: what a link to it shows in a chat."""

    def get_queryset(self):
        projects = Project.objects.visible_to(self.request.user).filter(slug=self.kwargs["slug"])
        return Picture.objects.filter(project__in=projects).select_related("project__category")

    def get_context_data(self, **kwargs) -> dict:
        picture = self.object
        previous_picture, next_picture = picture.neighbours()
        return super().get_context_data(
            project=picture.project,
            previous_picture=previous_picture,
            next_picture=next_picture,
            viewer=Viewer(user=self.request.user),
            link_preview=SimpleLazyObject(partial(picture_preview, self.request, picture)),
            **kwargs,
        )


class RobotsView(TemplateView):
    """robots.txt: the sitemap, and what crawlers leave alone (none of it is public anyway)."""

    template_name = "portfolio/robots.txt"
    content_type = "text/plain; charset=utf-8"
    # Share links, the owners' pages and actions, private files, accounts and the admin.
    disallowed = [
        "/s/",
        "/studio/",
        "/files/",
        "/admin/",
        "/accounts/",
        "/projects/new/",
        "/projects/*/edit/",
        "/projects/*/delete/",
        "/projects/*/cover/",
        "/projects/*/move/",
        "/projects/*/move-to/",
        "/projects/*/focus/",
        "/projects/*/download/",
        "/projects/*/visibility/",
        "/projects/*/links/",
        "/projects/*/pictures/$",
    ]

    def get_context_data(self, **kwargs) -> dict:
        sitemap_url = self.request.build_absolute_uri(reverse("portfolio:sitemap"))
        return super().get_context_data(
            disallowed=self.disallowed, sitemap_url=sitemap_url, **kwargs
        )


class AboutView(CachedForVisitorsMixin, TemplateView):
    """The site's about text and contact links, as staff wrote them in the admin."""

    # The text is the site identity every template gets (portfolio/context_processors.py).
    template_name = "portfolio/about.html"

    def get_context_data(self, **kwargs) -> dict:
        preview = SimpleLazyObject(partial(about_preview, self.request))
        return super().get_context_data(link_preview=preview, **kwargs)
