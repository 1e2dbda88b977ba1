"""A visitor on a picture's own page moves to the project's previous and next picture."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.helpers import make_picture, make_project

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_arrow_keys_and_the_links_follow_the_projects_order(page: Page):
    project = make_project(title="Highland Mornings")
    first, second, third = (
        make_picture(project, caption=caption, size=(300, 200))
        for caption in ["Fog over the loch", "First light", "The long ridge"]
    )

    page.goto(second.get_absolute_url())
    expect(page.locator('a[rel="prev"]')).to_have_attribute("href", first.get_absolute_url())
    expect(page.locator('a[rel="next"]')).to_have_attribute("href", third.get_absolute_url())
    assert_accessible(page)

    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(third.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("The long ridge")
    expect(page.locator('a[rel="next"]')).to_have_count(0)  # The last picture.
    page.keyboard.press("ArrowRight")  # Nothing further: the page stays.
    expect(page.get_by_role("heading", level=1)).to_have_text("The long ridge")

    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("heading", level=1)).to_have_text("First light")
    # By keyboard without the shortcut: the links are reached and followed like any other.
    page.get_by_role("link", name="Previous picture: Fog over the loch").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fog over the loch")
    expect(page.locator('a[rel="prev"]')).to_have_count(0)
