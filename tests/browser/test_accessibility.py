"""axe-core finds no serious or critical accessibility violation on the site's pages."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.helpers import make_category, make_picture, make_project

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def project():
    project = make_project(
        title="Coastal Blue Hour",
        category=make_category("Landscape"),
        description="Evenings on the coast.\n\nShot over one winter.",
    )
    make_picture(project, caption="Harbour lights")
    make_picture(project)  # No caption: the alt text falls back to the project's title.
    make_project(title="Desert Lines", category=make_category("Travel"))
    return project


def test_gallery(page: Page, project):
    page.goto("/")
    expect(page.locator(".project-tile")).to_have_count(2)

    assert_accessible(page)


def test_gallery_filtered_by_htmx(page: Page, project):
    page.goto("/")
    page.get_by_role("navigation", name="Categories").get_by_role("link", name="Travel").click()
    expect(page.locator(".project-tile")).to_have_count(1)

    assert_accessible(page)


def test_project_page(page: Page, project):
    page.goto(project.get_absolute_url())

    assert_accessible(page)


def test_lightbox_open(page: Page, project):
    page.goto(project.get_absolute_url())
    page.get_by_role("link", name="Harbour lights").click()
    expect(page.locator("#lightbox .lightbox-position")).to_have_text("1 / 2")

    assert_accessible(page)


def test_login_page(page: Page):
    page.goto("/accounts/login/")

    assert_accessible(page)


def test_login_page_with_an_error(page: Page):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()

    assert_accessible(page)


def test_the_check_fails_on_a_serious_violation_and_says_where(page: Page):
    page.set_content(
        '<html lang="en"><title>Broken</title><main>'
        '<button class="icon-only"></button></main></html>'
    )

    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)

    assert "[critical] button-name" in str(failure.value)
    assert 'at button: <button class="icon-only"></button>' in str(failure.value)
    # Moderate findings (this page has no <h1>) are not what fails a test.
    assert "page-has-heading-one" not in str(failure.value)
