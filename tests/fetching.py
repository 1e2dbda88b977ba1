"""
How a browser fetches what a page names, on disk or in buckets alike.

Our file view (/files/) is fetched with the test client; a public file on disk is what the web
server serves from MEDIA_ROOT, which the test client cannot: it is looked up in the public
storage, under MEDIA_URL + its name; anything else is fetched from the S3 server.
"""

import re
from html import unescape
from urllib.parse import unquote, urlsplit

import requests
from django.conf import settings
from django.test import Client

from portfolio.access import private_storage, public_storage, read_signed_file_url
from portfolio.models import Picture

ATTRIBUTE = re.compile(r'(?:src|srcset|href|data-large)="([^"]*)"')


def stored_names() -> set[str]:
    """Every stored file the database knows of: originals and renditions."""
    names = set()
    for picture in Picture.objects.all():
        names |= {picture.photo.name, *picture.rendition_names}
    return names


def stored_name(url: str) -> str | None:
    """The stored file a URL names, or None if it names none."""
    if url.startswith("/files/"):
        signed = read_signed_file_url(url.split("/")[2])
        return signed.name if signed else None
    path = unquote(urlsplit(url).path)
    return next((name for name in stored_names() if path.endswith(f"/{name}")), None)


def media_urls(html: str) -> set[str]:
    """Every address in the page that names a stored file."""
    urls = set()
    for value in ATTRIBUTE.findall(html):
        for candidate in unescape(value).split(","):
            url = candidate.strip().split(" ")[0]
            if url and stored_name(url):
                urls.add(url)
    return urls


def body(response) -> bytes:
    # Read to the end, the test client closes it (response.close() would close the database
    # connection too, as a finished request does).
    return b"".join(response.streaming_content) if response.streaming else response.content


def fetch(client: Client, url: str) -> tuple[int, bytes, dict]:
    """Fetch a media URL as a browser would: our file view, the web server, or the bucket."""
    if url.startswith("/files/"):
        response = client.get(url)
        return response.status_code, body(response), response.headers
    if url.startswith("/"):
        # On disk under MEDIA_URL: nginx serves MEDIA_ROOT, the public storage.
        assert url.startswith(settings.MEDIA_URL), url
        name = unquote(url.removeprefix(settings.MEDIA_URL))
        if not public_storage().exists(name):
            return 404, b"", {}
        with public_storage().open(name, "rb") as stored:
            return 200, stored.read(), {}
    response = requests.get(url, timeout=10)
    return response.status_code, response.content, response.headers


def read(name: str, public: bool) -> bytes:
    """The bytes of a file in the public or the private storage."""
    storage = public_storage() if public else private_storage()
    with storage.open(name, "rb") as stored:
        return stored.read()
