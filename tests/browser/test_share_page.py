"""
A client opens a share link on a phone (390 × 844) and on a laptop (1366 × 900): the page
opens on the project's cover with its title over it, legible, and the pictures start on the
first screen; the favourites bar stays in view however far they scroll, and its filter and
its send sheet work from there; the lightbox offers the downloads the link allows. Boxes are
measured in the page, contrast in its pixels.
"""

import io
import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from portfolio.models import Picture, Selection, ShareLink
from portfolio.tasks import make_renditions
from tests.browser.axe import assert_accessible
from tests.browser.conftest import _watched_page
from tests.browser.layout import sizes_width
from tests.helpers import make_project, make_user, uploaded_image

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
# The cover nearly white where the title goes: the gradient alone must make it legible.
SHAPES = [(900, 600), (600, 900), (900, 600), (700, 700), (900, 450), (600, 800)]
LIGHT, DARK = (250, 250, 244), (60, 90, 120)


@pytest.fixture(params=[PHONE, LAPTOP], ids=["390px", "1366px"])
def viewport(request) -> dict:
    return request.param


@pytest.fixture
def client_page(browser: Browser, live_server, viewport, request) -> Iterator[Page]:
    """The client's browser at the screen's size, with none of the owner's cookies."""
    context = browser.new_context(
        base_url=live_server.url, viewport=viewport, accept_downloads=True
    )
    context.set_default_timeout(10_000)
    yield _watched_page(context, request)
    context.close()


def add_picture(project, size: tuple[int, int], color, caption: str) -> Picture:
    picture = Picture(project=project, caption=caption)
    picture.photo.save("photo.jpg", uploaded_image(size=size, color=color), save=True)
    make_renditions.call(picture.pk)
    return picture


@pytest.fixture
def link() -> ShareLink:
    project = make_project(
        make_user("studio"),
        title="Harbour at Dawn",
        visibility="unlisted",
        description="Fishing boats coming in before sunrise, and the town waking up.",
    )
    for number, size in enumerate(SHAPES, start=1):
        add_picture(project, size, LIGHT if number == 1 else DARK, f"Boats {number}")
    return ShareLink.objects.create(
        project=project,
        label="for Anna",
        downloads="originals",
        allows_favourites=True,
        favourite_limit=4,
    )


def box(page: Page, selector: str) -> dict:
    """The element's box in the viewport (top, bottom, left, right, width, height)."""
    return page.locator(selector).first.evaluate(
        """element => {
            const { top, bottom, left, right, width, height } = element.getBoundingClientRect();
            return { top, bottom, left, right, width, height };
        }"""
    )


def in_viewport(page: Page, selector: str) -> bool:
    rectangle = box(page, selector)
    size = page.viewport_size
    return (
        rectangle["height"] > 0
        and rectangle["top"] >= 0
        and rectangle["bottom"] <= size["height"] + 0.5
        and rectangle["left"] >= 0
        and rectangle["right"] <= size["width"] + 0.5
    )


def brightest_behind(page: Page, selector: str) -> float:
    """The relative luminance (WCAG) of the lightest pixel behind the element's text."""
    element = page.locator(selector).first
    element.evaluate("element => (element.style.visibility = 'hidden')")  # CSSOM: CSP allows it.
    rectangle = element.bounding_box()
    shot = page.screenshot(clip=rectangle)
    element.evaluate("element => (element.style.visibility = '')")
    with Image.open(io.BytesIO(shot)) as image:
        pixels = image.convert("RGB").get_flattened_data()
        return max(luminance(pixel) for pixel in pixels)


def luminance(rgb: tuple[int, int, int]) -> float:
    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_with_white(background: float) -> float:
    return 1.05 / (background + 0.05)


def wait_for_images(page: Page) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('.hero-frame img, #picture-grid img')]"
        ".slice(0, 2).every(image => image.complete && image.naturalWidth > 0)"
    )


def test_the_page_opens_on_the_cover_and_the_pictures_start_on_the_first_screen(
    client_page: Page, link: ShareLink, viewport: dict
):
    page = client_page
    page.goto(link.get_absolute_url())
    wait_for_images(page)
    width, height = viewport["width"], viewport["height"]

    cover = box(page, ".hero-frame")
    # Full-bleed: the window's whole width (less a scrollbar), near the top, all on screen.
    assert cover["left"] == 0
    assert cover["width"] >= width - 20
    assert cover["top"] < 120
    assert cover["bottom"] <= 0.8 * height
    title = box(page, ".hero-title")
    assert cover["top"] < title["top"] and title["bottom"] < cover["bottom"]
    assert page.locator("h1").first.inner_text() == "Harbour at Dawn"

    # The first picture starts well inside the first screen, above the bar.
    first = box(page, "#picture-grid li.picture img")
    bar = box(page, "#selection")
    assert cover["bottom"] <= first["top"]
    assert bar["top"] - first["top"] >= 150, (first, bar)
    # The words and the ZIPs come after the pictures.
    grid = box(page, "#picture-grid")
    about = box(page, "#about-pictures")
    assert about["top"] >= grid["bottom"]
    expect(page.locator("#about-pictures")).to_contain_text("Fishing boats")
    expect(page.locator("#about-pictures .downloads a")).to_have_count(2)

    # White on the gradient over a nearly white picture: AA (3:1 large title, 4.5:1 the rest).
    assert contrast_with_white(brightest_behind(page, ".hero-title")) >= 3
    assert contrast_with_white(brightest_behind(page, ".hero-facts")) >= 4.5
    assert_accessible(page)


