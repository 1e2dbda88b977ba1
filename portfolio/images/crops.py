"""Crop arithmetic: boxes of a given shape that keep a picture's focal point in frame."""

Box = tuple[int, int, int, int]


def focal_crop(
    width: int, height: int, aspect_ratio: float, focal_x: float = 0.5, focal_y: float = 0.5
) -> Box:
    """
    The largest (left, top, right, bottom) box of `aspect_ratio` (width ÷ height) inside a
    width × height picture, centred on the focal point (fractions of the width and height)
    as far as the picture's edges allow.

    The box spans the picture's whole width or whole height, so the focal point is always
    inside it; a subject around the focal point no larger than the box stays whole.
    """
    if width < 1 or height < 1 or aspect_ratio <= 0:
        raise ValueError("A crop needs a picture and a positive aspect ratio.")
    crop_width = min(width, max(1, round(height * aspect_ratio)))
    crop_height = min(height, max(1, round(crop_width / aspect_ratio)))
    left = _centred(focal_x, width, crop_width)
    top = _centred(focal_y, height, crop_height)
    return left, top, left + crop_width, top + crop_height


def _centred(focal: float, length: int, crop_length: int) -> int:
    """Where a crop_length span starts to centre `focal` of length, clamped inside it."""
    focal = min(max(focal, 0.0), 1.0)
    return min(max(round(focal * length - crop_length / 2), 0), length - crop_length)
