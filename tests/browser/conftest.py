"""
Real headless Chromium (Debian's package) driven by Playwright, against the live server.

One browser for the whole package, a fresh context (cookies, storage) for every test.
A test fails when its page logged a JavaScript error, a failed request or a CSP
violation; a failing test leaves a full-page screenshot in test-artifacts/screenshots/.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium calls home on start, and on a closed network its refused
    # connections pile up and slow everything down.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOTS = Path("test-artifacts") / "screenshots"

# The browser reaches the live server on IPv4 loopback, never a name that might resolve elsewhere.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

console_errors_key = pytest.StashKey[list[str]]()
allowed_errors_key = pytest.StashKey[list[re.Pattern]]()
pages_key = pytest.StashKey[list[Page]]()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Start Chromium once for all browser tests, and stop it after the last one."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
            "(.ci/install-system-packages); `-m 'not browser'` leaves these tests out.",
            pytrace=False,
        )
    # Playwright's sync API runs an asyncio event loop in this thread while the browser
    # is up, so Django takes the test's own ORM calls (making users, projects, checking
    # rows) for calls from async code and refuses them. They are plain synchronous calls
    # between browser steps, so allow them, for as long as the browser runs and no longer.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def browser_settings(settings) -> None:
    """Serve this test's uploads and the current static files from the live server."""
    settings.ROOT_URLCONF = "tests.browser.urls"
    # The live server serves static files from their source folders under their plain
    # names (no collectstatic, never a stale copy); hashed names are test_serving's job.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Every test makes users; a deliberately slow hash would cost a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def context(browser: Browser, live_server) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Page:
    """A page whose console errors fail the test."""
    return _watched_page(context, request)


@pytest.fixture
def page_without_javascript(browser: Browser, live_server, request) -> Iterator[Page]:
    """A page in a context of its own with JavaScript turned off, as some visitors have it."""
    context = browser.new_context(
        base_url=live_server.url, viewport=VIEWPORT, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    yield _watched_page(context, request)
    context.close()


@pytest.fixture
def allow_console_error(request: pytest.FixtureRequest):
    """Let a test name an error its page is meant to log, e.g. the status of a refused post."""

    def allow(pattern: str) -> None:
        request.node.stash.setdefault(allowed_errors_key, []).append(re.compile(pattern))

    return allow


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test that passed on its own when its page logged an error."""
    result = yield
    allowed = item.stash.get(allowed_errors_key, [])
    errors = [
        error
        for error in item.stash.get(console_errors_key, [])
        if not any(pattern.search(error) for pattern in allowed)
    ]
    if errors:
        pytest.fail(
            "The page logged errors:\n" + "\n".join(f"  {error}" for error in errors),
            pytrace=False,
        )
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    """Save a full-page screenshot of every page of a failed test."""
    report = yield
    if report.when == "call" and report.failed:
        for number, page in enumerate(item.stash.get(pages_key, [])):
            if page.is_closed():
                continue
            name = re.sub(r"[^\w.-]+", "_", item.nodeid).strip("_")
            suffix = f"-{number}" if number else ""
            path = item.config.rootpath / SCREENSHOTS / f"{name}{suffix}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=path, full_page=True)
            report.sections.append(("screenshot", str(path)))
    return report


def _watched_page(context: BrowserContext, request: pytest.FixtureRequest) -> Page:
    page = context.new_page()
    errors = request.node.stash.setdefault(console_errors_key, [])
    request.node.stash.setdefault(pages_key, []).append(page)

    def on_console(message: ConsoleMessage) -> None:
        # Script errors logged by code, failed requests and CSP violations all land here.
        if message.type != "error":
            return
        location = message.location.get("url", "")
        # Shown a bare image, Chromium asks for /favicon.ico on its own; pages name theirs.
        if location.endswith("/favicon.ico"):
            return
        errors.append(f"console error: {message.text} ({location})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught exception: {error}"))
    return page
