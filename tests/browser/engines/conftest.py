"""
The same test in Chromium and in WebKit (the engine of every iPhone browser), through Selenium.

`phone` starts one engine per test at 390 × 844, parametrised over both: Chromium by Debian's
chromedriver, as a phone (touch, 3× pixels); WebKit by Debian's WebKitWebDriver, which drives
WebKitGTK's MiniBrowser in a window on a private Xvfb display (MiniBrowser 2.50 has no headless
mode). A test fails, never skips, when a driver is missing; it fails when its pages reported
errors; a failed test leaves a screenshot in test-artifacts/screenshots/.
"""

import contextlib
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException as NoSuchElement
from selenium.common.exceptions import StaleElementReferenceException as Stale
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

ENGINES = ["chromium", "webkit"]
PHONE = {"width": 390, "height": 844}
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WEBKIT_DRIVER = Path("/usr/bin/WebKitWebDriver")
XVFB = Path("/usr/bin/Xvfb")
WAIT_SECONDS = 10

# What each engine needs, and the Debian package that brings it (.ci/install-system-packages).
NEEDS = {
    "chromium": [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")],
    "webkit": [(WEBKIT_DRIVER, "webkit2gtk-driver"), (XVFB, "xvfb")],
}

# MiniBrowser's toolbar would keep its window at least 447 px wide: the user style sheet of
# the browser's GTK (in a config folder of the test's own) lets it shrink to a phone's width.
GTK_CSS = "button, entry { min-width: 0; min-height: 0; padding: 0; margin: 0; border-width: 0; }"

# Neither engine reports every error through WebDriver alone (WebKitGTK's has no log and no
# BiDi), so each page also keeps its own: uncaught exceptions, resources that failed to load,
# CSP violations, unhandled rejections and console.error, in sessionStorage so that they
# survive the page. Installed after each step (Phone.watch): errors a page reports before the
# first step after it loads are only seen in Chromium, through its browser log.
WATCH_ERRORS = """
if (!window.__errorsWatched) {
  window.__errorsWatched = true;
  const keep = (text) => {
    const errors = JSON.parse(sessionStorage.getItem("test-errors") || "[]");
    errors.push(text);
    sessionStorage.setItem("test-errors", JSON.stringify(errors));
  };
  addEventListener("error", (event) => {
    const target = event.target;
    keep(target === window
      ? `uncaught exception: ${event.message} (${event.filename}:${event.lineno})`
      : `failed to load: ${target.currentSrc || target.src || target.href}`);
  }, true);
  addEventListener("unhandledrejection", (event) => keep(`unhandled rejection: ${event.reason}`));
  addEventListener("securitypolicyviolation",
    (event) => keep(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));
  const consoleError = console.error;
  console.error = (...args) => {
    keep(`console error: ${args.join(" ")}`);
    consoleError(...args);
  };
}
"""
READ_ERRORS = "return JSON.parse(sessionStorage.getItem('test-errors') || '[]')"

phone_key = pytest.StashKey["Phone"]()


@dataclass
class Phone:
    """One engine's browser at a phone's size, and what its pages reported."""

    engine: str
    driver: WebDriver
    base_url: str
    allowed_errors: list[re.Pattern] = field(default_factory=list)

    def visit(self, path: str) -> None:
        self.driver.get(self.base_url + path)
        self.watch()

    def watch(self) -> None:
        """Make sure the page shown keeps its errors (after a step that may have loaded one)."""
        # Between two pages the script may find none: the next step watches the new one.
        with contextlib.suppress(WebDriverException):
            self.driver.execute_script(WATCH_ERRORS)

    def wait(self, condition, message: str = ""):
        """Wait for condition(driver) to be truthy, and return it."""
        # An element found on a page that then gave way to the next is stale: look again.
        wait = WebDriverWait(self.driver, WAIT_SECONDS, ignored_exceptions=[Stale, NoSuchElement])
        result = wait.until(condition, message)
        self.watch()
        return result

    def allow_error(self, pattern: str) -> None:
        """Let the test name an error its page is meant to report."""
        self.allowed_errors.append(re.compile(pattern))

    def errors(self) -> list[str]:
        errors = list(self.driver.execute_script(READ_ERRORS) or [])
        if self.engine == "chromium":
            errors += [
                f"browser log: {entry['message']}"
                for entry in self.driver.get_log("browser")
                if entry["level"] == "SEVERE" and "/favicon.ico" not in entry["message"]
            ]
        return [
            error
            for error in errors
            if not any(pattern.search(error) for pattern in self.allowed_errors)
        ]


@pytest.fixture(scope="session")
def xvfb_display(tmp_path_factory) -> Iterator[str]:
    """A private X display for WebKit's window, started on first use and stopped at the end."""
    _require("webkit")
    read, write = os.pipe()
    # -displayfd: Xvfb picks a free display number and writes it to us once it listens.
    server = subprocess.Popen(
        [XVFB, "-displayfd", str(write), "-screen", "0", "1400x1000x24", "-nolisten", "tcp"],
        pass_fds=[write],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        pytest.fail(f"{XVFB} did not start a display", pytrace=False)
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(params=ENGINES)
def phone(request: pytest.FixtureRequest, live_server, tmp_path) -> Iterator[Phone]:
    """A fresh browser of each engine at 390 × 844, quit after the test."""
    engine = request.param
    _require(engine)
    if engine == "chromium":
        driver = _chromium()
    else:
        # The live server speaks plain HTTP. Chromium keeps a Secure cookie from
        # http://127.0.0.1, a trustworthy origin; WebKitGTK's network stack drops it, and
        # then every form fails its CSRF check. A phone reaches the site over HTTPS.
        settings = request.getfixturevalue("settings")
        settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
        driver = _webkit(request.getfixturevalue("xvfb_display"), tmp_path)
    phone = Phone(engine, driver, live_server.url)
    request.node.stash[phone_key] = phone
    try:
        driver.set_script_timeout(WAIT_SECONDS)
        if engine == "webkit":
            _size_viewport(driver)
        yield phone
    finally:
        driver.quit()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test that passed on its own when its pages reported errors."""
    result = yield
    phone = item.stash.get(phone_key, None)
    if phone and (errors := phone.errors()):
        pytest.fail(
            f"The pages reported errors in {phone.engine}:\n"
            + "\n".join(f"  {error}" for error in errors),
            pytrace=False,
        )
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    """Save what the browser showed when a test failed."""
    report = yield
    phone = item.stash.get(phone_key, None)
    if phone and report.when == "call" and report.failed:
        name = re.sub(r"[^\w.-]+", "_", item.nodeid).strip("_")
        path = item.config.rootpath / SCREENSHOTS / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            phone.driver.save_screenshot(str(path))
            report.sections.append(("screenshot", str(path)))
        except WebDriverException as error:
            report.sections.append(("screenshot", f"none: {error.msg}"))
    return report


def _require(engine: str) -> None:
    missing = [package for path, package in NEEDS[engine] if not path.exists()]
    if missing:
        pytest.fail(
            f"{engine} cannot start: {', '.join(missing)} missing. `make test` installs Debian's "
            f"packages (.ci/install-system-packages); `-m 'not browser'` leaves these tests out.",
            pytrace=False,
        )


def _chromium() -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in [*CHROMIUM_ARGS, "--headless=new"]:
        options.add_argument(argument)
    # A phone: its screen, its pixel density and a touch screen.
    options.add_experimental_option(
        "mobileEmulation", {"deviceMetrics": {**PHONE, "pixelRatio": 3, "touch": True}}
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    return webdriver.Chrome(options=options, service=service)


def _webkit(display: str, tmp_path: Path) -> WebDriver:
    # The browser's configuration, cache and data stay in the test's own folder.
    home = tmp_path / "webkit"
    (home / "config" / "gtk-3.0").mkdir(parents=True)
    (home / "config" / "gtk-3.0" / "gtk.css").write_text(GTK_CSS)
    environment = {
        **os.environ,
        "DISPLAY": display,
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_DATA_HOME": str(home / "data"),
    }
    service = webdriver.WebKitGTKService(executable_path=str(WEBKIT_DRIVER), env=environment)
    return webdriver.WebKitGTK(options=webdriver.WebKitGTKOptions(), service=service)


def _size_viewport(driver: WebDriver) -> None:
    """Size the window so that the page, below MiniBrowser's toolbar, is 390 × 844."""
    driver.set_window_rect(x=0, y=0, **PHONE)
    sizes = []

    def fits(driver: WebDriver) -> bool:
        # The window takes its size a moment after it is asked (seen 823 px high once, the
        # toolbar measured before the first size had arrived): measure and ask again.
        size = driver.execute_script(
            "return {width: innerWidth, height: innerHeight, toolbar: outerHeight - innerHeight}"
        )
        sizes.append({"width": size["width"], "height": size["height"]})
        if sizes[-1] == PHONE:
            return True
        driver.set_window_rect(width=PHONE["width"], height=PHONE["height"] + size["toolbar"])
        return False

    try:
        WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.1).until(fits)
    except TimeoutException:
        pytest.fail(f"WebKit's page is {sizes[-1]}, not {PHONE}", pytrace=False)
