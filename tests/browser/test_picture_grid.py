"""A project's pictures in justified rows, their placeholders first, and no layout shift."""

import io

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from portfolio.models import Picture
from tests.browser.layout import sizes_width
from tests.helpers import make_picture, make_project

pytestmark = pytest.mark.django_db(transaction=True)

# Landscapes, portraits, squares and a panorama, in an order that mixes them in rows.
SHAPES = [
    (300, 200),
    (200, 300),
    (400, 200),
    (240, 240),
    (320, 180),
    (180, 240),
    (500, 150),
    (300, 225),
    (225, 300),
    (360, 240),
    (250, 200),
]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
ROW_HEIGHTS = {1366: 300, 390: 200}  # --row-height in site.css


@pytest.fixture
def project():
    project = make_project(title="Mixed Shapes")
    for number, size in enumerate(SHAPES, start=1):
        make_picture(project, size=size, caption=f"Shape {number}")
    return project


@pytest.fixture(params=[DESKTOP, PHONE], ids=["1366px", "390px"])
def sized_page(request, browser: Browser, live_server, page: Page) -> Page:
    page.set_viewport_size(request.param)
    return page


class HeldMedia:
    """Requests for media, kept waiting until release()."""

    def __init__(self, page: Page):
        self.routes = []
        self.released = False
        page.route("**/media/**", self.handle)

    def handle(self, route) -> None:
        if self.released:
            route.continue_()
        else:
            self.routes.append(route)

    def release(self) -> None:
        self.released = True
        for route in self.routes:
            route.continue_()


def hold_media(page: Page) -> HeldMedia:
    return HeldMedia(page)


def load_every_picture(page: Page) -> None:
    """
    Scroll to the end so the lazy ones load too, and wait until all are decoded; below a
    cover, once it has arrived (cover_first.js): until then the grid asks for nothing.
    """
    expect(page.locator(".cover-first")).to_have_count(0)
    page.mouse.wheel(0, 20_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#picture-grid img')]"
        ".every(image => image.complete && image.naturalWidth > 0)"
    )
    page.mouse.wheel(0, -20_000)


