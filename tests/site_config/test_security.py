"""Production security: check --deploy, HTTPS, cookies, the Content-Security-Policy and headers."""

import json
import re
import secrets
import subprocess
import sys

import pytest
from django.test import Client

from site_config.environment import BASE_DIR, DEVELOPMENT_SECRET_KEY
from tests.helpers import (
    HTMX,
    admin_urls,
    environment_without_ours,
    make_picture,
    make_project,
    make_staff,
    make_user,
    run_python,
    signed_in,
)


def production_variables(**variables: str) -> dict[str, str]:
    """What production sets for the settings, and these."""
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "portfolio.example.com",
        **variables,
    }


def settings_in(variables: dict[str, str], *names: str) -> dict:
    code = (
        "import json; from site_config import settings as s; "
        f"print(json.dumps({{name: getattr(s, name, None) for name in {names!r}}}, default=str))"
    )
    result = run_python(code, **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def check_deploy(variables: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=environment_without_ours(**variables),
        capture_output=True,
        text=True,
    )


def test_check_deploy_reports_nothing_with_production_variables():
    result = check_deploy(production_variables())

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_does_complain_when_a_protection_is_turned_off():
    result = check_deploy(production_variables(DJANGO_SECURE_HSTS_SECONDS="0"))

    assert result.returncode != 0
    assert "security.W004" in result.stderr


def test_check_deploy_reports_the_public_development_key():
    # Commands run without a key (builds, migrations); check --deploy says it is missing.
    result = check_deploy(production_variables(DJANGO_SECRET_KEY=DEVELOPMENT_SECRET_KEY))

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_production_defaults_and_relaxed_development():
    names = (
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_REFERRER_POLICY",
    )
    production = settings_in(production_variables(), *names)
    development = settings_in(production_variables(DJANGO_DEBUG="1"), *names)
    behind_proxy = settings_in(
        production_variables(DJANGO_SECURE_PROXY_SSL_HEADER="1"), "SECURE_PROXY_SSL_HEADER"
    )

    assert production == {
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_PROXY_SSL_HEADER": None,
        "SECURE_REFERRER_POLICY": "same-origin",
    }
    assert development["SECURE_SSL_REDIRECT"] is False
    assert development["SESSION_COOKIE_SECURE"] is False
    assert development["SECURE_HSTS_SECONDS"] == 0
    assert behind_proxy["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_a_yes_no_variable_refuses_nonsense():
    result = run_python(
        "import site_config.settings", **production_variables(DJANGO_SECURE_COOKIES="maybe")
    )

    assert result.returncode != 0
    assert "DJANGO_SECURE_COOKIES must be 1 or 0" in result.stderr


BUCKETS = {
    "AWS_STORAGE_BUCKET_NAME": "gallery",
    "AWS_PRIVATE_STORAGE_BUCKET_NAME": "gallery-private",
}


@pytest.mark.parametrize(
    ("variables", "media_url", "img_src"),
    [
        ({}, "/media/", ["'self'"]),
        (
            {"DJANGO_MEDIA_URL": "https://media.example.net"},
            "https://media.example.net/",
            ["'self'", "https://media.example.net"],
        ),
        (
            {**BUCKETS, "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000"},
            "http://127.0.0.1:9000/gallery/",
            ["'self'", "http://127.0.0.1:9000"],
        ),
        (
            {**BUCKETS, "AWS_LOCATION": "/site/"},
            "https://gallery.s3.amazonaws.com/site/",
            # The private bucket's presigned URLs are images too.
            [
                "'self'",
                "https://gallery.s3.amazonaws.com",
                "https://gallery-private.s3.amazonaws.com",
            ],
        ),
        (
            {**BUCKETS, "AWS_S3_CUSTOM_DOMAIN": "cdn.example.net"},
            "https://cdn.example.net/",
            ["'self'", "https://cdn.example.net", "https://gallery-private.s3.amazonaws.com"],
        ),
    ],
    ids=["disk", "media-domain", "bucket-endpoint", "aws-bucket", "cdn"],
)
def test_media_url_and_img_src_follow_where_media_live(variables, media_url, img_src):
    found = settings_in(production_variables(**variables), "MEDIA_URL", "SECURE_CSP")

    assert found["MEDIA_URL"] == media_url
    assert found["SECURE_CSP"]["img-src"] == img_src


def test_a_media_url_with_a_bucket_is_refused():
    result = run_python(
        "import site_config.settings",
        **production_variables(**BUCKETS, DJANGO_MEDIA_URL="/m/"),
    )

    assert result.returncode != 0
    assert "set AWS_S3_CUSTOM_DOMAIN" in result.stderr


@pytest.mark.parametrize(
    ("backend", "path"),
    [
        ("", "django.tasks.backends.immediate.ImmediateBackend"),
        ("database", "django_tasks_db.DatabaseBackend"),
    ],
)
def test_tasks_backend_is_chosen_by_the_environment(backend, path):
    found = settings_in(production_variables(DJANGO_TASKS_BACKEND=backend), "TASKS")

    assert found["TASKS"] == {"default": {"BACKEND": path}}


def test_an_unknown_tasks_backend_is_refused():
    result = run_python(
        "import site_config.settings", **production_variables(DJANGO_TASKS_BACKEND="celery")
    )

    assert result.returncode != 0
    assert "DJANGO_TASKS_BACKEND must be one of immediate, database" in result.stderr


def csp_directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (directive.split() for directive in policy.split(";") if directive)
    }


def nonce_of(response) -> str:
    (nonce,) = re.findall(r"'nonce-([^']+)'", csp_directives(response)["script-src"][1])
    return nonce


def assert_no_inline_code(html: str, nonce: str | None) -> None:
    """
    Every <script> is a file, carries the nonce or is data (JSON-LD, which no browser runs);
    every <style> carries the nonce; no inline style or handler.
    """
    for tag in re.findall(r"<script\b[^>]*>", html):
        data = tag == '<script type="application/ld+json">'
        assert "src=" in tag or data or (nonce and f'nonce="{nonce}"' in tag), tag
    for tag in re.findall(r"<style\b[^>]*>", html):
        assert nonce and f'nonce="{nonce}"' in tag, tag
    assert not re.search(r"<[^>]+\sstyle=", html)
    assert not re.search(r"<[^>]+\son[a-z]+=", html)


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "owner"])
def test_pages_carry_a_strict_policy_and_load_scripts_from_files(signed_in):
    """No nonce on our pages, so a page kept for every visitor needs none (portfolio/cache.py)."""
    owner = make_user()
    project = make_project(owner)
    make_picture(project)
    client = Client()
    if signed_in:
        client.force_login(owner)

    for url in ["/", project.get_absolute_url(), "/accounts/login/", "/"]:
        response = client.get(url)
        directives = csp_directives(response)
        html = response.content.decode()

        assert directives["script-src"] == directives["style-src"] == ["'self'"], url
        assert directives["object-src"] == directives["base-uri"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert "unsafe" not in response["Content-Security-Policy"]
        assert re.search(r'<script src="[^"]*htmx-2[^"]*" defer></script>', html)
        config = re.search(r"""<meta name="htmx-config" content='([^']*)'>""", html)
        # htmx adds no <style> of its own, and copies no style attribute across a swap.
        assert json.loads(config[1]) == {
            "includeIndicatorStyles": False,
            "attributesToSettle": ["class", "width", "height"],
        }
        assert_no_inline_code(html, None)


@pytest.mark.django_db
def test_every_admin_response_gets_a_fresh_nonce():
    first, second = Client().get("/admin/login/"), Client().get("/admin/login/")

    assert nonce_of(first) != nonce_of(second)


@pytest.mark.django_db
def test_admin_works_under_the_policy():
    """The admin's inline <style> and data scripts carry the nonce; nothing needs unsafe-inline."""
    picture = make_picture(make_project(), caption="Dune at noon")
    client = signed_in(make_staff())

    pages = [client.get(url) for url in [*admin_urls(picture), "/admin/portfolio/picture/add/"]]
    pages.append(Client().get("/admin/login/"))

    for response in pages:
        url = response.wsgi_request.get_full_path()
        assert response.status_code == 200, url
        assert_no_inline_code(response.content.decode(), nonce_of(response))


@pytest.mark.django_db
def test_https_redirect_spares_the_health_check(settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()

    page = client.get("/")
    health = client.get("/healthz")

    assert page.status_code == 301
    assert page["Location"] == "https://testserver/"
    assert health.status_code == 200


@pytest.mark.django_db
def test_https_responses_carry_hsts_and_secure_cookies():
    make_user("owner")
    client = Client()

    page = client.get("/accounts/login/", secure=True)
    login = client.post(
        "/accounts/login/",
        {"username": "owner", "password": "a-good-test-password", "next": "/"},
        secure=True,
    )

    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert page["Referrer-Policy"] == "same-origin"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page.cookies["csrftoken"]["secure"]
    assert login.status_code == 302
    assert login.cookies["sessionid"]["secure"]
    assert login.cookies["sessionid"]["httponly"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/healthz", "/", "/about/", "/accounts/login/", "/no-such-page/"]
)
@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "owner"])
def test_a_host_outside_allowed_hosts_is_a_plain_400(settings, path, signed_in):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    if signed_in:
        client.force_login(make_user())
    response = client.get(path, HTTP_HOST="attacker.example")
    assert response.status_code == 400
    # Nothing on the page names the host it was sent to.
    assert b"attacker.example" not in response.content


