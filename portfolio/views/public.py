"""What visitors see: the gallery and a project's pages."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.views.generic import (
    DetailView,
    ListView,
)

from portfolio import fragments
from portfolio.forms import PictureUploadForm
from portfolio.models import Category, Project
from portfolio.views.htmx import HtmxPartialMixin


class GalleryView(HtmxPartialMixin, ListView):
    """Published projects as a grid of covers, optionally in one category."""

    template_name = "portfolio/project_list.html"
    htmx_partial = "gallery"
    paginate_by = 24

    def get(self, request, *args, **kwargs) -> HttpResponse:
        content_version, self.categories = Category.objects.for_gallery()
        self.category = self._selected_category()
        page = self.kwargs.get(self.page_kwarg) or request.GET.get(self.page_kwarg) or "1"
        self.gallery_key = fragments.gallery_key(
            content_version, category_id=self.category and self.category.pk, page=page
        )
        gallery = fragments.get(self.gallery_key)
        if gallery is None:
            return super().get(request, *args, **kwargs)
        # Kept for this content version: the page needs nothing more from the database.
        self.object_list = []  # Nothing to list: the grid is kept.
        return self.render_to_response({"selected_category": self.category, "gallery": gallery})

    def get_queryset(self):
        projects = Project.objects.published().with_cover()
        if self.category:
            projects = projects.filter(category=self.category)
        return projects

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(
            categories=self.categories, selected_category=self.category, **kwargs
        )
        # Without the request: what is kept for every visitor cannot depend on one.
        gallery = render_to_string(f"{self.template_name}#gallery-grid", context)
        return {**context, "gallery": fragments.keep(self.gallery_key, gallery)}

    def _selected_category(self) -> Category | None:
        slug = self.request.GET.get("category")
        if not slug:
            return None
        for category in self.categories:
            if category.slug == slug:
                return category
        # Not in the filter bar: an empty category shows an empty grid, a made-up one is a 404.
        return get_object_or_404(Category, slug=slug)


def picture_grid_context(project: Project, *, can_edit: bool, next_url: str = "") -> dict:
    """What the picture grid needs, in one query however many pictures (and editors)."""
    pictures = list(project.pictures.in_display_order())
    return {
        "project": project,
        "pictures": pictures,
        "can_edit": can_edit,
        # The badge shows on the chosen cover, else the first picture, as the gallery does.
        "cover_id": project.cover_id or (pictures[0].pk if pictures else None),
        "next_url": next_url or project.get_absolute_url(),
    }


class ProjectDetailView(DetailView):
    """A project's pictures in order, each opening large in the lightbox."""

    def get_queryset(self):
        return (
            Project.objects.visible_to(self.request.user)
            .select_related("category")
            .with_content_version()
        )

    def get_context_data(self, **kwargs) -> dict:
        project = self.object
        if Project.objects.editable_by(self.request.user).filter(pk=project.pk).exists():
            context = picture_grid_context(project, can_edit=True)
            context["upload_form"] = PictureUploadForm()
        else:
            # Visitors all see the same grid: it is kept. An editor's (tools, tokens) never is.
            key = fragments.picture_grid_key(project.content_version, project.pk)
            grid = fragments.get(key)
            if grid is None:
                grid = render_to_string(
                    "portfolio/project_detail.html#picture-grid",
                    picture_grid_context(project, can_edit=False),
                )
                fragments.keep(key, grid)
            context = {"project": project, "can_edit": False, "picture_grid": grid}
        return super().get_context_data(**context, **kwargs)
