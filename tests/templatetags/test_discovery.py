"""The discovery tags: the sitemap index's entries, written at once."""

from datetime import UTC, datetime
from xml.etree import ElementTree

from django.contrib.sitemaps.views import SitemapIndexItem

from portfolio.templatetags.discovery import sitemap_index_entries


def test_the_index_entries_are_escaped_and_dated_as_the_template_did():
    changed = datetime(2026, 12, 7, 9, 30, 15, 250, tzinfo=UTC)
    entries = sitemap_index_entries(
        [
            SitemapIndexItem("https://example.com/sitemap-projects.xml?p=2&x=<y>", changed),
            SitemapIndexItem("https://example.com/sitemap-gallery.xml", None),
        ]
    )

    index = ElementTree.fromstring(f"<sitemapindex>{entries}</sitemapindex>")
    first, second = index.iter("sitemap")
    assert first.find("loc").text == "https://example.com/sitemap-projects.xml?p=2&x=<y>"
    assert first.find("lastmod").text == "2026-12-07T09:30:15.000250+00:00"
    assert second.find("loc").text == "https://example.com/sitemap-gallery.xml"
    assert second.find("lastmod") is None
