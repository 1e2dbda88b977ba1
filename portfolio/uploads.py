"""
Multipart requests on their way in: refused from their Content-Length when too large, before
a byte of the body is read, and their temporary files kept in a folder of ours, kept tidy.
"""

import logging
import os
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http.multipartparser import MultiPartParserError

from portfolio.images.gate import megabytes

logger = logging.getLogger(__name__)

# Room for what a body holds besides the files: each part's headers, the CSRF token, captions.
MULTIPART_ALLOWANCE_BYTES = 1024 * 1024
# A temporary upload file is written to as its bytes arrive and deleted when its request ends:
# one untouched for this long was left by a worker that was killed.
STALE_UPLOAD_SECONDS = 10 * 60


class RequestBodyTooLarge(RequestDataTooBig, MultiPartParserError):
    """
    A body over max_body_bytes(), answered 413 by portfolio.views.system.bad_request.

    A MultiPartParserError too, so Django marks request.POST empty instead of parsing the
    body again when something reads it while the refusal is answered.
    """


def max_body_bytes() -> int:
    """The largest multipart body read: the files' limit per request, plus the allowance."""
    return settings.PORTFOLIO_UPLOAD_MAX_REQUEST_BYTES + MULTIPART_ALLOWANCE_BYTES


class RequestSizeLimitHandler(FileUploadHandler):
    """
    First in FILE_UPLOAD_HANDLERS: refuse a body over max_body_bytes() from its
    Content-Length, before anything reads it (CsrfViewMiddleware reads request.POST before
    any view runs). Django reads no more than Content-Length, so the files can hold no more.
    """

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > max_body_bytes():
            raise RequestBodyTooLarge(
                "Too much in one upload: at most "
                f"{megabytes(settings.PORTFOLIO_UPLOAD_MAX_REQUEST_BYTES)} at a time, you sent "
                f"{megabytes(content_length)}. Nothing was uploaded."
            )
        remove_stale_upload_files()
        return None  # The next handlers read the body.

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def remove_stale_upload_files() -> None:
    """Make FILE_UPLOAD_TEMP_DIR if missing, and remove the temporary uploads left in it."""
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stale_before = time.time() - STALE_UPLOAD_SECONDS
    with os.scandir(folder) as entries:
        for entry in entries:
            # Only Django's names (TemporaryUploadedFile: tmp<random>.upload<.extension>).
            if not (entry.name.startswith("tmp") and ".upload" in entry.name):
                continue
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < stale_before:
                    os.unlink(entry.path)
                    logger.info("Removed a stale temporary upload: %s", entry.name)
            except FileNotFoundError:
                pass  # Another worker removed it first.
