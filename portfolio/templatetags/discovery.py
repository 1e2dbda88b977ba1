from django import template

from portfolio.discovery.previews import LinkPreview, neutral_preview

register = template.Library()


@register.simple_tag(takes_context=True)
def link_preview(context) -> LinkPreview | None:
    """The page's own preview (its view's `link_preview`), else one that tells nothing."""
    request = context.get("request")
    if request is None:
        return None
    return context.get("link_preview") or neutral_preview(request)
