"""Answers for machines and for requests Django refused."""

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFilesSent
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django_htmx.middleware import HtmxDetails

from portfolio.uploads import RequestBodyTooLarge
from portfolio.views.events import request_refused
from portfolio.views.htmx import HtmxHttpRequest, vary_on_htmx, wants_fragment


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


def host_is_allowed(request: HttpRequest) -> bool:
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return True
