"""{{ picture.placeholder|placeholder_svg }}: a picture's placeholder as inline SVG."""

from functools import lru_cache

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from portfolio.images.placeholders import Placeholder

register = template.Library()

# Defined once a page in templates/_base.html: each placeholder refers to it by this id.
BLUR_FILTER_ID = "placeholder-blur"


@register.filter
def placeholder_svg(text: str) -> SafeString:
    """
    The SVG of rects with fill attributes that draws a placeholder, covering its box as
    object-fit: cover would; "" for a picture that has none yet.
    """
    return _svg(text or "")


# A page of 24 tiles through the template engine's loops costs more than the rest of the
# page: built in Python, once per placeholder and process.
@lru_cache(maxsize=4096)
def _svg(text: str) -> SafeString:
    placeholder = Placeholder.parse(text)
    if placeholder is None:
        return SafeString("")
    rects = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
        ((cell.x, cell.y, cell.width, cell.height, cell.fill) for cell in placeholder.cells),
    )
    return format_html(
        '<svg class="placeholder" viewBox="0 0 {} {}" preserveAspectRatio="xMidYMid slice" '
        'aria-hidden="true" focusable="false"><g filter="url(#{})">{}</g></svg>',
        placeholder.columns,
        placeholder.rows,
        BLUR_FILTER_ID,
        rects,
    )
