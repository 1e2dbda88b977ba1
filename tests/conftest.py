import functools
import importlib
import socket
import uuid
from pathlib import Path

import botocore.loaders
import botocore.session
import pytest
from botocore.config import Config
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.files.storage import storages
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import clear_url_caches

from site_config.environment import bucket_media_url
from tests.helpers import make_project, make_staff, make_user, signed_in

S3_STORAGE = "storages.backends.s3.S3Storage"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    """
    Test on an SQLite file, as the site runs, not in memory.

    An in-memory database is one connection, which the live server would share among the
    threads that answer a page's concurrent image requests; SQLite refuses that at random
    ("bad parameter or other API misuse"). On a file each thread has its own connection.
    """
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(
            tmp_path_factory.mktemp("database") / "test.sqlite3"
        )


@pytest.fixture(scope="session", autouse=True)
def collected_static(tmp_path_factory):
    """
    Collect static files once into a temporary STATIC_ROOT.

    Tests run with DEBUG off, so pages link hashed names from WhiteNoise's
    manifest: the suite makes its own rather than depend on a `collectstatic` run.
    """
    static_root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=static_root):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield static_root


@pytest.fixture(autouse=True)
def media_root(request, tmp_path, settings):
    """
    Every test stores uploads apart from the others and from real media.

    On disk: a temporary MEDIA_ROOT. In a bucket (AWS_STORAGE_BUCKET_NAME set): a prefix of
    its own, emptied afterwards. Tests marked `local_media` are about media on disk and get
    the embedded default (disk, /media/) whatever the environment says.
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    on_disk = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {
            "BACKEND": "portfolio.access.PrivateFileSystemStorage",
            "OPTIONS": {"location": settings.PRIVATE_MEDIA_ROOT},
        },
    }
    default = settings.STORAGES["default"]
    if default["BACKEND"] != S3_STORAGE or request.node.get_closest_marker("local_media"):
        settings.STORAGES = {**settings.STORAGES, **on_disk}
        settings.MEDIA_URL = "/media/"
        yield settings.MEDIA_ROOT
        return
    # A prefix of its own in each bucket.
    location = f"test-{uuid.uuid4().hex}"
    in_buckets = {
        alias: {**settings.STORAGES[alias], "OPTIONS": {**options, "location": location}}
        for alias in ("default", "private")
        for options in [settings.STORAGES[alias]["OPTIONS"]]
    }
    settings.STORAGES = {**settings.STORAGES, **in_buckets}
    settings.MEDIA_URL = bucket_media_url(in_buckets["default"]["OPTIONS"])
    # Their own clients: the test may have pointed the storages elsewhere meanwhile.
    buckets = [storages.create_storage(in_buckets[alias]).bucket for alias in in_buckets]
    yield settings.MEDIA_ROOT
    for bucket in buckets:
        bucket.objects.filter(Prefix=f"{location}/").delete()


@pytest.fixture(autouse=True)
def empty_caches():
    """Every test starts with empty caches, as a freshly started process does."""
    for alias in django_settings.CACHES:
        caches[alias].clear()


@pytest.fixture
def reload_urls():
    """Rebuild the URLconf, for tests that change what it reads at import (DEBUG)."""

    def reload() -> None:
        clear_url_caches()
        importlib.reload(importlib.import_module(django_settings.ROOT_URLCONF))

    yield reload
    # Teardown runs before the settings fixture restores DEBUG: rebuild as the suite runs.
    with override_settings(DEBUG=False):
        reload()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users are made in most tests: a real hasher's deliberate slowness buys nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def one_reading_of_the_s3_api():
    """
    Every S3 storage a test makes starts a boto3 session, which reads and parses botocore's
    JSON description of the S3 API again (0.15 s, twice a test): share one loader, as a
    long-running process does. It keeps `make test`'s run on the bucket three times faster.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            botocore.session, "create_loader", functools.cache(botocore.loaders.create_loader)
        )
        yield


# Which tests run where: `make test` selects by marker, and nothing is ever skipped.
BROWSER_TESTS = Path(__file__).parent / "browser"
POSTGRESQL = "django.db.backends.postgresql"
SERVICES = {  # name: (what it is, whether this run is configured for it)
    "postgres": (
        "PostgreSQL (DATABASE_URL=postgres://…)",
        lambda: django_settings.DATABASES["default"]["ENGINE"] == POSTGRESQL,
    ),
    "bucket": (
        "an S3 bucket (AWS_STORAGE_BUCKET_NAME, AWS_*)",
        lambda: django_settings.STORAGES["default"]["BACKEND"] == S3_STORAGE,
    ),
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark everything under tests/browser/ `browser`, so that a run can leave it out."""
    for item in items:
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked `services(...)` fails when the server it needs is not configured."""
    for marker in item.iter_markers("services"):
        missing = [SERVICES[name][0] for name in marker.args if not SERVICES[name][1]()]
        if missing:
            pytest.fail(
                f"needs {' and '.join(missing)}, which this run is not configured for: "
                "`make test` starts the servers (.ci/services); `-m 'not services'` leaves "
                "these tests out.",
                pytrace=False,
            )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A skip is a failure: tests are chosen by marker, so a skipped one is a test lost."""
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped ({reason}); deselect it by marker instead"
    return report


# Shared fixtures: who and what most tests start from ----------------------------------------
# A module that needs more defines its own on top of these: `def project(project): ...`.


@pytest.fixture
def owner():
    return make_user("owner")


@pytest.fixture
def project(owner):
    """A published project of the owner's, without pictures."""
    return make_project(owner)


@pytest.fixture
def owner_client(owner) -> Client:
    return signed_in(owner)


@pytest.fixture
def staff_client() -> Client:
    return signed_in(make_staff())


def closed_port() -> int:
    """A loopback port nothing listens on: connections to it are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unreachable_bucket(settings) -> str:
    """Media in buckets whose server is down, with the production client settings."""
    endpoint = f"http://127.0.0.1:{closed_port()}"

    def bucket(name: str, **options) -> dict:
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": "unreachable",
                "secret_key": "unreachable",
                "file_overwrite": False,
                "client_config": Config(
                    connect_timeout=5, retries={"mode": "standard", "max_attempts": 3}
                ),
                **options,
            },
        }

    settings.STORAGES = {
        **settings.STORAGES,
        "default": bucket("portfolio-media", querystring_auth=False),
        "private": bucket("portfolio-private", querystring_auth=True, querystring_expire=600),
    }
    return endpoint
