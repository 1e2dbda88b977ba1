"""
Reading the environment for the settings: what settings.py calls, and the development key the
entry points refuse. A module of its own so tests and wsgi.py import these without the settings.
"""

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# Good for a laptop, worthless anywhere else: a server refuses it when DEBUG is off.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-key-never-use-in-production"


def env_flag(name: str, default: bool) -> bool:
    """Read a yes/no variable (1/0, true/false, yes/no, on/off); unset or empty gives default."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {value!r}.")


def database_from_url(url: str) -> dict:
    """Read sqlite:///path or postgres://user:password@host:port/name into DATABASES form."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as dj-database-url reads them.
        path = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / path if path else "",
            "OPTIONS": {
                # A transaction takes the one write lock as it begins, waiting its turn: one that
                # read before writing can no longer fail half-way with "database is locked".
                "transaction_mode": "IMMEDIATE",
                # Seconds to wait for that lock, well inside gunicorn's --timeout (README: 120 s).
                "timeout": 20,
                # WAL: readers never wait for the writer, nor the writer for readers. NORMAL
                # syncs at checkpoints: a power cut may lose the last commits, never corrupt.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            },
        }
    if parts.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": dict(parse_qsl(parts.query)),
            # Keep connections between requests; health checks drop dead ones.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported.")


def bucket_media_url(options: dict) -> str:
    """The public prefix of the bucket's objects: the CDN's domain, or the bucket's own URL."""
    if options.get("custom_domain"):
        base = f"{options.get('url_protocol', 'https:')}//{options['custom_domain']}/"
    elif options.get("endpoint_url"):
        # botocore addresses a bucket behind a custom endpoint by path.
        base = f"{options['endpoint_url'].rstrip('/')}/{options['bucket_name']}/"
    else:
        base = f"https://{options['bucket_name']}.s3.amazonaws.com/"
    location = options.get("location", "").strip("/")
    return f"{base}{location}/" if location else base


def url_origin(url: str) -> list[str]:
    """The scheme://host[:port] of an absolute URL, as a CSP source list; nothing for a path."""
    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


def folders_overlap(first: Path, second: Path) -> bool:
    """Whether one folder is, or is inside, the other."""
    return first == second or first in second.parents or second in first.parents


def refuse_to_serve_with_the_development_key() -> None:
    """
    Stop a server that would sign sessions and CSRF tokens with the public development key.

    Called by wsgi.py and asgi.py (gunicorn, runserver, uvicorn), not at import: commands that
    sign nothing, such as makemigrations or collectstatic in a build, need no secret.
    `check --deploy` reports the development key too (security.W009).
    """
    if not settings.DEBUG and settings.SECRET_KEY == DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is not 1: the development key is "
            "public."
        )