def test_the_share_grids_sizes_are_the_tiles_widths(client_page: Page, link: ShareLink):
    page = client_page
    page.goto(link.get_absolute_url())
    wait_for_images(page)
    cover = page.locator(".hero-frame img")
    assert sizes_width(cover) == pytest.approx(cover.bounding_box()["width"], abs=20)
    images = page.locator("#picture-grid img").all()
    assert len(images) == len(SHAPES)
    # The cover again, first in the grid: the hero's file, fetched once for both.
    cover_copy, *images = images
    cover_file = cover.evaluate("image => image.currentSrc")
    assert cover_copy.evaluate("image => image.currentSrc") == cover_file
    fetched = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    assert fetched.count(cover_file) == 1
    if page.viewport_size["width"] > 480:
        return  # Justified rows: near their width, as tests/browser/test_picture_grid.py holds.
    for image in images:
        # On a phone each picture is alone in its row, and sizes says its width exactly: a
        # phone at 3× picks a rendition of at most 3 × 366 px, never a larger one.
        assert sizes_width(image) == pytest.approx(image.bounding_box()["width"], abs=0.5)
        assert sizes_width(image) * 3 < max(settings.PORTFOLIO_RENDITION_WIDTHS)


def test_the_grids_pictures_wait_for_the_cover(client_page: Page, link: ShareLink):
    page = client_page
    asked, held = [], []

    def hold_the_first(route) -> None:
        asked.append(route.request.url)
        if len(asked) == 1:
            held.append(route)  # The first media the page asks for: its cover.
        else:
            route.continue_()

    page.route(re.compile(r"/(media|files)/"), hold_the_first)  # Public or signed files.
    page.goto(link.get_absolute_url(), wait_until="domcontentloaded")
    # Two frames on: anything lazy and near the screen would have been asked for by now.
    page.evaluate(
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )
    candidates = page.locator(".hero-frame img").evaluate(
        "image => image.srcset.split(',').map(c => new URL(c.trim().split(' ')[0], location).href)"
    )
    assert len(asked) == 1 and asked[0] in candidates, asked
    cover = asked[0]
    expect(page.locator("#picture-grid .picture-frame").nth(1)).to_be_visible()  # Its place kept.

    held[0].continue_()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#picture-grid img')].slice(0, 3)"
        ".every(image => image.complete && image.naturalWidth > 0)"
    )
    expect(page.locator(".cover-first")).to_have_count(0)
    assert len(set(asked)) >= 3 and asked.count(cover) == 1  # The grid's copy is the cover's.


def test_without_javascript_the_grids_pictures_do_not_wait(
    page_without_javascript: Page, link: ShareLink
):
    page = page_without_javascript
    page.goto(link.get_absolute_url())
    second = page.locator("#picture-grid img").nth(1)
    expect(second).to_be_visible()
    page.wait_for_load_state("load")
    assert second.evaluate("image => image.complete && image.naturalWidth > 0")


