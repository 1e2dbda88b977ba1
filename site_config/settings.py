"""
Settings for the portfolio site: one module, configured by the environment.

Without any variable set you get the embedded default: SQLite in the
repository, uploads under media/, everything local. Production sets the
variables listed in the README.
"""

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = os.environ.get("DJANGO_DEBUG") == "1"

# Good for a laptop, worthless anywhere else: refused below when DEBUG is off.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-key-never-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is not 1: the development key is public."
    )

ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles so runserver serves static files the way production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "portfolio",
    # Last, so it sees every model with a FileField once they are all loaded.
    "django_cleanup.apps.CleanupConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware, before anything that may do work for a static file.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "site_config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "site_config.wsgi.application"


def database_from_url(url: str) -> dict:
    """Read sqlite:///path or postgres://user:password@host:port/name into DATABASES form."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as dj-database-url reads them.
        path = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / path if path else ""}
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


DATABASES = {
    "default": database_from_url(os.environ.get("DATABASE_URL", "sqlite:///db.sqlite3")),
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portfolio:studio"
LOGOUT_REDIRECT_URL = "portfolio:gallery"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files: ours, collected at deploy time under hashed names and served by WhiteNoise.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Media: our users' uploads, written at run time. Never inside STATIC_ROOT, never
# under STATIC_URL. MEDIA_URL may be a full URL, e.g. a CDN in front of the bucket.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media")).resolve()
MEDIA_URL = os.environ.get("DJANGO_MEDIA_URL", "/media/")
if not MEDIA_URL.endswith("/"):
    MEDIA_URL += "/"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

if STATIC_ROOT.resolve() == MEDIA_ROOT or STATIC_ROOT.resolve() in MEDIA_ROOT.parents:
    raise ImproperlyConfigured("MEDIA_ROOT must not be, or be inside, STATIC_ROOT.")
if STATIC_ROOT.resolve() == MEDIA_ROOT or MEDIA_ROOT in STATIC_ROOT.resolve().parents:
    raise ImproperlyConfigured("STATIC_ROOT must not be, or be inside, MEDIA_ROOT.")

# Responsive renditions made once per picture, after its upload commits (portfolio/images.py).
# Widths in pixels, never upscaled; changing them makes `manage.py build_renditions` remake them.
PORTFOLIO_RENDITION_WIDTHS = (480, 960, 1600)
# "webp" (fast to encode, shown everywhere) or "avif" (smaller files, slower to encode).
PORTFOLIO_RENDITION_FORMAT = "webp"

# Django's tasks framework. The immediate backend runs a task as it is enqueued, so in the
# embedded default renditions exist as soon as the upload's transaction commits.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

# Uploaded files are written with these modes, readable by a web server in front of us.
FILE_UPLOAD_PERMISSIONS = 0o644
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o755

# Upload limits, per file and per request: what the upload form promises owners (README).
# 25 MB holds any camera JPEG or phone HEIC; bigger files are usually TIFF/RAW exports.
PORTFOLIO_UPLOAD_MAX_BYTES = int(os.environ.get("PORTFOLIO_UPLOAD_MAX_BYTES", 25 * 1024 * 1024))
# Checked from the header before decoding: 100 MP decodes to about 300 MB of RAM.
PORTFOLIO_UPLOAD_MAX_PIXELS = int(os.environ.get("PORTFOLIO_UPLOAD_MAX_PIXELS", 100_000_000))
# Files per request: keeps one request's work bounded. The upload form sends a bigger
# selection (a folder, a whole shoot) in several requests that respect both request limits.
PORTFOLIO_UPLOAD_MAX_FILES = int(os.environ.get("PORTFOLIO_UPLOAD_MAX_FILES", 20))
# Total bytes of the files in one request: 100 MB takes a minute or two on a slow uplink and
# some seconds of decoding, well inside an app server's timeout; a proxy must accept a bit more.
PORTFOLIO_UPLOAD_MAX_REQUEST_BYTES = int(
    os.environ.get("PORTFOLIO_UPLOAD_MAX_REQUEST_BYTES", 100 * 1024 * 1024)
)
if PORTFOLIO_UPLOAD_MAX_REQUEST_BYTES < PORTFOLIO_UPLOAD_MAX_BYTES:
    raise ImproperlyConfigured(
        "PORTFOLIO_UPLOAD_MAX_REQUEST_BYTES must be at least PORTFOLIO_UPLOAD_MAX_BYTES: "
        "every accepted file must fit in one request."
    )
# Django stops parsing at the first file over our limit, before it streams to disk.
DATA_UPLOAD_MAX_NUMBER_FILES = PORTFOLIO_UPLOAD_MAX_FILES
# Files above this stream to a temporary file instead of being held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440))
# Form fields other than files (captions, titles) never need more than Django's 2.5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        # Django's default config gives "django" a handler of its own: one line, not two.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Request lines are the web server's business; keep warnings and errors.
        "django.server": {"level": "WARNING"},
    },
}
