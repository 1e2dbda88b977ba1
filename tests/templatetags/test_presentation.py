"""A picture's shape and focal point as classes, and the stylesheet that has them all."""

import re
from types import SimpleNamespace

import pytest

from portfolio.templatetags.presentation import focus_class, grid_sizes, shape_class, stylesheet
from site_config.environment import BASE_DIR

SITE_CSS = BASE_DIR / "static" / "css" / "site.css"


def picture(width=0, height=0, focal_x=0.5, focal_y=0.5):
    return SimpleNamespace(
        display_width=width, display_height=height, focal_x=focal_x, focal_y=focal_y
    )


def test_site_css_has_the_rules_of_every_class_the_filters_give():
    assert stylesheet() in SITE_CSS.read_text(), (
        "site.css is out of step: paste in `python -m portfolio.templatetags.presentation`"
    )


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1000, 1000, "ar-1000"),
        (3000, 2000, "ar-1504"),
        (2000, 3000, "ar-665"),
        (1920, 1080, "ar-1781"),
        (10000, 100, "ar-4448"),  # A panorama past the last class: cropped to it.
        (100, 10000, "ar-225"),
        (0, 0, "ar-1000"),  # No size known yet: square.
    ],
)
def test_shape_class_is_the_nearest_step(width, height, expected):
    assert shape_class(picture(width, height)) == expected


@pytest.mark.parametrize("width", range(230, 4440, 37))
def test_a_picture_is_cropped_by_at_most_half_a_step(width):
    name = shape_class(picture(width, 1000))
    shown = float(re.search(rf"\.{name}{{--ar:([0-9.]+)}}", stylesheet())[1])
    assert shown == pytest.approx(width / 1000, rel=0.0051)


@pytest.mark.parametrize(
    ("focal_x", "focal_y", "expected"),
    [(0.5, 0.5, "fx-50 fy-50"), (0.0, 1.0, "fx-0 fy-100"), (0.33, 0.874, "fx-35 fy-85")],
)
def test_focus_class_is_the_nearest_five_percent(focal_x, focal_y, expected):
    assert focus_class(picture(focal_x=focal_x, focal_y=focal_y)) == expected


def test_grid_sizes_follow_the_shape_at_a_rows_height():
    assert grid_sizes(picture(3000, 2000)) == (
        "(max-width: 480px) calc(100vw - 24px), "
        "(max-width: 720px) min(100vw, 361px), min(100vw, 541px)"
    )