# ---------------------------------------------------------------- headers every answer carries


@pytest.mark.django_db
def test_every_answer_denies_the_browser_features_the_site_never_uses(settings):
    picture = make_picture(make_project(), caption="Dune")
    staff = signed_in(make_staff())

    answers = [
        Client().get("/"),
        Client().get(picture.get_absolute_url()),
        Client().get("/no-such-page/"),
        Client().get("/feed/"),
        Client().get("/static/css/site.css"),
        staff.get("/studio/"),
        staff.get("/admin/"),
    ]

    for response in answers:
        url = response.wsgi_request.get_full_path()
        policy = dict(
            directive.strip().split("=", 1)
            for directive in response["Permissions-Policy"].split(",")
        )
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert policy[feature] == "()", url
        assert set(policy) == set(settings.PERMISSIONS_POLICY_DENIED), url
        assert "clipboard-write" not in policy  # The share page copies its link.


@pytest.mark.django_db
def test_every_page_an_owner_edits_on_is_private_to_their_browser():
    owner = make_user()
    picture = make_picture(make_project(owner), caption="Dune")
    project = picture.project
    client = signed_in(owner)
    slug = project.slug
    picture_base = f"/projects/{slug}/pictures/{picture.pk}"

    answers = [
        client.get(url)
        for url in [
            "/studio/",
            "/studio/profile/",
            "/projects/new/",
            f"/projects/{slug}/edit/",
            f"/projects/{slug}/delete/",
            f"/projects/{slug}/pictures/",
            f"/projects/{slug}/links/",
            f"{picture_base}/edit/",
            f"{picture_base}/focus/",
            f"{picture_base}/delete/",
        ]
    ]
    answers += [
        client.post(f"/projects/{slug}/links/", {"label": "for Ben", "downloads": "web"}),
        client.post(f"{picture_base}/cover/", headers=HTMX),
        client.post(f"/projects/{slug}/visibility/", {"visibility": "unlisted"}, headers=HTMX),
    ]

    for response in answers:
        url = response.wsgi_request.get_full_path()
        assert response.status_code in (200, 302), url
        assert "private" in response["Cache-Control"], url
        assert "public" not in response["Cache-Control"], url
