"""
Chromium reads a public page's JSON-LD as data: the strict Content-Security-Policy, which
refuses every inline script, lets it be, so the page needs no nonce and stays kept whole.
"""

import json

import pytest
from playwright.sync_api import Page, expect

from tests.helpers import make_picture, make_project

pytestmark = pytest.mark.django_db(transaction=True)

# Run before any of the page's own: every CSP violation of the page, as the browser saw it.
WATCH_VIOLATIONS = """
window.violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.violations.push(`${event.effectiveDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def project():
    project = make_project(title="Highland Mornings", description="Fog and first light.")
    for caption in ["Fog over the loch", "First light"]:
        make_picture(project, caption=caption)
    return project


def violations(page: Page) -> list[str]:
    return page.evaluate("window.violations")


def test_the_json_ld_trips_no_content_security_policy(page: Page, project, allow_console_error):
    page.add_init_script(WATCH_VIOLATIONS)

    response = page.goto(project.get_absolute_url())

    policy = response.headers["content-security-policy"]
    # No nonce used (Django then leaves it out of the policy): only the site's own files run.
    assert "script-src 'self';" in policy and "nonce" not in policy
    assert "nonce" not in response.text()
    script = page.locator('script[type="application/ld+json"]')
    expect(script).to_have_count(1)
    data = json.loads(script.text_content())
    assert data["@type"] == "ImageGallery" and data["name"] == "Highland Mornings"
    assert [image["caption"] for image in data["image"]] == ["Fog over the loch", "First light"]
    # The lightbox's script still runs on the page.
    page.get_by_role("link", name="First light").click()
    expect(page.locator("#lightbox")).to_be_visible()
    assert violations(page) == []
    for url in ["/", project.pictures.first().get_absolute_url()]:
        page.goto(url)
        expect(page.locator('meta[property="og:image"]')).to_have_count(1)
        assert violations(page) == []

    # What the policy does to an inline script: refused, and both listeners hear it (the
    # console one fails any browser test that did not expect it).
    allow_console_error(r"Executing inline script violates")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.ran = true";
          document.head.append(script);
        }"""
    )
    page.wait_for_function("window.violations.length > 0")
    assert violations(page) == ["script-src-elem inline"]
    assert page.evaluate("window.ran") is None
