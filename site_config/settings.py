"""
Settings for the portfolio site: one module, configured by the environment.

Without any variable set you get the embedded default: SQLite in the
repository, uploads under media/, everything local. Production sets the
variables listed in the README.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from site_config.environment import (
    BASE_DIR,
    DEVELOPMENT_SECRET_KEY,
    bucket_media_url,
    database_from_url,
    env_flag,
    folders_overlap,
    url_origin,
)

DEBUG = os.environ.get("DJANGO_DEBUG") == "1"


# Unset: the public development key, which servers refuse when DEBUG is off (environment.py).
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY)


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
    # The sitemap's views and templates (portfolio/discovery/sitemaps.py); no sites framework.
    "django.contrib.sitemaps",
    "django_htmx",
    # Installed in every setup, so the schema is the same whichever tasks backend runs.
    "django_tasks_db",
    # Sign-in throttling: counts failed sign-ins, locks out, lists them for staff in the admin.
    "axes",
    "portfolio",
    # Last, so it sees every model with a FileField once they are all loaded.
    "django_cleanup.apps.CleanupConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so that static files carry the policy too.
    "site_config.headers.PermissionsPolicyMiddleware",
    # Right after SecurityMiddleware, before anything that may do work for a static file.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: the policy protects pages, static files need none.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portfolio.views.system.StorageUnavailableMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its page (429).
    "axes.middleware.AxesMiddleware",
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
                "portfolio.context_processors.site_identity",
                # csp_nonce, which the admin puts on its tags (our pages load files only).
                "django.template.context_processors.csp",
            ],
        },
    },
]

WSGI_APPLICATION = "site_config.wsgi.application"


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

# django-axes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling, on the site's and the admin's sign-in alike: after 5 wrong passwords for
# one account from one address, that pair waits 15 minutes (each further try starts the wait
# again); signing in resets the count. Staff unlock in the admin or with `manage.py axes_reset`.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The address it counts per: the client's, past our proxies (portfolio/addresses.py).
AXES_CLIENT_IP_CALLABLE = "portfolio.addresses.client_address"
# Proxies in front of the app that append the address they saw to X-Forwarded-For (nginx as
# docs/production.md configures it: 1). 0: the connection's address is the client's. More
# than there are lets a client choose its address; fewer counts the proxy's for everyone.
PORTFOLIO_TRUSTED_PROXIES = int(os.environ.get("DJANGO_TRUSTED_PROXIES", 0))
if not 0 <= PORTFOLIO_TRUSTED_PROXIES <= 5:
    raise ImproperlyConfigured("DJANGO_TRUSTED_PROXIES must be between 0 and 5.")
# A share link's password: this many tries per link and client address, then that pair waits
# this long after its last try (models/sharing.py). Another address, or a browser that gave
# the password, is never held up by them.
PORTFOLIO_SHARE_PASSWORD_TRIES = 5
PORTFOLIO_SHARE_PASSWORD_COOLOFF = timedelta(minutes=15)

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
# under STATIC_URL. On disk by default; in S3-compatible buckets when they are named.
# Two storages (portfolio/access.py decides which file goes where and hands out every URL):
# - "default", public: the renditions of public projects, on plain, immutable, cacheable URLs
#   (MEDIA_URL, maybe a CDN);
# - "private", never publicly readable: every original, and the renditions of unlisted and
#   private projects, reached only through short-lived signed URLs.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media")).resolve()
PRIVATE_MEDIA_ROOT = Path(
    os.environ.get("DJANGO_PRIVATE_MEDIA_ROOT", BASE_DIR / "private-media")
).resolve()
# How long a signed URL of a private file works: revoking a link or making a project private
# stops its image URLs within this time (on disk at once: the file view checks again).
PORTFOLIO_PRIVATE_URL_SECONDS = int(os.environ.get("PORTFOLIO_PRIVATE_URL_SECONDS", 3600))
if not 10 <= PORTFOLIO_PRIVATE_URL_SECONDS <= 3600:
    raise ImproperlyConfigured("PORTFOLIO_PRIVATE_URL_SECONDS must be between 10 and 3600.")
# On disk behind nginx: the internal location that serves PRIVATE_MEDIA_ROOT (README's sample).
# Empty: Django sends private files itself (development, or no nginx in front).
PORTFOLIO_PRIVATE_MEDIA_ACCEL_PREFIX = os.environ.get("DJANGO_PRIVATE_MEDIA_ACCEL_PREFIX", "")

# E-mail (Django 6.1's MAILERS): an owner may be told when a client sends a selection
# (models/proofing.py). Sent through the SMTP server named here; printed to the console in
# development when none is named. The tests swap in the memory backend (mail.outbox).
if os.environ.get("DJANGO_EMAIL_HOST") or not DEBUG:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("DJANGO_EMAIL_HOST", "localhost"),
                "port": int(os.environ.get("DJANGO_EMAIL_PORT", 25)),
                "username": os.environ.get("DJANGO_EMAIL_HOST_USER", ""),
                "password": os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_flag("DJANGO_EMAIL_USE_TLS", False),
                # A slow server must not hold the client's request for long.
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "portfolio@localhost")
# Whether owners (who gave an e-mail address) are told when a client sends a selection.
PORTFOLIO_SELECTION_EMAILS = env_flag("PORTFOLIO_SELECTION_EMAILS", True)
# How many pictures (or studio projects) a page sends at first and then each time the visitor
# nears the end: a first screen's worth, so a project of 20,000 opens as fast as one of 10.
PORTFOLIO_STEP_SIZE = 12
# A link to a picture this many steps down at most loads the steps up to it, one request each;
# further, the page opens at the picture's step, in one (views/steps.py, static/js/lightbox.js).
PORTFOLIO_STEPS_LOADED_FOR_A_LINK = 3
# The selections one share link keeps: each start is a row whoever holds it can add.
PORTFOLIO_SELECTIONS_PER_LINK = 100

# The rows the admin's lists count at most (a search's matches, the pages): a count of a
# million pictures reads them all.
PORTFOLIO_ADMIN_COUNT_LIMIT = 10_000

# ZIP downloads streamed at once (portfolio/models/downloads.py), counted in the database so
# that the limits hold across processes and app servers: per client (a share link or a user,
# and an address) and in total; beyond, 429 with Retry-After. The total stays below the
# threads of the download process (docs/production.md), which must stay free to say 429.
PORTFOLIO_ZIP_DOWNLOADS_PER_CLIENT = int(os.environ.get("PORTFOLIO_ZIP_DOWNLOADS_PER_CLIENT", 2))
PORTFOLIO_ZIP_DOWNLOADS_TOTAL = int(os.environ.get("PORTFOLIO_ZIP_DOWNLOADS_TOTAL", 16))
# A download's slot frees itself this long after its stream last moved (a dead process, a
# reader who stopped reading); the stream renews it with each chunk (1 MB).
PORTFOLIO_ZIP_LEASE_SECONDS = int(os.environ.get("PORTFOLIO_ZIP_LEASE_SECONDS", 300))
if min(PORTFOLIO_ZIP_DOWNLOADS_PER_CLIENT, PORTFOLIO_ZIP_DOWNLOADS_TOTAL) < 1:
    raise ImproperlyConfigured("The PORTFOLIO_ZIP_DOWNLOADS_* limits must be at least 1.")
if PORTFOLIO_ZIP_LEASE_SECONDS < 30:
    raise ImproperlyConfigured("PORTFOLIO_ZIP_LEASE_SECONDS must be at least 30.")
# Each sitemap file holds at most this many addresses and image entries (discovery/sitemaps.py):
# a file costs what a page costs (150-450 ms made afresh at a million pictures, where one of
# 10,000 took seconds, docs/scale.md), as Yoast's 1,000 a file does. At most the protocol's
# 50,000 each, and, at under 500 bytes an entry, within its 50 MB.
PORTFOLIO_SITEMAP_URLS = 1_000
PORTFOLIO_SITEMAP_IMAGES = 1_000
if not all(1 <= limit <= 50_000 for limit in (PORTFOLIO_SITEMAP_URLS, PORTFOLIO_SITEMAP_IMAGES)):
    raise ImproperlyConfigured("The PORTFOLIO_SITEMAP_* limits must be from 1 to 50,000.")
# A ZIP reads its pictures' rows this many a query as it streams (views/files.py), not all at
# once: its memory stays flat whatever the project holds.
PORTFOLIO_ZIP_ROWS_PER_FETCH = 500


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "portfolio.access.PrivateFileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    from botocore.config import Config

    if os.environ.get("DJANGO_MEDIA_URL"):
        raise ImproperlyConfigured(
            "DJANGO_MEDIA_URL is for media on disk: with a bucket, set AWS_S3_CUSTOM_DOMAIN."
        )
    if not os.environ.get("AWS_PRIVATE_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured(
            "With AWS_STORAGE_BUCKET_NAME, set AWS_PRIVATE_STORAGE_BUCKET_NAME too: a second "
            "bucket, not publicly readable, for originals and non-public projects."
        )
    if os.environ["AWS_PRIVATE_STORAGE_BUCKET_NAME"] == os.environ["AWS_STORAGE_BUCKET_NAME"]:
        raise ImproperlyConfigured(
            "AWS_PRIVATE_STORAGE_BUCKET_NAME must name another bucket than the public one."
        )
    connection = {
        # Empty for AWS itself; the server's URL for MinIO, Ceph, R2 and the like.
        "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
        "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
        # Unset keys leave boto3 its own credential chain (instance roles, ~/.aws).
        "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
        "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
        # A prefix inside the buckets, e.g. to share them between staging and production.
        "location": os.environ.get("AWS_LOCATION", "").strip("/"),
        # Never replace an object: a public name, cached for a year, must keep its bytes.
        "file_overwrite": False,
        # An object opened for reading (an original for its renditions or a ZIP, a download)
        # is fetched whole: past 2.5 MB, as Django's uploads, into a temporary file, where
        # django-storages' default (0) keeps all of it in the process's memory.
        "max_memory_size": 2_621_440,
        # Fail fast when the store is down, well inside gunicorn's --timeout (README: 120 s).
        "client_config": Config(
            connect_timeout=5,
            read_timeout=20,
            retries={"mode": "standard", "max_attempts": 3},
            # Said, not left to botocore: unset, it presigns with SigV2 (an absolute Expires,
            # no X-Amz-Date), which regions opened since 2014 and newer buckets refuse.
            signature_version="s3v4",
        ),
    }
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **connection,
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            # A CDN in front of the bucket: URLs use its domain instead of the bucket's.
            "custom_domain": os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None,
            # Public media: plain URLs that every cache can share, no expiring signatures.
            "querystring_auth": False,
            # Public reading is granted by the bucket policy (or the CDN's origin access), not
            # per-object ACLs, which new AWS buckets refuse. Some stores need "public-read".
            "default_acl": os.environ.get("AWS_DEFAULT_ACL") or None,
            # Names are random and never reused, so a year of caching never serves stale bytes.
            # Content-Type is left out on purpose: django-storages sets it from each name.
            "object_parameters": {"CacheControl": "max-age=31536000, public, immutable"},
        },
    }
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **connection,
            "bucket_name": os.environ["AWS_PRIVATE_STORAGE_BUCKET_NAME"],
            # Every URL presigned, working for PORTFOLIO_PRIVATE_URL_SECONDS, from the bucket's
            # own address (a CDN would need its own signatures).
            "querystring_auth": True,
            "querystring_expire": PORTFOLIO_PRIVATE_URL_SECONDS,
            "default_acl": "private",
            # Kept by the browser that fetched it, never by a shared cache.
            "object_parameters": {"CacheControl": "private, max-age=31536000, immutable"},
        },
    }
    MEDIA_URL = bucket_media_url(STORAGES["default"]["OPTIONS"])
    if not STORAGES["default"]["OPTIONS"]["custom_domain"]:
        # The bucket's own address as the "custom domain": storage.url() then only joins
        # strings (3 µs). Without one, django-storages has botocore build each URL, about
        # 100 µs a picture: several milliseconds for every page of pictures.
        bucket_url = urlsplit(bucket_media_url({**STORAGES["default"]["OPTIONS"], "location": ""}))
        STORAGES["default"]["OPTIONS"].update(
            custom_domain=f"{bucket_url.netloc}{bucket_url.path.rstrip('/')}",
            url_protocol=f"{bucket_url.scheme}:",
        )
    PRIVATE_MEDIA_ORIGIN = url_origin(
        bucket_media_url({**STORAGES["private"]["OPTIONS"], "custom_domain": None})
    )
else:
    # May be a full URL, e.g. a media domain served by nginx from MEDIA_ROOT.
    MEDIA_URL = os.environ.get("DJANGO_MEDIA_URL", "/media/")
    if not MEDIA_URL.endswith("/"):
        MEDIA_URL += "/"
    PRIVATE_MEDIA_ORIGIN = []  # Our own view (portfolio/views/files.py), on our origin.

for folder, name in ((MEDIA_ROOT, "MEDIA_ROOT"), (PRIVATE_MEDIA_ROOT, "PRIVATE_MEDIA_ROOT")):
    if folders_overlap(STATIC_ROOT.resolve(), folder):
        raise ImproperlyConfigured(f"{name} must not be, or be inside, STATIC_ROOT, nor hold it.")
if folders_overlap(MEDIA_ROOT, PRIVATE_MEDIA_ROOT):
    raise ImproperlyConfigured(
        "PRIVATE_MEDIA_ROOT must be outside MEDIA_ROOT (which the web server serves to anyone), "
        "and not hold it."
    )

# Responsive renditions made once per picture, after its upload commits (images/renditions.py).
# Widths in pixels, never upscaled; changing them makes `manage.py build_renditions` remake them.
# 1200: a grid's picture on a retina laptop and a phone's at 3 device pixels per CSS pixel,
# which would otherwise take the 1600 (Safari and Firefox take the smallest that covers);
# 2400: sharp in the lightbox on a retina screen and when zoomed.
PORTFOLIO_RENDITION_WIDTHS = (480, 720, 960, 1200, 1600, 2400)
# "webp" (fast to encode, shown everywhere) or "avif" (smaller files, slower to encode).
PORTFOLIO_RENDITION_FORMAT = "webp"

# Whole pages kept for visitors who are not signed in (portfolio/cache.py), keyed by the content
# version the models change on every write, read from the database on each request: an entry
# is never stale, only unused, so each process keeps its own in memory, however many share the
# database. Least recently used go first beyond MAX_ENTRIES (20-50 kB each); the timeout only
# bounds what time changes (the footer's year). In development a template edit must show at
# once: nothing is kept.
CACHES = {
    # Django's own default, named because CACHES must name it; nothing of ours uses it.
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {
        "BACKEND": (
            "django.core.cache.backends.dummy.DummyCache"
            if DEBUG
            else "django.core.cache.backends.locmem.LocMemCache"
        ),
        "LOCATION": "pages",
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
}

# Uploaded files are written with these modes, readable by a web server in front of us.
FILE_UPLOAD_PERMISSIONS = 0o644
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o755

# Upload limits, per file and per request: what the upload form promises owners (README).
# 25 MB holds any camera JPEG or phone HEIC; bigger files are usually TIFF/RAW exports.
PORTFOLIO_UPLOAD_MAX_BYTES = int(os.environ.get("PORTFOLIO_UPLOAD_MAX_BYTES", 25 * 1024 * 1024))
# Checked from the header before decoding: 100 MP decodes to about 300 MB of RAM.
PORTFOLIO_UPLOAD_MAX_PIXELS = int(os.environ.get("PORTFOLIO_UPLOAD_MAX_PIXELS", 100_000_000))
# Files per request: keeps one request's work bounded. upload.js sends one file a request;
# only a plain post without JavaScript carries several.
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
# What judging one file may cost (portfolio/images/sandbox.py): CPU seconds and memory for
# decoding and re-encoding it, a base plus a share per pixel the header claims; measured on
# well-formed files with room to spare (README). Re-encoding AVIF is far slower than others.
PORTFOLIO_UPLOAD_CPU_SECONDS = float(os.environ.get("PORTFOLIO_UPLOAD_CPU_SECONDS", 2))
PORTFOLIO_UPLOAD_CPU_SECONDS_PER_MEGAPIXEL = float(
    os.environ.get("PORTFOLIO_UPLOAD_CPU_SECONDS_PER_MEGAPIXEL", 0.15)
)
PORTFOLIO_UPLOAD_AVIF_CPU_SECONDS_PER_MEGAPIXEL = float(
    os.environ.get("PORTFOLIO_UPLOAD_AVIF_CPU_SECONDS_PER_MEGAPIXEL", 0.4)
)
PORTFOLIO_UPLOAD_MEMORY_BYTES = int(os.environ.get("PORTFOLIO_UPLOAD_MEMORY_BYTES", 96 * 2**20))
PORTFOLIO_UPLOAD_MEMORY_BYTES_PER_PIXEL = int(
    os.environ.get("PORTFOLIO_UPLOAD_MEMORY_BYTES_PER_PIXEL", 16)
)
PORTFOLIO_UPLOAD_AVIF_MEMORY_BYTES_PER_PIXEL = int(
    os.environ.get("PORTFOLIO_UPLOAD_AVIF_MEMORY_BYTES_PER_PIXEL", 64)
)
# Seconds a plain post of several files spends judging and storing them before it lists the
# rest as not uploaded: 20 s plus one file at its budget stays inside gunicorn's --timeout 120.
PORTFOLIO_UPLOAD_REQUEST_SECONDS = float(os.environ.get("PORTFOLIO_UPLOAD_REQUEST_SECONDS", 20))
# Django stops parsing at the first file over our limit, before it streams to disk.
DATA_UPLOAD_MAX_NUMBER_FILES = PORTFOLIO_UPLOAD_MAX_FILES
# Files above this stream to a temporary file instead of being held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440))
# Form fields other than files (captions, titles) never need more than Django's 2.5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# First, refuse a multipart body over the limit per request (plus 1 MB for the rest of the
# form) from its Content-Length, before a byte is read: portfolio/uploads.py.
FILE_UPLOAD_HANDLERS = [
    "portfolio.uploads.RequestSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Where uploads over FILE_UPLOAD_MAX_MEMORY_SIZE are spooled while their request runs: a folder
# of ours, made if missing, where files a killed worker left are removed (portfolio/uploads.py).
FILE_UPLOAD_TEMP_DIR = str(
    Path(os.environ.get("DJANGO_FILE_UPLOAD_TEMP_DIR", BASE_DIR / "tmp" / "uploads")).resolve()
)


if any(
    folders_overlap(Path(FILE_UPLOAD_TEMP_DIR), root)
    for root in (MEDIA_ROOT, STATIC_ROOT.resolve())
):
    raise ImproperlyConfigured(
        "FILE_UPLOAD_TEMP_DIR must be outside MEDIA_ROOT and STATIC_ROOT, and hold neither."
    )

# Django's tasks framework makes renditions (portfolio/tasks.py). "immediate" (the default) runs
# a task as it is enqueued, when the upload's transaction commits, inside the request; "database"
# queues it in the database for `manage.py db_worker`, so an upload returns as soon as its
# original is stored.
TASKS_BACKENDS = {
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
TASKS_BACKEND = os.environ.get("DJANGO_TASKS_BACKEND") or "immediate"
if TASKS_BACKEND not in TASKS_BACKENDS:
    raise ImproperlyConfigured(
        f"DJANGO_TASKS_BACKEND must be one of {', '.join(TASKS_BACKENDS)}, not {TASKS_BACKEND!r}."
    )
TASKS = {"default": {"BACKEND": TASKS_BACKENDS[TASKS_BACKEND]}}
# A visibility move (tasks.move_project_files) reads and moves this many pictures at a time:
# its memory and each query stay bounded whatever the project holds.
PORTFOLIO_MOVE_BATCH_PICTURES = 500

# Security. With DEBUG off every default is the production one; `make run` (DEBUG on, plain
# http on 127.0.0.1) gets the relaxed ones. Each can be changed by its variable.
SECURE_SSL_REDIRECT = env_flag("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe over plain http from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Only behind a proxy that terminates TLS and sets X-Forwarded-Proto, overwriting the client's.
if env_flag("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_flag("DJANGO_SECURE_COOKIES", not DEBUG)
# Browsers remember to use https only; sent on https responses only, so plain http never gets it.
SECURE_HSTS_SECONDS = int(
    os.environ.get("DJANGO_SECURE_HSTS_SECONDS") or (0 if DEBUG else 31_536_000)
)
# Set 0 if another host of the domain still serves plain http.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
# Only consents to preloading: the domain is preloaded when its owner submits it.
SECURE_HSTS_PRELOAD = env_flag("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
# Other sites (and the media domain) learn nothing about the pages our visitors come from.
SECURE_REFERRER_POLICY = os.environ.get("DJANGO_SECURE_REFERRER_POLICY", "same-origin")


# No inline code anywhere: scripts and styles come from our origin or carry the response's nonce
# (the admin's one <style>; our pages use none, so they can be kept for every visitor). htmx's
# own indicator <style> is switched off in _base.html, its CSS is in site.css. Images may also
# come from the media origin.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    # dict.fromkeys: one bucket server may hold both buckets.
    "img-src": list(dict.fromkeys([CSP.SELF, *url_origin(MEDIA_URL), *PRIVATE_MEDIA_ORIGIN])),
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Browser features no page of ours uses, denied to our pages and anything they embed, so that
# injected code cannot ask for them (site_config/headers.py). The clipboard stays: copy_text.js.
PERMISSIONS_POLICY_DENIED = [
    "accelerometer",
    "autoplay",
    "bluetooth",
    "browsing-topics",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
]

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
        # Failed sign-ins and lockouts are warnings; the rest of django-axes' notes are chatter.
        "axes": {"level": "WARNING"},
    },
}
