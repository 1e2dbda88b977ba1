"""Placeholders (images/placeholders.py): a few colours close to the picture's, inlined."""

import pytest
from django.template.loader import render_to_string
from PIL import Image, ImageDraw

from portfolio.images.placeholders import MAX_CELLS, Placeholder, grid_size, make_placeholder
from portfolio.models import Picture


def channels(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def close_to(colour: str, expected, tolerance: int = 6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(channels(colour), expected, strict=True))


def test_a_uniform_picture_gives_its_colour_everywhere():
    text = make_placeholder(Image.new("RGB", (480, 320), (200, 40, 10)))

    placeholder = Placeholder.parse(text)
    assert (placeholder.columns, placeholder.rows) == (4, 3)
    assert len(text) <= 100  # Picture.placeholder's max_length.
    assert all(close_to(colour, (200, 40, 10)) for colour in placeholder.colours)
    assert close_to(placeholder.colour, (200, 40, 10))


def test_each_cell_is_the_colour_of_its_part_of_the_picture():
    # Left half blue, right half yellow: the cells follow, the average is between.
    image = Image.new("RGB", (480, 320), (0, 0, 255))
    ImageDraw.Draw(image).rectangle((240, 0, 479, 319), fill=(255, 255, 0))

    placeholder = Placeholder.parse(make_placeholder(image))

    rows = [placeholder.colours[row * 4 : row * 4 + 4] for row in range(3)]
    for left, _, _, right in rows:
        assert close_to(left, (0, 0, 255)) and close_to(right, (255, 255, 0))
    assert close_to(placeholder.colour, (128, 128, 128), tolerance=2)


def test_a_transparent_picture_is_shown_over_white():
    placeholder = Placeholder.parse(make_placeholder(Image.new("RGBA", (300, 300), (0, 0, 0, 0))))

    assert (placeholder.columns, placeholder.rows) == (3, 3)
    assert close_to(placeholder.colour, (255, 255, 255))


@pytest.mark.parametrize(
    "size", [(1, 1), (480, 320), (320, 480), (16383, 1), (1, 16383), (1600, 900), (480, 480)]
)
def test_the_grid_follows_the_pictures_shape_within_the_field(size):
    columns, rows = grid_size(*size)

    assert 1 <= columns * rows <= MAX_CELLS
    assert len(make_placeholder(Image.new("RGB", size, "grey"))) <= 100
    if size[0] > size[1]:
        assert columns >= rows
    elif size[0] < size[1]:
        assert rows >= columns


def test_the_cells_cover_the_viewbox_and_reach_past_its_edges():
    placeholder = Placeholder.parse("2x2:" + "ff0000" * 4)

    boxes = [
        (cell.x, cell.y, cell.x + cell.width, cell.y + cell.height) for cell in placeholder.cells
    ]
    assert boxes == [(-1, -1, 1, 1), (1, -1, 3, 1), (-1, 1, 1, 3), (1, 1, 3, 3)]
    assert {cell.fill for cell in placeholder.cells} == {"#ff0000"}


@pytest.mark.parametrize("text", ["", "#aabbcc", "2x2:abc", "0x3:", "2x1:zzzzzzzzzzzz", "axb:"])
def test_anything_else_is_no_placeholder(text):
    assert Placeholder.parse(text) is None


@pytest.mark.django_db
def test_the_template_draws_it_with_fill_attributes_and_no_style(client):
    picture = Picture(pk=7, placeholder="2x1:ff000000ff00")

    svg = render_to_string("portfolio/_placeholder.html", {"picture": picture}).strip()

    assert svg.startswith('<svg class="placeholder" viewBox="0 0 2 1"')
    assert 'preserveAspectRatio="xMidYMid slice"' in svg and 'aria-hidden="true"' in svg
    assert '<g filter="url(#placeholder-blur)">' in svg
    assert '<rect x="-1" y="-1" width="2" height="3" fill="#ff0000"/>' in svg
    assert '<rect x="1" y="-1" width="2" height="3" fill="#00ff00"/>' in svg
    assert "style" not in svg and "http" not in svg
    # The filter it refers to is on every page, once.
    page = client.get("/").content.decode()
    assert page.count('<filter id="placeholder-blur"') == 1


def test_the_template_draws_nothing_until_there_is_a_placeholder():
    for text in ("", "not one of ours"):
        picture = Picture(pk=7, placeholder=text)
        assert render_to_string("portfolio/_placeholder.html", {"picture": picture}).strip() == ""
