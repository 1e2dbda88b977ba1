"""
What an answer tells the page's scripts, as htmx events in its HX-Trigger header: with the
status, these say what happened, so the scripts never read markup to find out.

- upload-judged {added, refused, pictures}: the upload view judged the files of the request
  (upload.js sends one): how many were stored and how many refused, and the pictures stored,
  in the order of their files, each as {id, position}: the place it took when its request
  committed, which upload.js compares with the order it sent the files in. Answered 200, or
  400 when nothing could be stored.
- request-refused {message}: the request was refused as a whole and nothing of it stored
  (no file, too many files, too much data, the storage down, signed out); the message says why.
- step-found {url, step, near}: where the item a page was asked about (`?at=<id>`) is, for
  static/js/lightbox.js: the address of its step with its anchor, the step's number (0 for the
  first), and whether that is near enough to load the steps up to it. Answered 204.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.http import HttpResponse
from django_htmx.http import trigger_client_event

if TYPE_CHECKING:
    from portfolio.models import Picture

UPLOAD_JUDGED = "upload-judged"
REQUEST_REFUSED = "request-refused"
STEP_FOUND = "step-found"


def upload_judged(response: HttpResponse, *, pictures: Sequence["Picture"], refused: int):
    stored = [{"id": picture.pk, "position": picture.position} for picture in pictures]
    return trigger_client_event(
        response,
        UPLOAD_JUDGED,
        {"added": len(stored), "refused": refused, "pictures": stored},
    )


def request_refused(response: HttpResponse, message: str):
    # JSON escapes every character beyond ASCII: any message fits in a header.
    return trigger_client_event(response, REQUEST_REFUSED, {"message": message})


def step_found(response: HttpResponse, *, url: str, step: int, near: bool):
    return trigger_client_event(response, STEP_FOUND, {"url": url, "step": step, "near": near})