def test_the_bar_stays_in_view_and_filters_and_sends(
    client_page: Page, link: ShareLink, allow_console_error
):
    page = client_page
    page.goto(link.get_absolute_url())
    bar = page.locator("#selection")
    expect(bar).to_contain_text("Choose your favourites, up to 4")
    assert in_viewport(page, "#selection")

    # The name is asked in a sheet opened from the bar, not above the photos.
    bar.get_by_text("Start", exact=True).click()
    name = page.get_by_label("Your name")
    expect(name).to_be_focused()
    assert box(page, ".sheet")["bottom"] <= box(page, "#selection")["top"]
    assert in_viewport(page, ".sheet")
    name.fill("Anna")
    page.get_by_role("button", name="Start choosing").click()
    count = page.locator("#favourite-count")
    expect(count).to_have_text("0 of 4 chosen")
    # The send sheet comes back open on the personal link, to be read: no field takes the
    # focus (a phone's keyboard would cover the link). Its <details open> fires toggle on load,
    # after proofing.js when the script is cached, before it here: the test fires it again.
    expect(page.locator("#selection-personal-link")).to_be_visible()
    bar.locator(".bar-sheet").evaluate("sheet => sheet.dispatchEvent(new Event('toggle'))")
    expect(page.get_by_label("A note for the photographer")).not_to_be_focused()
    assert page.evaluate("document.activeElement.closest('.bar-sheet') === null")
    # Read, it closes by a button of its own (on a phone there is no Escape).
    page.locator(".sheet").get_by_role("button", name="Close").click()
    expect(page.locator("#selection-personal-link")).to_be_hidden()
    expect(bar.locator("summary")).to_be_focused()

    grid = page.locator("#picture-grid")
    for caption in ["Boats 2", "Boats 5"]:
        grid.get_by_role("button", name=f"Favourite: {caption}").click()
    expect(count).to_have_text("2 of 4 chosen")

    for where in ("document.body.scrollHeight / 2", "document.body.scrollHeight"):
        page.evaluate(f"window.scrollTo(0, {where})")
        page.wait_for_function(
            f"Math.abs(window.scrollY - Math.min({where}, "
            "document.body.scrollHeight - innerHeight)) < 2"
        )
        assert in_viewport(page, "#selection"), where
        assert in_viewport(page, "#favourite-count"), where
    # At the end the bar hides nothing: the footer's last line is above it.
    assert box(page, ".site-footer p")["bottom"] <= box(page, "#selection")["top"]

    bar.get_by_role("link", name="Only favourites").click()
    expect(grid.locator("li.picture")).to_have_count(2)
    expect(bar.get_by_role("link", name="Only favourites")).to_have_attribute(
        "aria-current", "page"
    )
    assert in_viewport(page, "#selection")

    bar.get_by_text("Send", exact=True).click()
    note = page.get_by_label("A note for the photographer")
    expect(note).to_be_focused()
    assert in_viewport(page, ".sheet")
    assert_accessible(page, "#selection")
    page.keyboard.press("Escape")  # Closes the sheet, the focus back on its button.
    expect(note).to_be_hidden()
    expect(bar.locator("summary")).to_be_focused()
    page.keyboard.press("Enter")
    note.fill("Both for the album")
    page.get_by_role("button", name="Send my selection").click()
    expect(page.get_by_text("Sent: 2 pictures. Thank you!")).to_be_visible()
    expect(bar.locator("summary")).to_have_text("Sent")
    selection = Selection.objects.get()
    assert (selection.is_sent, selection.note) == (True, "Both for the album")
    assert [picture.caption for picture in selection.pictures()] == ["Boats 2", "Boats 5"]

    # Send with an error: the page comes back with the sheet open on it.
    bar.locator("summary").click()
    page.get_by_role("button", name="Reopen to change it").click()
    bar.get_by_text("Send", exact=True).click()
    page.get_by_label("Your name").fill("")
    allow_console_error("status of 400")
    page.get_by_role("button", name="Send my selection").click()
    expect(page.locator(".sheet .errorlist")).to_be_visible()
    assert in_viewport(page, ".sheet")


@pytest.mark.parametrize(
    ("downloads", "offered"),
    [
        ("originals", ["Download web size", "Download original"]),
        ("web", ["Download web size"]),
        ("none", []),
    ],
)
def test_the_lightbox_offers_the_downloads_the_link_allows(
    client_page: Page, link: ShareLink, downloads: str, offered: list[str]
):
    link.downloads = downloads
    link.save()
    page = client_page
    page.goto(link.get_absolute_url())
    page.locator("#picture-grid").get_by_role("link", name="Boats 3", exact=True).click()
    lightbox = page.locator("#lightbox")
    expect(lightbox.locator(".lightbox-caption")).to_have_text("Boats 3")

    links = lightbox.locator(".lightbox-downloads a")
    expect(links).to_have_count(len(offered))
    for label, anchor in zip(offered, links.all(), strict=True):
        expect(anchor).to_contain_text(label)
        assert "Boats 3" in anchor.evaluate("anchor => anchor.textContent")
        size = "original" if "original" in label else "web"
        assert anchor.get_attribute("href").endswith(f"?size={size}")
        with page.expect_download() as download_info:
            anchor.click()
        assert download_info.value.failure() is None
        assert download_info.value.suggested_filename.startswith("picture-")
    if offered:
        assert in_viewport(page, "#lightbox .lightbox-downloads")
        assert_accessible(page, "#lightbox")
    # The next picture: its own downloads.
    page.keyboard.press("ArrowRight")
    expect(lightbox.locator(".lightbox-caption")).to_have_text("Boats 4")
    picture = link.project.pictures.get(caption="Boats 4")
    for anchor in links.all():
        assert f"/pictures/{picture.pk}/download/" in anchor.get_attribute("href")
