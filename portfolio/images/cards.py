"""The link-preview card: a picture cropped around its focal point to Open Graph's shape."""

import io

from PIL import Image

from portfolio.images.crops import focal_crop
from portfolio.images.pixels import to_8_bit_rgb
from portfolio.images.placeholders import opaque_rgb

# Open Graph's recommended size, and the card's JPEG quality.
CARD_SIZE = (1200, 630)
CARD_QUALITY = 85


def card_size(width: int, height: int) -> tuple[int, int]:
    """The card a width × height image gives: CARD_SIZE, or its crop's size if smaller."""
    left, top, right, bottom = focal_crop(width, height, CARD_SIZE[0] / CARD_SIZE[1])
    scale = min(1.0, CARD_SIZE[0] / (right - left))
    return max(1, round((right - left) * scale)), max(1, round((bottom - top) * scale))


def make_card(
    image: Image.Image, focal_point: tuple[float, float], credit: dict | None = None
) -> tuple[int, int, bytes]:
    """
    The card of an upright image, as (width, height, JPEG): the crop of CARD_SIZE's shape
    around the focal point, resized to fit CARD_SIZE, transparency over white; `credit` are
    the encoder's options that carry the picture's credit ({"xmp": ...}).
    """
    box = focal_crop(image.width, image.height, CARD_SIZE[0] / CARD_SIZE[1], *focal_point)
    size = card_size(image.width, image.height)
    # Bicubic: half Lanczos' time, and no difference a link preview's size could show.
    card = image.resize(size, Image.Resampling.BICUBIC, box=box, reducing_gap=3.0)
    buffer = io.BytesIO()
    opaque_rgb(to_8_bit_rgb(card)).save(
        buffer, format="JPEG", quality=CARD_QUALITY, **(credit or {})
    )
    return *size, buffer.getvalue()
