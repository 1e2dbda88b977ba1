"""A visitor opens a project's pictures large and moves through them with the keyboard."""

import re
from urllib.parse import urljoin

import pytest
from playwright.sync_api import Page, expect

from portfolio.models import Picture, Project
from tests.helpers import make_picture, make_project, public_media

pytestmark = pytest.mark.django_db(transaction=True)

CAPTIONS = ["Fog over the loch", "First light", "The long ridge"]


@pytest.fixture
def pictures() -> list[Picture]:
    """A published project with three pictures, in display order, their renditions made."""
    project = make_project(title="Highland Mornings")
    made = [make_picture(project, caption=caption) for caption in CAPTIONS]
    for picture in made:
        picture.refresh_from_db()
        assert public_media(picture).renditions_visible
    return made


def open_project(page: Page):
    page.goto("/projects/highland-mornings/")
    return page.locator("#lightbox")


def picture_link(page: Page, caption: str):
    return page.locator("#picture-grid").get_by_role("link", name=caption)


def expect_showing(lightbox, pictures: list[Picture], number: int) -> None:
    """
    The lightbox shows picture `number` (from 1) decoded, as a rendition (never the original,
    which it does not link either), and names its caption and position.
    """
    picture = pictures[number - 1]
    image = lightbox.locator(".lightbox-image")
    expect(image).to_have_attribute("src", public_media(picture).large_url)
    assert public_media(picture).large_url.endswith(picture.renditions[-1]["name"])
    expect(lightbox.get_by_role("link")).to_have_count(0)
    expect(image).to_have_attribute("alt", CAPTIONS[number - 1])
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("image => image.naturalWidth") > 0
    expect(lightbox.locator(".lightbox-caption")).to_have_text(CAPTIONS[number - 1])
    expect(lightbox.locator(".lightbox-position")).to_have_text(f"{number} / {len(CAPTIONS)}")


def test_clicking_a_picture_opens_it_in_the_lightbox(page: Page, pictures):
    lightbox = open_project(page)
    expect(lightbox).not_to_be_visible()

    picture_link(page, "First light").click()

    expect(lightbox).to_be_visible()
    expect(lightbox).to_have_js_property("open", True)
    expect_showing(lightbox, pictures, 2)
    # Modal, focused on its Close button; the page behind neither reachable nor scrolling.
    assert lightbox.evaluate("dialog => dialog.matches(':modal')")
    expect(lightbox.get_by_role("button", name="Close")).to_be_focused()
    assert page.evaluate("getComputedStyle(document.documentElement).overflow") == "hidden"


def test_arrow_keys_move_through_the_pictures_and_wrap_around(page: Page, pictures):
    lightbox = open_project(page)
    picture_link(page, "First light").click()
    expect_showing(lightbox, pictures, 2)

    page.keyboard.press("ArrowRight")
    expect_showing(lightbox, pictures, 3)
    page.keyboard.press("ArrowRight")
    expect_showing(lightbox, pictures, 1)
    page.keyboard.press("ArrowLeft")
    expect_showing(lightbox, pictures, 3)
    page.keyboard.press("ArrowLeft")
    expect_showing(lightbox, pictures, 2)


def test_previous_and_next_buttons_move_too(page: Page, pictures):
    lightbox = open_project(page)
    picture_link(page, "Fog over the loch").click()

    lightbox.get_by_role("button", name="Next picture").click()
    expect_showing(lightbox, pictures, 2)
    lightbox.get_by_role("button", name="Previous picture").click()
    lightbox.get_by_role("button", name="Previous picture").click()
    expect_showing(lightbox, pictures, 3)


def test_escape_closes_and_focus_returns_to_the_link_that_opened_it(page: Page, pictures):
    lightbox = open_project(page)
    link = picture_link(page, "First light")
    link.focus()
    page.keyboard.press("Enter")
    expect_showing(lightbox, pictures, 2)

    page.keyboard.press("Escape")

    expect(lightbox).not_to_be_visible()
    expect(lightbox).to_have_js_property("open", False)
    expect(link).to_be_focused()
    assert page.evaluate("getComputedStyle(document.documentElement).overflow") == "visible"


def test_after_moving_focus_returns_to_the_picture_last_shown(page: Page, pictures):
    lightbox = open_project(page)
    picture_link(page, "Fog over the loch").click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect_showing(lightbox, pictures, 3)

    lightbox.get_by_role("button", name="Close").click()

    expect(lightbox).not_to_be_visible()
    # Back on the page where the visitor left off, ready to tab on from there.
    expect(picture_link(page, "The long ridge")).to_be_focused()


