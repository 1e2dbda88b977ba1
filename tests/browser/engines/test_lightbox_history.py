"""
Back closes the lightbox in both engines, as static/js/lightbox.js documents it: a link to
#picture-<id> opens that picture with the page without it one Back away; opening a picture
adds one entry, moving on replaces it, so one Back closes whatever was shown.
"""

import pytest
from selenium.webdriver.common.by import By

from tests.browser.engines.conftest import Phone
from tests.helpers import make_picture, make_project

pytestmark = pytest.mark.django_db(transaction=True)

CAPTIONS = ["Fog over the loch", "First light", "The long ridge"]
PAGE = "/projects/highland-mornings/"


@pytest.fixture
def pictures():
    project = make_project(title="Highland Mornings")
    return [make_picture(project, caption=caption, size=(320, 240)) for caption in CAPTIONS]


def lightbox_state(phone: Phone) -> dict:
    """Whether the lightbox is open, what it shows, where the address is, and which document."""
    return phone.driver.execute_script(
        """
        const dialog = document.getElementById("lightbox");
        return {
          open: dialog.open,
          caption: dialog.querySelector(".lightbox-caption").textContent,
          path: location.pathname + location.search + location.hash,
          sameDocument: window.__documentMark === true,
          historyLength: history.length,
        };
        """
    )


def mark_document(phone: Phone) -> None:
    """Mark this document: a page that reloads or is left loses the mark."""
    phone.driver.execute_script("window.__documentMark = true")


def test_a_link_to_a_picture_opens_it_and_once_touched_back_closes_it(phone: Phone, pictures):
    phone.visit(f"{PAGE}#picture-{pictures[2].pk}")
    phone.wait(lambda d: lightbox_state(phone)["open"], "the linked picture never opened")
    mark_document(phone)
    assert lightbox_state(phone)["caption"] == "The long ridge"
    assert lightbox_state(phone)["path"] == f"{PAGE}#picture-{pictures[2].pk}"

    # The viewer's first touch: the next picture (wrapping round to the first).
    phone.driver.find_element(By.CSS_SELECTOR, "#lightbox [aria-label='Next picture']").click()
    phone.wait(lambda d: lightbox_state(phone)["caption"] == CAPTIONS[0], "Next did not move")
    assert lightbox_state(phone)["path"] == f"{PAGE}#picture-{pictures[0].pk}"
    phone.driver.back()

    closed = phone.wait(lambda d: (state := lightbox_state(phone)) and not state["open"] and state)
    assert closed["path"] == PAGE
    assert closed["sameDocument"], f"Back left or reloaded the page in {phone.engine}"


def test_a_link_to_a_picture_left_untouched_is_one_back_from_where_the_viewer_came(
    phone: Phone, pictures
):
    """
    Untouched, the lightbox adds no entry: WebKit would skip one added without the viewer's
    interaction, and the page's own with it, so both engines leave the page alike.
    """
    phone.visit("/about/")
    phone.visit(f"{PAGE}#picture-{pictures[1].pk}")
    phone.wait(lambda d: lightbox_state(phone)["open"], "the linked picture never opened")
    mark_document(phone)

    phone.driver.back()

    where = "return [location.pathname + location.hash, window.__documentMark === true]"
    phone.wait(lambda d: d.execute_script(where) == ["/about/", False], "Back stayed on the page")


def test_a_link_to_a_picture_closed_untouched_stays_on_the_page(phone: Phone, pictures):
    """Closed with no touch or key (as Android's Back gesture closes a dialog): no step back."""
    phone.visit("/about/")
    phone.visit(f"{PAGE}#picture-{pictures[1].pk}")
    phone.wait(lambda d: lightbox_state(phone)["open"], "the linked picture never opened")
    mark_document(phone)
    opened = lightbox_state(phone)

    phone.driver.execute_script("document.getElementById('lightbox').close()")

    # Its close event comes a moment after: wait for the address to forget the picture.
    closed = phone.wait(lambda d: (state := lightbox_state(phone))["path"] == PAGE and state)
    assert not closed["open"]
    assert closed["sameDocument"], f"closing left the page in {phone.engine}"
    assert closed["historyLength"] == opened["historyLength"]
