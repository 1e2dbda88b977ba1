"""The one way the views answer htmx: the whole page, or the fragment it asks for."""

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class HtmxPartialMixin:
    """
    Render the whole page, or only its partial `htmx_partial` when htmx asks for it.

    Every answer varies on HX-Request, redirects and fragments alike: the same URL answers
    htmx and plain requests differently.
    """

    request: HtmxHttpRequest
    htmx_partial: str | None = None
    # Or the fragment's full name, when it lives in a template the page includes.
    htmx_template_name: str | None = None

    def dispatch(self, request: HtmxHttpRequest, *args, **kwargs) -> HttpResponse:
        return vary_on_htmx(super().dispatch(request, *args, **kwargs))

    def get_template_names(self) -> list[str]:
        if wants_fragment(self.request):
            if self.htmx_template_name:
                return [self.htmx_template_name]
            if self.htmx_partial:
                return [f"{name}#{self.htmx_partial}" for name in super().get_template_names()]
        return super().get_template_names()


def wants_fragment(request: HtmxHttpRequest) -> bool:
    """Whether htmx asks for a fragment: a history restore wants the whole page back."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    """Tell caches to keep the answers to htmx and to plain requests apart."""
    patch_vary_headers(response, ["HX-Request"])
    return response
