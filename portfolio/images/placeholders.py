"""
Placeholders: a few colours standing for a picture until its image arrives, inlined.

A placeholder is a grid of the picture's average colours, at most 15 cells shaped like
the picture, written "COLUMNSxROWS:" and six hex digits a cell, row by row, e.g.
"4x3:" and 72 digits for a 3:2 photo (95 characters at most). A page draws it as an SVG
of rects with fill attributes, blurred by an SVG filter (templates/portfolio/_placeholder.html):
no style attribute, no request.
"""

import math
from dataclasses import dataclass

from PIL import Image

MAX_CELLS = 15


def make_placeholder(image: Image.Image) -> str:
    """The placeholder of an 8-bit RGB or RGBA image (any size; its renditions' smallest)."""
    columns, rows = grid_size(*image.size)
    # BOX averages every pixel of a cell; transparency is shown over white, as JPEG cards are.
    cells = opaque_rgb(image.resize((columns, rows), Image.Resampling.BOX))
    return f"{columns}x{rows}:{cells.tobytes().hex()}"


def grid_size(width: int, height: int) -> tuple[int, int]:
    """Columns and rows of about square cells, at most MAX_CELLS of them."""
    aspect_ratio = width / height
    columns = min(max(round(math.sqrt(12 * aspect_ratio)), 1), MAX_CELLS)
    rows = min(max(round(columns / aspect_ratio), 1), MAX_CELLS // columns)
    return columns, rows


def opaque_rgb(image: Image.Image) -> Image.Image:
    """RGB, a transparent image composed over white."""
    if image.mode != "RGBA":
        return image.convert("RGB")
    white = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, image).convert("RGB")


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    width: int
    height: int
    fill: str


@dataclass(frozen=True)
class Placeholder:
    columns: int
    rows: int
    colours: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> "Placeholder | None":
        """The placeholder `text` holds, or None if it holds none (or not one of ours)."""
        size, _, digits = text.partition(":")
        columns, _, rows = size.partition("x")
        if not (columns.isdigit() and rows.isdigit() and int(columns) and int(rows)):
            return None
        columns, rows = int(columns), int(rows)
        if len(digits) != 6 * columns * rows:
            return None
        try:
            bytes.fromhex(digits)
        except ValueError:
            return None
        return cls(columns, rows, tuple(f"#{digits[i : i + 6]}" for i in range(0, len(digits), 6)))

    @property
    def colour(self) -> str:
        """The picture's average colour, "#rrggbb"."""
        channels = [
            round(sum(int(colour[i : i + 2], 16) for colour in self.colours) / len(self.colours))
            for i in (1, 3, 5)
        ]
        return "#" + "".join(f"{channel:02x}" for channel in channels)

    @property
    def cells(self) -> list[Cell]:
        """
        One rect a colour, in viewBox units (a cell is 1 × 1).

        The cells on the edges reach one unit past them, so the blur fades outside the
        viewBox instead of darkening the picture's edges.
        """
        return [
            Cell(
                x=column - (column == 0),
                y=row - (row == 0),
                width=1 + (column == 0) + (column == self.columns - 1),
                height=1 + (row == 0) + (row == self.rows - 1),
                fill=self.colours[row * self.columns + column],
            )
            for row in range(self.rows)
            for column in range(self.columns)
        ]
