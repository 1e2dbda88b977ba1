"""On a phone: swipe between pictures, pinch or double-tap to zoom into the largest rendition."""

import re

import pytest
from playwright.sync_api import Browser, CDPSession, Page, expect

from portfolio.models import Picture
from tests.browser.conftest import _watched_page
from tests.helpers import make_picture, make_project, public_media

pytestmark = pytest.mark.django_db(transaction=True)

CAPTIONS = ["Harbour at dawn", "Nets drying", "The breakwater"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def pictures() -> list[Picture]:
    """Pictures large enough for five renditions: a phone is shown a small one first."""
    project = make_project(title="Fishing Town")
    made = [make_picture(project, size=(1600, 1000), caption=caption) for caption in CAPTIONS]
    for picture in made:
        picture.refresh_from_db()
        assert len(picture.renditions) == 5
    return made


@pytest.fixture
def phone(browser: Browser, live_server, request) -> Page:
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, has_touch=True)
    context.set_default_timeout(10_000)
    yield _watched_page(context, request)
    context.close()


def touch(session: CDPSession, kind: str, *points: tuple[float, float]) -> None:
    """One touch event, as a phone's screen sends it, with a finger at each point."""
    touch_points = [{"x": x, "y": y, "id": number} for number, (x, y) in enumerate(points)]
    session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})


def swipe(session: CDPSession, start: tuple[float, float], end: tuple[float, float]) -> None:
    touch(session, "touchStart", start)
    for step in range(1, 6):
        x = start[0] + (end[0] - start[0]) * step / 5
        y = start[1] + (end[1] - start[1]) * step / 5
        touch(session, "touchMove", (x, y))
    touch(session, "touchEnd")


def open_lightbox(page: Page, caption: str):
    page.goto("/projects/fishing-town/")
    page.locator("#picture-grid").get_by_role("link", name=caption).click()
    lightbox = page.locator("#lightbox")
    expect(lightbox.locator(".lightbox-caption")).to_have_text(caption)
    return lightbox


def centre(page: Page) -> tuple[float, float]:
    box = page.locator("#lightbox .lightbox-image").bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def shown_source(page: Page) -> str:
    """The address of the file the lightbox shows, once decoded."""
    image = page.locator("#lightbox .lightbox-image")
    expect(image).to_have_js_property("complete", True)
    return image.evaluate("image => image.currentSrc")


def zoom(page: Page) -> float:
    return page.locator("#lightbox .lightbox-image").evaluate(
        "image => new DOMMatrix(getComputedStyle(image).transform).a"
    )


def test_swiping_left_and_right_moves_through_the_pictures(phone: Page, pictures):
    lightbox = open_lightbox(phone, "Nets drying")
    session = phone.context.new_cdp_session(phone)
    x, y = centre(phone)

    swipe(session, (x + 120, y), (x - 120, y))
    expect(lightbox.locator(".lightbox-caption")).to_have_text("The breakwater")
    expect(lightbox.locator(".lightbox-position")).to_have_text("3 / 3")

    swipe(session, (x - 120, y), (x + 120, y))
    swipe(session, (x - 120, y), (x + 120, y))
    expect(lightbox.locator(".lightbox-caption")).to_have_text("Harbour at dawn")

    # A short or mostly vertical stroke is no swipe.
    swipe(session, (x, y - 100), (x + 30, y + 100))
    expect(lightbox.locator(".lightbox-caption")).to_have_text("Harbour at dawn")


def test_a_phone_is_shown_a_small_rendition_and_pinching_loads_the_largest(phone: Page, pictures):
    open_lightbox(phone, "Harbour at dawn")
    picture = pictures[0]
    assert shown_source(phone).endswith(dict(public_media(picture).rendition_urls)[480])
    session = phone.context.new_cdp_session(phone)
    x, y = centre(phone)

    touch(session, "touchStart", (x - 30, y), (x + 30, y))
    for step in range(1, 6):
        touch(session, "touchMove", (x - 30 - 10 * step, y), (x + 30 + 10 * step, y))
    touch(session, "touchEnd")

    # Fingers 60 px apart, then 160 px: the picture follows them.
    assert zoom(phone) == pytest.approx(160 / 60, rel=0.02)
    assert shown_source(phone).endswith(public_media(picture).large_url)
    assert public_media(picture).large_url.endswith("_w1600.webp")


def test_a_double_tap_zooms_in_and_another_zooms_out(phone: Page, pictures):
    open_lightbox(phone, "Nets drying")
    session = phone.context.new_cdp_session(phone)
    x, y = centre(phone)

    for _ in range(2):
        touch(session, "touchStart", (x, y))
        touch(session, "touchEnd")
    expect(phone.locator("#lightbox")).to_have_class(re.compile("is-zoomed"))
    assert zoom(phone) == pytest.approx(2.5)
    assert shown_source(phone).endswith(public_media(pictures[1]).large_url)

    # Zoomed in, one finger looks around the picture instead of swiping to the next.
    swipe(session, (x + 100, y), (x - 100, y))
    expect(phone.locator("#lightbox .lightbox-caption")).to_have_text("Nets drying")

    for _ in range(2):
        touch(session, "touchStart", (x, y))
        touch(session, "touchEnd")
    expect(phone.locator("#lightbox")).not_to_have_class(re.compile("is-zoomed"))
    assert zoom(phone) == 1


def test_the_pictures_either_side_are_fetched_before_they_are_asked_for(page: Page, pictures):
    # Another picture as the cover: the page's hero shows the cover at 1600 px wide, which
    # would make its neighbour's early fetch prove nothing.
    project = pictures[0].project
    project.cover = make_picture(project, size=(1600, 1000), caption="The lighthouse")
    project.save()
    # At 1280 px the lightbox's 92vw is 1,178 px: the 1200 rendition.
    wanted = [
        dict(public_media(neighbour).rendition_urls)[1200]
        for neighbour in (pictures[0], pictures[2])
    ]
    fetched = (
        "urls => urls.map(url => performance.getEntriesByType('resource')"
        ".some(entry => entry.name.endsWith(url)))"
    )
    page.goto("/projects/fishing-town/")
    page.wait_for_load_state("load")
    assert page.evaluate(fetched, wanted) == [False, False]  # The grid never asks for them.

    page.locator("#picture-grid").get_by_role("link", name="Nets drying").click()

    # The lightbox wants the same rendition of the pictures either side too.
    page.wait_for_function(f"urls => ({fetched})(urls).every(Boolean)", arg=wanted)
