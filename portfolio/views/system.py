"""Answers for machines, for requests Django refused, and for a media storage outage."""

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFilesSent
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django_htmx.middleware import HtmxDetails

from portfolio.redirects import own_url_or
from portfolio.storage_outage import STORAGE_UNAVAILABLE_MESSAGE, is_storage_outage
from portfolio.uploads import RequestBodyTooLarge
from portfolio.views.events import request_refused
from portfolio.views.htmx import HtmxHttpRequest, vary_on_htmx, wants_fragment

logger = logging.getLogger(__name__)


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Answer load balancers: the process is up and the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok\n", content_type="text/plain")


def bad_request(request: HtmxHttpRequest, exception: Exception) -> HttpResponse:
    """
    Say why Django refused a request: too many files, too large a body, too much form data.

    The page (or for htmx its message) says it to people, the request-refused event to scripts.
    A host outside ALLOWED_HOSTS gets a plain 400 in place of the page.
    """
    if not hasattr(request, "htmx"):
        # Refused before HtmxMiddleware ran (CommonMiddleware's host check): read it here.
        request.htmx = HtmxDetails(request)
    if not wants_fragment(request) and not host_is_allowed(request):
        # The page builds absolute addresses (link previews) from the host, which raises
        # again: every such request was a 500. The message alone names no address.
        return HttpResponseBadRequest("Bad Request\n", content_type="text/plain")
    status = 400
    if isinstance(exception, RequestBodyTooLarge):
        message, status = str(exception), 413
    elif isinstance(exception, TooManyFilesSent):
        message = (
            f"Too many files in one upload: at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} "
            "at a time. Nothing was uploaded."
        )
    elif isinstance(exception, RequestDataTooBig):
        message = "Too much form data in one request. Nothing was saved."
    else:
        message = "The request could not be understood."
    template_name = "400.html#message" if wants_fragment(request) else "400.html"
    response = render(request, template_name, {"message": message}, status=status)
    return request_refused(vary_on_htmx(response), message)


class StorageUnavailableMiddleware:
    """
    Answer 503 with a message when the storage fails; the view's transaction has rolled back.

    Scripts get the message in a request-refused event too (portfolio/views/events.py).
    An outage is told from a bad file by portfolio/storage_outage.py.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_storage_outage(exception):
            return None
        logger.error(
            "Media storage failed during %s %s", request.method, request.path, exc_info=True
        )
        if getattr(request, "htmx", False):
            # htmx swaps no 5xx body: reload the page, which shows the message.
            messages.error(request, STORAGE_UNAVAILABLE_MESSAGE)
            response = HttpResponse(
                status=503, headers={"HX-Refresh": "true", "Retry-After": "60"}
            )
            return request_refused(response, STORAGE_UNAVAILABLE_MESSAGE)
        response = TemplateResponse(
            request,
            "portfolio/storage_unavailable.html",
            {"message": STORAGE_UNAVAILABLE_MESSAGE, "back_url": _back_url(request)},
            status=503,
            headers={"Retry-After": "60"},
        )
        return request_refused(response.render(), STORAGE_UNAVAILABLE_MESSAGE)


def _back_url(request: HttpRequest) -> str:
    """The page the owner came from, when it is one of ours; else the gallery."""
    return own_url_or(request, request.headers.get("Referer", ""), reverse("portfolio:gallery"))


def host_is_allowed(request: HttpRequest) -> bool:
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return True
