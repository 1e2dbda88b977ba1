from html import escape

from django import template
from django.utils.safestring import mark_safe

from portfolio.discovery.previews import LinkPreview, neutral_preview

register = template.Library()


@register.simple_tag(takes_context=True)
def link_preview(context) -> LinkPreview | None:
    """The page's own preview (its view's `link_preview`), else one that tells nothing."""
    request = context.get("request")
    if request is None:
        return None
    return context.get("link_preview") or neutral_preview(request)


@register.filter
def sitemap_index_entries(sitemaps) -> str:
    """
    The sitemap index's <sitemap> entries (Django's SitemapIndexItem), written at once: at a
    million pictures it lists a thousand files, which a template loop took 12 ms to write
    and this 0.3 (docs/scale.md). Dates come from the database in UTC: isoformat is date:"c"
    without its time zone work, and a section's files share theirs.
    """
    dates = {}
    entries = []
    for site in sitemaps:
        if site.last_mod not in dates:
            dates[site.last_mod] = (
                f"<lastmod>{site.last_mod.isoformat()}</lastmod>" if site.last_mod else ""
            )
        location = escape(site.location)
        entries.append(f"<sitemap><loc>{location}</loc>{dates[site.last_mod]}</sitemap>")
    return mark_safe("\n".join(entries))
