"""
A client with two ZIPs still downloading clicks a third: a page says why and what to do, where
a `download` link would have shown a failed download.
"""

import pytest
from playwright.sync_api import Page, expect

from portfolio.models import DownloadSlot, ShareLink
from tests.browser.axe import assert_accessible
from tests.helpers import make_picture, make_project

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_third_zip_at_once_shows_a_page_that_says_to_wait(page: Page, allow_console_error):
    project = make_project(visibility="unlisted")
    make_picture(project, original_filename="Dune.jpg")
    link = ShareLink.objects.create(project=project, label="for Anna", downloads="web")
    for _ in range(2):  # Two ZIPs of this client's still streaming (the browser's address).
        DownloadSlot.objects.take(f"link:{link.pk}", "127.0.0.1")
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.goto(link.get_absolute_url())

    allow_console_error("status of 429")  # The browser logs the refusal's status.
    page.get_by_role("link", name="Download all (web size, ZIP)").click()

    expect(page.get_by_role("heading", name="Too many downloads at once")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("2 ZIPs at once already")
    assert downloads == []
    assert_accessible(page)
