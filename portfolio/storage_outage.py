"""
An outage of the media storage: how to tell one from a bad file, what the owner is told, and
the middleware that turns one into a clear answer (503), never a crash.
"""

import errno
import logging

from botocore.exceptions import BotoCoreError, ClientError
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from portfolio.redirects import own_url_or
from portfolio.views.events import request_refused

logger = logging.getLogger(__name__)

STORAGE_UNAVAILABLE_MESSAGE = (
    "The picture storage is not answering, so your upload could not be stored. "
    "Please try again in a few minutes."
)
# For one file of a batch whose first files were stored before the storage failed.
STORAGE_UNAVAILABLE_REASON = (
    "not stored: the picture storage stopped answering. Please try this one again in a "
    "few minutes."
)

# What a full, read-only or failing disk says; other OSErrors (bad images) are not outages.
DISK_FAILURES = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EIO})


def is_storage_outage(exception: Exception) -> bool:
    """Whether the exception comes from the media storage itself, not from what was sent."""
    if isinstance(exception, BotoCoreError | ClientError):
        return True
    return isinstance(exception, OSError) and exception.errno in DISK_FAILURES


class StorageUnavailableMiddleware:
    """
    Answer 503 with a message when the storage fails; the view's transaction has rolled back.

    Scripts get the message in a request-refused event too (portfolio/views/events.py).
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
