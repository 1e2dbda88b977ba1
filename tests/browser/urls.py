"""
The site's URLs plus its uploads, for the live server the browser tests talk to.

The suite runs with DEBUG off, as production does, and then Django serves no media:
in production a web server or the object storage does. The live server stands in for
both. Rather than turning DEBUG on (which changes error pages and more of what is under
test) and rebuilding the real URLconf, the browser tests point ROOT_URLCONF here: the
site's own URLs and error views, unchanged, plus a media view that reads MEDIA_ROOT on
every request, so each test's temporary MEDIA_ROOT is what the browser sees. Media in a
bucket (make test-services) have absolute URLs: the browser fetches them from the bucket.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import path
from django.views.static import serve

from site_config import urls as site_urls

# The site's error views (handler400 and any added later) belong to its URLconf module.
from site_config.urls import *  # noqa: F403


def media(request, path: str):
    """Serve an upload from the current MEDIA_ROOT."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


# Media on disk are under MEDIA_URL's path; with a bucket configured, tests marked local_media
# get theirs under /media/ (tests/conftest.py).
MEDIA_PATH = "/media/" if urlsplit(settings.MEDIA_URL).netloc else settings.MEDIA_URL

urlpatterns = [
    path(f"{MEDIA_PATH.lstrip('/')}<path:path>", media),
    *site_urls.urlpatterns,
]
