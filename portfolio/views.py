from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, ListView
from django_htmx.middleware import HtmxDetails

from portfolio.models import Category, Project


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class HtmxPartialMixin:
    """Render the whole page, or only `htmx_partial` when htmx asks for it."""

    request: HtmxHttpRequest
    htmx_partial: str

    def get_template_names(self) -> list[str]:
        template_names = super().get_template_names()
        htmx = self.request.htmx
        # A history restore wants the whole page back, not a fragment.
        if htmx and not htmx.history_restore_request:
            return [f"{name}#{self.htmx_partial}" for name in template_names]
        return template_names

    def render_to_response(self, context, **response_kwargs) -> HttpResponse:
        response = super().render_to_response(context, **response_kwargs)
        # The same URL answers with a page or a fragment: caches must keep them apart.
        patch_vary_headers(response, ["HX-Request"])
        return response


class GalleryView(HtmxPartialMixin, ListView):
    """Published projects as a grid of covers, optionally in one category."""

    template_name = "portfolio/project_list.html"
    htmx_partial = "gallery"
    paginate_by = 24

    def get(self, request, *args, **kwargs) -> HttpResponse:
        self.categories = list(Category.objects.with_published_projects())
        self.category = self._selected_category()
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        projects = Project.objects.published().with_cover()
        if self.category:
            projects = projects.filter(category=self.category)
        return projects

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(
            categories=self.categories, selected_category=self.category, **kwargs
        )

    def _selected_category(self) -> Category | None:
        slug = self.request.GET.get("category")
        if not slug:
            return None
        for category in self.categories:
            if category.slug == slug:
                return category
        # Not in the filter bar: an empty category shows an empty grid, a made-up one is a 404.
        return get_object_or_404(Category, slug=slug)


class ProjectDetailView(DetailView):
    """A project's pictures in order, each opening large in the lightbox."""

    def get_queryset(self):
        return Project.objects.visible_to(self.request.user).select_related("category", "owner")

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(pictures=self.object.pictures.in_display_order(), **kwargs)


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Answer load balancers: the process is up and the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok\n", content_type="text/plain")