def test_without_javascript_a_picture_link_opens_its_own_page(
    page_without_javascript: Page, pictures, live_server
):
    page = page_without_javascript
    page.goto("/projects/highland-mornings/")

    picture_link(page, "The long ridge").click()

    expect(page).to_have_url(urljoin(live_server.url, pictures[2].get_absolute_url()))
    image = page.get_by_role("img", name="The long ridge")
    # From wherever media are stored (a path on disk, an address in a bucket).
    expect(image).to_have_attribute("src", public_media(pictures[2]).src)
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("image => image.naturalWidth") > 0


def test_the_address_names_the_open_picture_and_back_closes_it(page: Page, pictures):
    lightbox = open_project(page)
    picture_link(page, "First light").click()
    expect_showing(lightbox, pictures, 2)
    expect(page).to_have_url(re.compile(f"#picture-{pictures[1].pk}$"))

    page.keyboard.press("ArrowRight")
    # Moving on replaces the address, not adds to the history: one Back still closes.
    expect(page).to_have_url(re.compile(f"#picture-{pictures[2].pk}$"))
    page.go_back()

    expect(lightbox).not_to_be_visible()
    expect(page).to_have_url(re.compile(r"/projects/highland-mornings/$"))
    expect(picture_link(page, "The long ridge")).to_be_focused()


def test_closing_leaves_the_pictures_address_too(page: Page, pictures):
    lightbox = open_project(page)
    picture_link(page, "First light").click()
    expect_showing(lightbox, pictures, 2)

    page.keyboard.press("Escape")

    expect(lightbox).not_to_be_visible()
    expect(page).to_have_url(re.compile(r"/projects/highland-mornings/$"))
    # Forward opens it again, as the address says.
    page.go_forward()
    expect_showing(lightbox, pictures, 2)


def test_a_link_to_a_picture_opens_it_and_back_leaves_the_project_page(page: Page, pictures):
    page.goto(f"/projects/highland-mornings/#picture-{pictures[2].pk}")
    lightbox = page.locator("#lightbox")

    expect_showing(lightbox, pictures, 3)
    # Its history entry waits for the viewer's first touch or key (lightbox.js says why).
    lightbox.get_by_role("button", name="Next picture").click()
    expect_showing(lightbox, pictures, 1)
    page.go_back()

    expect(lightbox).not_to_be_visible()
    expect(page).to_have_url(re.compile(r"/projects/highland-mornings/$"))


def test_the_slideshow_plays_and_pauses(page: Page, pictures):
    page.clock.install()
    lightbox = open_project(page)
    picture_link(page, "Fog over the loch").click()
    play = lightbox.get_by_role("button", name="Slideshow")
    expect(play).to_have_attribute("aria-pressed", "false")

    play.click()
    expect(play).to_have_attribute("aria-pressed", "true")
    # Quiet while playing: a screen reader is not told of every slide.
    expect(lightbox.locator(".lightbox-position")).to_have_attribute("aria-live", "off")
    page.clock.run_for(5_100)
    expect_showing(lightbox, pictures, 2)
    expect(lightbox.locator(".lightbox-image")).to_have_class(re.compile("is-fading-in"))
    page.clock.run_for(5_000)
    expect_showing(lightbox, pictures, 3)

    play.click()
    expect(play).to_have_attribute("aria-pressed", "false")
    expect(lightbox.locator(".lightbox-position")).to_have_attribute("aria-live", "polite")
    page.clock.run_for(15_000)
    expect_showing(lightbox, pictures, 3)


def test_with_reduced_motion_the_slideshow_cuts_without_fading(page: Page, pictures):
    page.emulate_media(reduced_motion="reduce")
    page.clock.install()
    lightbox = open_project(page)
    picture_link(page, "Fog over the loch").click()

    lightbox.get_by_role("button", name="Slideshow").click()
    page.clock.run_for(5_100)

    expect_showing(lightbox, pictures, 2)
    image = lightbox.locator(".lightbox-image")
    expect(image).not_to_have_class(re.compile("is-fading-in"))
    assert image.evaluate("image => getComputedStyle(image).animationName") == "none"


def test_the_camera_line_shows_under_the_caption_where_the_project_shows_it(page: Page, pictures):
    camera = {"make": "FUJIFILM", "model": "X-T5", "aperture": 2.0, "iso": 400}
    Picture.objects.filter(pk=pictures[1].pk).update(metadata={"camera": camera})
    Project.objects.filter(pk=pictures[0].project_id).update(show_camera_details=True)
    lightbox = open_project(page)

    picture_link(page, "First light").click()

    details = lightbox.locator(".lightbox-caption .lightbox-details")
    expect(details).to_have_text("Fujifilm X-T5 · ƒ/2 · ISO 400")
    page.keyboard.press("ArrowRight")  # A picture without camera details: no line.
    expect(lightbox.locator(".lightbox-caption")).to_have_text(CAPTIONS[2])
    expect(details).to_have_count(0)
