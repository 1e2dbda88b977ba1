"""The settings module: safe defaults, refusals, and what the environment changes."""

from pathlib import Path

import pytest

from site_config.environment import BASE_DIR, database_from_url
from tests.helpers import load_settings, run_python


def test_development_defaults():
    result = load_settings(DJANGO_DEBUG="1")

    assert result.returncode == 0, result.stderr
    debug, media_root, media_url, engine = result.stdout.split()
    assert debug == "True"
    assert Path(media_root) == BASE_DIR / "media"
    assert media_url == "/media/"
    assert engine == "django.db.backends.sqlite3"


@pytest.mark.parametrize(
    "environment",
    [{}, {"DJANGO_SECRET_KEY": "django-insecure-development-key-never-use-in-production"}],
    ids=["no-key", "development-key"],
)
def test_production_refuses_to_serve_without_a_real_secret_key(environment):
    for entry_point in ("site_config.wsgi", "site_config.asgi"):
        result = run_python(f"import {entry_point}", **environment)

        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_a_real_secret_key_lets_the_site_serve():
    result = run_python(
        "import site_config.wsgi", DJANGO_SECRET_KEY="a-real-key-for-this-test-" * 2
    )

    assert result.returncode == 0, result.stderr


def test_commands_that_sign_nothing_need_no_secret_key():
    result = run_python(
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'makemigrations', '--check', '--dry-run'])",
        DJANGO_SETTINGS_MODULE="site_config.settings",
    )

    assert result.returncode == 0, result.stderr


def test_media_can_move_and_its_url_can_be_a_cdn(tmp_path):
    result = load_settings(
        DJANGO_DEBUG="1",
        DJANGO_MEDIA_ROOT=str(tmp_path / "uploads"),
        DJANGO_MEDIA_URL="https://cdn.example.com/media",
    )

    assert result.returncode == 0, result.stderr
    _, media_root, media_url, _ = result.stdout.split()
    assert media_root == str(tmp_path / "uploads")
    assert media_url == "https://cdn.example.com/media/"


def test_media_root_inside_static_root_is_refused():
    result = load_settings(DJANGO_DEBUG="1", DJANGO_MEDIA_ROOT=str(BASE_DIR / "staticfiles" / "m"))

    assert result.returncode != 0
    assert "MEDIA_ROOT must not be" in result.stderr


@pytest.mark.parametrize(
    ("environment", "backend"),
    [
        ({"DJANGO_SECRET_KEY": "a-real-key-for-this-test-" * 2}, "locmem.LocMemCache"),
        ({"DJANGO_DEBUG": "1"}, "dummy.DummyCache"),
    ],
    ids=["production", "development"],
)
def test_pages_are_kept_in_memory_but_not_in_development(environment, backend):
    result = load_settings("s.CACHES['pages']['BACKEND']", **environment)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"django.core.cache.backends.{backend}"


def test_a_request_byte_limit_smaller_than_one_file_is_refused():
    result = load_settings(
        DJANGO_DEBUG="1",
        PORTFOLIO_UPLOAD_MAX_BYTES=str(30 * 1024 * 1024),
        PORTFOLIO_UPLOAD_MAX_REQUEST_BYTES=str(20 * 1024 * 1024),
    )

    assert result.returncode != 0
    assert "PORTFOLIO_UPLOAD_MAX_REQUEST_BYTES must be at least PORTFOLIO_UPLOAD_MAX_BYTES" in (
        result.stderr
    )


def test_database_urls():
    assert database_from_url("sqlite:///db.sqlite3")["NAME"] == BASE_DIR / "db.sqlite3"
    assert database_from_url("sqlite:////tmp/site.db")["NAME"] == Path("/tmp/site.db")
    postgres = database_from_url(
        "postgres://gallery:s%3Acret@db.internal:5433/gallery?sslmode=require"
    )
    assert postgres["ENGINE"] == "django.db.backends.postgresql"
    assert (postgres["USER"], postgres["PASSWORD"]) == ("gallery", "s:cret")
    assert (postgres["HOST"], postgres["PORT"], postgres["NAME"]) == (
        "db.internal",
        "5433",
        "gallery",
    )
    assert postgres["OPTIONS"] == {"sslmode": "require"}


BUCKET_URLS = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "site_config.settings"
django.setup()
from django.conf import settings
from django.core.files.storage import default_storage, storages
options = {**settings.STORAGES["default"]["OPTIONS"], "custom_domain": None}
without_domain = {**settings.STORAGES["default"], "OPTIONS": options}
signed_then_stripped = storages.create_storage(without_domain)
name = "projects/12/3f9c e1_w960.webp"
def botocore_url(*args, **kwargs):
    raise AssertionError("botocore was asked to build the URL")
for connection in (default_storage.connection, default_storage.unsigned_connection):
    connection.meta.client.generate_presigned_url = botocore_url
print(default_storage.url(name), signed_then_stripped.url(name), settings.MEDIA_URL)
"""


@pytest.mark.parametrize(
    "variables",
    [
        {},
        {"AWS_S3_REGION_NAME": "eu-west-1"},
        {"AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000"},
        {"AWS_S3_ENDPOINT_URL": "https://s3.example.net", "AWS_LOCATION": "staging"},
    ],
)
def test_bucket_urls_are_joined_without_botocore_and_as_botocore_builds_them(variables):
    result = run_python(
        BUCKET_URLS,
        DJANGO_DEBUG="1",
        AWS_STORAGE_BUCKET_NAME="portfolio-media",
        AWS_PRIVATE_STORAGE_BUCKET_NAME="portfolio-private",
        AWS_ACCESS_KEY_ID="key",
        AWS_SECRET_ACCESS_KEY="secret",
        **variables,
    )

    assert result.returncode == 0, result.stderr
    built, from_botocore, media_url = result.stdout.split()
    assert built == from_botocore
    assert built == f"{media_url}projects/12/3f9c%20e1_w960.webp"
