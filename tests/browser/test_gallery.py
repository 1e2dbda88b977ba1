"""A visitor browses the gallery and filters it by category, with and without JavaScript."""

import re
from urllib.parse import urljoin

import pytest
from playwright.sync_api import Page, expect

from portfolio.models import Picture
from tests.browser.layout import sizes_width
from tests.helpers import make_category, make_picture, make_project, public_media

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def gallery() -> None:
    landscape = make_category("Landscape")
    travel = make_category("Travel")
    for title, category in [
        ("Highland Mornings", landscape),
        ("Coastal Blue Hour", landscape),
        ("Desert Lines", travel),
    ]:
        make_picture(make_project(title=title, category=category))
    make_project(title="Secret Draft", category=travel, visibility="private")


def tile_titles(page: Page):
    return page.locator(".project-tile .tile-title")


def mark_document(page: Page) -> None:
    """Leave a mark on window that a full page load would wipe out."""
    page.evaluate("window.loadedOnce = true")


def document_was_not_reloaded(page: Page) -> bool:
    return page.evaluate("window.loadedOnce === true")


def test_gallery_shows_published_projects_with_their_covers(page: Page, gallery, live_server):
    page.goto("/")

    expect(page).to_have_title("Portfolio")
    expect(tile_titles(page)).to_have_text(
        ["Desert Lines", "Coastal Blue Hour", "Highland Mornings"]
    )
    covers = page.locator(".project-tile img")
    expect(covers).to_have_count(3)
    shown = set()
    for cover in covers.all():
        cover.scroll_into_view_if_needed()
        # Decoded from the file the media server sent (the live server for media on disk, the
        # bucket otherwise): the upload's rendition reaches the browser.
        expect(cover).to_have_js_property("complete", True)
        assert cover.evaluate("image => image.naturalWidth") > 0
        shown.add(cover.evaluate("image => image.currentSrc"))
    assert all(re.search(r"/projects/\d+/[0-9a-f]{32}_w64\.webp$", url) for url in shown)
    # Where the storage says each cover's rendition is: a path on disk, an address in a bucket.
    assert shown == {
        urljoin(live_server.url, public_media(picture).src) for picture in Picture.objects.all()
    }


def test_category_filter_swaps_the_grid_in_place_and_updates_the_address_bar(
    page: Page, gallery, live_server
):
    page.goto("/")
    mark_document(page)

    page.get_by_role("navigation", name="Categories").get_by_role("link", name="Travel").click()

    expect(page).to_have_url(f"{live_server.url}/?category=travel")
    expect(tile_titles(page)).to_have_text(["Desert Lines"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Travel")
    filter_bar = page.get_by_role("navigation", name="Categories")
    expect(filter_bar.get_by_role("link", name="Travel")).to_have_attribute("aria-current", "page")
    expect(filter_bar.get_by_role("link", name="All")).not_to_have_attribute("aria-current")
    assert document_was_not_reloaded(page)


def test_back_and_forward_buttons_restore_each_filter(page: Page, gallery, live_server):
    page.goto("/")
    mark_document(page)
    filter_bar = page.get_by_role("navigation", name="Categories")
    filter_bar.get_by_role("link", name="Travel").click()
    expect(tile_titles(page)).to_have_text(["Desert Lines"])
    filter_bar = page.get_by_role("navigation", name="Categories")
    filter_bar.get_by_role("link", name="Landscape").click()
    expect(tile_titles(page)).to_have_text(["Coastal Blue Hour", "Highland Mornings"])

    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/?category=travel")
    expect(tile_titles(page)).to_have_text(["Desert Lines"])

    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(tile_titles(page)).to_have_count(3)
    expect(page.get_by_role("heading", level=1)).to_have_text("Projects")

    page.go_forward()
    expect(page).to_have_url(f"{live_server.url}/?category=travel")
    expect(tile_titles(page)).to_have_text(["Desert Lines"])
    assert document_was_not_reloaded(page)


def test_filter_links_work_as_plain_links_without_javascript(
    page_without_javascript: Page, gallery, live_server
):
    page = page_without_javascript
    page.goto("/")

    page.get_by_role("navigation", name="Categories").get_by_role("link", name="Landscape").click()

    expect(page).to_have_url(f"{live_server.url}/?category=landscape")
    expect(tile_titles(page)).to_have_text(["Coastal Blue Hour", "Highland Mornings"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Landscape")

    page.get_by_role("link", name="All", exact=True).click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(tile_titles(page)).to_have_count(3)


def test_project_tile_leads_to_the_project_page(page: Page, gallery, live_server):
    page.goto("/")

    page.get_by_role("link", name=re.compile("Desert Lines")).click()

    expect(page).to_have_url(f"{live_server.url}/projects/desert-lines/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Desert Lines")


# The covers' sizes attribute (_project_cover.html) repeats site.css's columns: what the
# browser picks a rendition by must be the width the tile really has, at every breakpoint.
@pytest.mark.parametrize("width", [390, 600, 639, 640, 999, 1000, 1366, 1399, 1400, 1599, 1920])
def test_cover_sizes_match_the_tiles_width(page: Page, gallery, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")

    cover = page.locator(".project-tile img").first
    shown = cover.evaluate("image => image.getBoundingClientRect().width")
    # Never narrower than the tile by more than a rounding; wider by at most a scrollbar.
    assert shown * 0.99 <= sizes_width(cover) <= shown * 1.06