def rows_of_pictures(page: Page) -> list[list[dict]]:
    """The grid's images as boxes, grouped in rows by their top edge."""
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('#picture-grid .picture img')].map(image => {
            const box = image.getBoundingClientRect();
            return {left: box.left, right: box.right, top: box.top, width: box.width,
                    height: box.height, ratio: image.naturalWidth / image.naturalHeight,
                    fit: getComputedStyle(image).objectFit,
                    padding: getComputedStyle(image).paddingTop};
        })"""
    )
    rows: list[list[dict]] = []
    for box in boxes:
        if rows and abs(rows[-1][0]["top"] - box["top"]) < 1:
            rows[-1].append(box)
        else:
            rows.append([box])
    return rows


def test_pictures_fill_justified_rows_at_their_own_shape(sized_page: Page, project):
    page = sized_page
    page.goto(project.get_absolute_url())
    load_every_picture(page)
    grid = page.locator("#picture-grid").bounding_box()
    row_height = ROW_HEIGHTS[page.viewport_size["width"]]

    rows = rows_of_pictures(page)

    assert sum(len(row) for row in rows) == len(SHAPES)
    assert len(rows) >= 3
    for row in rows[:-1]:
        heights = [box["height"] for box in row]
        assert max(heights) - min(heights) <= 1, f"heights differ in a row: {heights}"
        assert abs(row[0]["left"] - grid["x"]) <= 1
        assert abs(row[-1]["right"] - (grid["x"] + grid["width"])) <= 2
        # Stretched to fill the width, never shrunk below the row height (one wide picture
        # alone in a row on a phone is as wide as the page, no taller).
        assert all(height >= row_height - 1 or len(row) == 1 for height in heights)
    last = rows[-1]
    assert max(box["height"] for box in last) <= row_height + 1, "the last row was stretched"
    for row in rows:
        for box in row:
            # Each at its own shape (the shape classes are 1 % apart), never boxed in grey.
            assert box["width"] / box["height"] == pytest.approx(box["ratio"], rel=0.011)
            assert box["fit"] == "cover"
            assert box["padding"] == "0px"


def test_the_page_does_not_shift_while_pictures_arrive(sized_page: Page, project):
    page = sized_page
    page.add_init_script(
        """window.layoutShift = 0;
        new PerformanceObserver(list => {
            for (const entry of list.getEntries()) {
                if (!entry.hadRecentInput) window.layoutShift += entry.value;
            }
        }).observe({type: 'layout-shift', buffered: true});"""
    )
    # Images arrive late, after the page has been laid out and painted.
    held = hold_media(page)
    page.goto(project.get_absolute_url(), wait_until="domcontentloaded")
    page.wait_for_timeout(300)
    held.release()
    load_every_picture(page)
    page.wait_for_timeout(300)

    assert page.evaluate("window.layoutShift") == 0


def test_a_placeholder_of_its_colours_shows_until_the_image_arrives(page: Page, project):
    Picture.objects.update(placeholder="1x1:4a6b8c")
    held = hold_media(page)
    page.goto(project.get_absolute_url(), wait_until="domcontentloaded")

    first = page.locator("#picture-grid .picture").first
    placeholder = first.locator("svg.placeholder rect")
    expect(placeholder).to_have_attribute("fill", "#4a6b8c")
    first.scroll_into_view_if_needed()  # Under the cover the page opens on.
    # The image waits for the cover, out of the layout: its frame has its shape meanwhile.
    frame_box = first.locator(".picture-frame").bounding_box()
    assert first.locator("svg.placeholder").bounding_box() == pytest.approx(frame_box, abs=1)
    # Painted where the image will be: a screenshot of its middle is the placeholder's colour.
    assert _middle_colour(page, frame_box) == pytest.approx((0x4A, 0x6B, 0x8C), abs=2)
    held.release()
    load_every_picture(page)
    first.scroll_into_view_if_needed()
    image_box = first.locator("img").bounding_box()
    assert image_box == pytest.approx(first.locator(".picture-frame").bounding_box(), abs=1)
    # The image covers it once there.
    assert _middle_colour(page, image_box) != pytest.approx((0x4A, 0x6B, 0x8C), abs=2)


def test_a_picture_still_being_prepared_is_a_frame_of_its_shape_in_its_row(page: Page, project):
    pending = make_picture(project, size=(200, 300), caption="Coming")
    pending.move_to(0)
    # As it is until the renditions task has run (here it ran on commit).
    Picture.objects.filter(pk=pending.pk).update(renditions=[], renditions_spec="")
    page.goto(project.get_absolute_url())
    load_every_picture(page)

    item = page.locator(f"#picture-{pending.pk}")
    frame = item.locator(".picture-pending")
    expect(frame).to_have_attribute("aria-label", "Coming (being prepared)")
    expect(item.get_by_role("link")).to_have_count(0)  # Nothing to open yet.
    box = frame.bounding_box()
    assert box["width"] / box["height"] == pytest.approx(2 / 3, rel=0.011)
    # In the first row with the others, as tall as they are.
    row = [boxes for boxes in rows_of_pictures(page) if abs(boxes[0]["top"] - box["y"]) < 1]
    assert row and all(abs(image["height"] - box["height"]) <= 1 for image in row[0])


def test_gallery_covers_are_even_tiles_over_their_placeholder(page: Page, project):
    Picture.objects.update(placeholder="1x1:8c6b4a")
    make_project(title="No pictures")
    page.goto("/")

    tiles = page.locator(".project-tile")
    expect(tiles).to_have_count(2)
    cover = page.locator(".tile-frame").first
    expect(cover.locator("svg.placeholder rect")).to_have_attribute("fill", "#8c6b4a")
    image = cover.locator("img")
    box = image.bounding_box()
    assert box["width"] / box["height"] == pytest.approx(4 / 3, rel=0.01)
    assert image.evaluate("image => getComputedStyle(image).objectFit") == "cover"
    empty = page.locator(".tile-empty").bounding_box()
    assert empty["width"] / empty["height"] == pytest.approx(4 / 3, rel=0.01)


def _middle_colour(page: Page, box: dict) -> tuple[int, int, int]:
    clip = {"x": box["x"] + box["width"] / 2 - 2, "y": box["y"] + box["height"] / 2 - 2}
    shot = page.screenshot(clip={**clip, "width": 4, "height": 4})
    with Image.open(io.BytesIO(shot)) as image:
        return image.convert("RGB").getpixel((2, 2))


def test_each_pictures_sizes_is_near_its_width_in_the_rows(sized_page: Page, project):
    sized_page.goto(project.get_absolute_url())

    load_every_picture(sized_page)
    images = sized_page.locator("#picture-grid img").all()
    assert len(images) == len(SHAPES)
    # The first is the page's cover again, at the cover's sizes: the same file, fetched once.
    cover_copy, *images = images
    cover = sized_page.locator(".hero-frame img").evaluate("image => image.currentSrc")
    assert cover_copy.evaluate("image => image.currentSrc") == cover
    for image in images:
        shown = image.evaluate("image => image.getBoundingClientRect().width")
        # Never much narrower (the browser would pick a blurred rendition), and at most half
        # as wide again (a row's stretch, and on a phone a picture sharing its row).
        assert 0.85 * shown <= sizes_width(image) <= 1.5 * shown, image.get_attribute("alt")
