"""The one way the views answer htmx: the whole page, or the fragment it asks for."""

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails


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
