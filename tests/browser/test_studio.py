"""The owner arranges pictures on the project page: drag and drop, and focal points."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from portfolio.models import Picture
from tests.browser.axe import assert_accessible
from tests.browser.conftest import _watched_page
from tests.browser.test_upload import sign_in
from tests.helpers import make_picture, make_project, make_user

pytestmark = pytest.mark.django_db(transaction=True)

CAPTIONS = ["One", "Two", "Three", "Four"]


@pytest.fixture
def project():
    project = make_project(make_user("ada"), title="Arranged")
    for caption, size in zip(
        CAPTIONS, [(300, 200), (200, 300), (240, 240), (320, 180)], strict=True
    ):
        make_picture(project, caption=caption, size=size)
    return project


def captions_in_database(project) -> list[str]:
    return list(project.pictures.in_display_order().values_list("caption", flat=True))


def captions_on_page(page: Page) -> list[str]:
    return page.locator("#picture-grid .picture-caption").all_inner_texts()


def is_a_move(request_or_response) -> bool:
    return "/move-to/" in request_or_response.url


def record_moves(page: Page) -> list:
    moves = []
    page.on("request", lambda request: is_a_move(request) and moves.append(request))
    return moves


def centre_of(page: Page, caption: str) -> tuple[float, float]:
    page.locator("#picture-grid").scroll_into_view_if_needed()
    box = page.locator("#picture-grid .picture", has_text=caption).locator("img").bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_dragging_a_picture_with_the_mouse_moves_it_in_one_request(page: Page, project):
    sign_in(page, "ada")
    page.goto(project.get_absolute_url())
    moves = record_moves(page)
    start, end = centre_of(page, "One"), centre_of(page, "Three")

    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + 10, start[1], steps=3)
    page.mouse.move(end[0] + 20, end[1], steps=15)
    with page.expect_response(is_a_move) as response:
        page.mouse.up()

    assert response.value.status == 200
    expect(page.locator("#picture-grid .picture-caption").first).to_have_text("Two")
    expect(page.locator("#lightbox")).not_to_be_visible()
    page.wait_for_load_state("networkidle")
    assert len(moves) == 1
    assert captions_in_database(project) == ["Two", "Three", "One", "Four"]
    page.reload()
    assert captions_on_page(page) == ["Two", "Three", "One", "Four"]


def test_holding_and_dragging_a_picture_on_a_touch_screen_moves_it(
    browser: Browser, live_server, request, project
):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1024, "height": 900}, has_touch=True
    )
    page = _watched_page(context, request)
    sign_in(page, "ada")
    page.goto(project.get_absolute_url())
    moves = record_moves(page)
    session = context.new_cdp_session(page)
    (x, y), end = centre_of(page, "Four"), centre_of(page, "One")

    def touch(kind: str, *points) -> None:
        touch_points = [{"x": px, "y": py, "id": 0} for px, py in points]
        session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})

    touch("touchStart", (x, y))
    page.wait_for_timeout(400)  # Held: picked up, not scrolled.
    for step in range(1, 11):
        touch("touchMove", (x + (end[0] - 30 - x) * step / 10, y + (end[1] - y) * step / 10))
    with page.expect_response(is_a_move) as response:
        touch("touchEnd")

    assert response.value.status == 200
    expect(page.locator("#picture-grid .picture-caption").first).to_have_text("Four")
    page.wait_for_load_state("networkidle")
    assert len(moves) == 1
    assert captions_in_database(project) == ["Four", "One", "Two", "Three"]
    context.close()


def test_the_move_buttons_still_move_a_picture_from_the_keyboard(page: Page, project):
    sign_in(page, "ada")
    page.goto(project.get_absolute_url())

    page.locator("#picture-grid .picture", has_text="One").get_by_role(
        "button", name="Move later"
    ).focus()
    page.keyboard.press("Enter")

    expect(page.locator("#picture-grid .picture-caption").first).to_have_text("Two")
    assert captions_in_database(project) == ["Two", "One", "Three", "Four"]


def test_the_cover_the_page_opens_on_follows_make_cover_and_delete(page: Page, project):
    sign_in(page, "ada")
    page.goto(project.get_absolute_url())
    hero = page.locator(".project-hero img")
    expect(hero).to_have_attribute("alt", re.compile("^One"))

    page.locator("#picture-grid .picture", has_text="Three").get_by_role(
        "button", name="Make cover"
    ).click()

    expect(hero).to_have_attribute("alt", re.compile("^Three"))
    expect(page.locator(".hero-frame")).to_have_class(re.compile(r"\bar-1000\b"))
    assert hero.evaluate("image => image.complete && image.naturalWidth > 0")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#picture-grid .picture", has_text="Three").get_by_role(
        "link", name="Delete"
    ).click()

    expect(page.locator("#picture-grid .picture")).to_have_count(3)
    expect(hero).to_have_attribute("alt", re.compile("^One"))


def test_a_click_on_the_picture_sets_its_focal_point(page: Page, project):
    sign_in(page, "ada")
    page.goto(project.get_absolute_url())
    item = page.locator("#picture-grid .picture", has_text="One")
    item.locator(".focal-editor summary").click()
    box = item.locator("img").bounding_box()

    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.7)

    expect(page.locator("#lightbox")).not_to_be_visible()
    item = page.locator("#picture-grid .picture", has_text="One")
    expect(item).to_have_class(re.compile(r"\bfx-20 fy-70\b"))
    picture = Picture.objects.get(caption="One")
    assert picture.focal_x == pytest.approx(0.2, abs=0.01)
    assert picture.focal_y == pytest.approx(0.7, abs=0.01)
    # Kept in frame wherever the picture is cropped: its cover tile in the gallery.
    page.goto("/")
    cover = page.locator(".project-tile img")
    expect(cover).to_have_class(re.compile(r"\bfx-20 fy-70\b"))
    assert cover.evaluate("image => getComputedStyle(image).objectPosition") == "20% 70%"


def test_without_javascript_the_focal_point_form_sets_it(page_without_javascript: Page, project):
    page = page_without_javascript
    sign_in(page, "ada")
    page.goto(project.get_absolute_url())
    item = page.locator("#picture-grid .picture", has_text="Two")
    item.locator(".focal-editor summary").click()

    item.get_by_label("Across").fill("0.85")
    item.get_by_label("Down").fill("0.1")
    item.get_by_role("button", name="Save focus").click()

    expect(page).to_have_url(re.compile(r"#picture-\d+$"))
    picture = Picture.objects.get(caption="Two")
    assert (picture.focal_x, picture.focal_y) == (0.85, 0.1)


def test_the_arranging_page_is_accessible_with_its_editors_open(page: Page, project):
    sign_in(page, "ada")
    page.goto(project.get_absolute_url())
    page.locator(".focal-editor summary").first.click()
    page.locator(".caption-editor summary").nth(1).click()

    assert_accessible(page)
