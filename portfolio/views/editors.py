"""Who may change a project: the mixin every owner's page (studio, sharing) starts from."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django_htmx.http import HttpResponseClientRedirect

from portfolio.models import Project
from portfolio.redirects import own_url_or
from portfolio.views.htmx import HtmxPartialMixin


class PrivatePageMixin:
    """Mark every answer private: an owner's pages are for their browser, never a shared cache."""

    def dispatch(self, request, *args, **kwargs) -> HttpResponse:
        response = super().dispatch(request, *args, **kwargs)
        patch_cache_control(response, private=True)
        return response


class EditorRequiredMixin(PrivatePageMixin, HtmxPartialMixin, LoginRequiredMixin):
    """
    Changes are for a project's owner and staff: Project.objects.editable_by(user).

    Anyone else gets a 404, not a 403, so a draft's existence is not given away.
    Anonymous visitors are sent to sign in (htmx ones by a full-page redirect).
    """

    def editable_projects(self):
        return Project.objects.editable_by(self.request.user)

    def get_project(self) -> Project:
        return get_object_or_404(self.editable_projects(), slug=self.kwargs["slug"])

    def handle_no_permission(self) -> HttpResponse:
        if self.request.htmx and self.request.htmx.current_url_abs_path:
            login = redirect_to_login(self.request.htmx.current_url_abs_path)
            return HttpResponseClientRedirect(login.url)
        return super().handle_no_permission()

    def next_url(self, default: str) -> str:
        """Where a plain form post returns to: its page (sent as `next`), if it is ours."""
        next_url = self.request.POST.get("next") or self.request.GET.get("next", "")
        return own_url_or(self.request, next_url, default)
