"""The renditions pipeline on its own (images/renditions.py): every mode, every shape."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from PIL import Image, ImageDraw

from portfolio.images.cards import CARD_SIZE
from portfolio.images.placeholders import Placeholder
from portfolio.images.renditions import (
    RENDITION_FORMATS,
    render_derivatives,
    render_renditions,
    rendition_sizes,
    store_renditions,
)

# What stored files hold, format by format (PNG, GIF, JPEG, WebP and AVIF are what the
# gate stores), and in TIFF the modes Pillow has that none of those opens as. Each is one
# colour; the rendition must show it. 16-bit samples run to 65535: 32896 is 128 in 8 bits.
UNIFORM_IMAGES = [
    ("PNG", "1", 1, (255, 255, 255)),
    ("PNG", "L", 90, (90, 90, 90)),
    ("PNG", "LA", (90, 200), (90, 90, 90, 200)),
    ("PNG", "P", (204, 51, 0), (204, 51, 0)),
    ("PNG", "RGB", (200, 40, 10), (200, 40, 10)),
    ("PNG", "RGBA", (200, 40, 10, 128), (200, 40, 10, 128)),
    ("PNG", "I;16", 32896, (128, 128, 128)),
    ("GIF", "P", (204, 51, 0), (204, 51, 0)),
    ("GIF", "L", 90, (90, 90, 90)),
    ("JPEG", "L", 90, (90, 90, 90)),
    ("JPEG", "RGB", (200, 40, 10), (200, 40, 10)),
    ("JPEG", "CMYK", (0, 255, 255, 0), (255, 0, 0)),
    ("WEBP", "RGB", (200, 40, 10), (200, 40, 10)),
    ("WEBP", "RGBA", (200, 40, 10, 128), (200, 40, 10, 128)),
    ("AVIF", "L", 90, (90, 90, 90)),
    ("AVIF", "RGB", (200, 40, 10), (200, 40, 10)),
    ("AVIF", "RGBA", (200, 40, 10, 128), (200, 40, 10, 128)),
    ("TIFF", "PA", (204, 51, 0, 128), (204, 51, 0, 128)),
    ("TIFF", "CMYK", (0, 255, 255, 0), (255, 0, 0)),
    ("TIFF", "YCbCr", (76, 85, 255), (255, 0, 0)),
    ("TIFF", "I", 32896, (128, 128, 128)),
    ("TIFF", "I;16", 32896, (128, 128, 128)),
    ("TIFF", "I;16B", 32896, (128, 128, 128)),
    ("TIFF", "F", 128.0, (128, 128, 128)),
]
# GIF keeps greyscale as a palette.
OPENS_AS = {("GIF", "L"): "P"}


def encoded(image: Image.Image, image_format: str, **options) -> io.BytesIO:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    buffer.seek(0)
    return buffer


def uniform_image(mode: str, colour) -> Image.Image:
    if mode in ("P", "PA"):
        # Web-safe colours: the palette Pillow converts to holds them exactly.
        image = Image.new("RGB", (600, 400), colour[:3]).convert("P")
        if mode == "PA":
            image = image.convert("PA")
            image.putalpha(colour[3])
        return image
    return Image.new(mode, (600, 400), colour)


def close_to(pixel, expected, tolerance: int = 8) -> bool:
    return len(pixel) == len(expected) and all(
        abs(got - wanted) <= tolerance for got, wanted in zip(pixel, expected, strict=True)
    )


@pytest.mark.parametrize("rendition_format", ["webp", "avif"])
@pytest.mark.parametrize(
    ("image_format", "mode", "colour", "expected"),
    UNIFORM_IMAGES,
    ids=[f"{image_format}-{mode}" for image_format, mode, _, _ in UNIFORM_IMAGES],
)
def test_every_mode_renders_its_colours(image_format, mode, colour, expected, rendition_format):
    file = encoded(uniform_image(mode, colour), image_format)
    with Image.open(file) as stored:
        assert stored.mode == OPENS_AS.get((image_format, mode), mode)
    file.seek(0)

    [rendition] = render_renditions(file, [480], rendition_format)

    with Image.open(io.BytesIO(rendition.data)) as shown:
        assert shown.mode == ("RGBA" if len(expected) == 4 else "RGB")
        assert close_to(shown.getpixel((240, 160)), expected)


def test_sixteen_bit_greyscale_keeps_its_whole_range():
    # A 16-bit PNG (as scanners and raw converters write them), black to white.
    gradient = Image.linear_gradient("L").rotate(90).resize((1024, 256))
    deep = gradient.convert("I").point(lambda value: value * 257).convert("I;16")
    file = encoded(deep, "PNG")

    [rendition] = render_renditions(file, [512])

    with Image.open(io.BytesIO(rendition.data)) as shown:
        row = [shown.getpixel((x, 64))[0] for x in (8, 128, 256, 384, 503)]
    assert close_to(row, [4, 64, 128, 191, 251])


@pytest.mark.parametrize(
    ("mode", "transparency"), [("P", 0), ("L", 90), ("RGB", (90, 90, 90)), ("I;16", 32896)]
)
def test_a_transparent_colour_stays_transparent(mode, transparency):
    # Left half the transparent colour, right half another: PNG's tRNS chunk.
    if mode == "P":
        image = Image.new("P", (600, 400), 0)
        image.putpalette([90, 90, 90, 200, 40, 10])
        image.paste(1, (300, 0, 600, 400))
    else:
        image = Image.new(mode, (600, 400), transparency)
        other = {"L": 200, "RGB": (200, 40, 10), "I;16": 60000}[mode]
        image.paste(other, (300, 0, 600, 400))
    file = encoded(image, "PNG", transparency=transparency)

    [rendition] = render_renditions(file, [480])

    with Image.open(io.BytesIO(rendition.data)) as shown:
        assert shown.mode == "RGBA"
        assert shown.getpixel((60, 160))[3] == 0
        assert shown.getpixel((420, 160))[3] == 255


@pytest.mark.parametrize("rendition_format", ["webp", "avif"])
def test_a_very_long_picture_gets_a_rendition_within_the_formats_limit(rendition_format):
    # 1 × 100,000: a tenth of a megapixel, far beyond what WebP holds on one side.
    file = encoded(Image.new("L", (1, 100_000), 200), "PNG")
    max_side = RENDITION_FORMATS[rendition_format].max_side

    [rendition] = render_renditions(file, [480, 960, 1600], rendition_format)

    assert (rendition.width, rendition.height) == (1, max_side)
    with Image.open(io.BytesIO(rendition.data)) as shown:
        assert shown.size == (1, max_side)
        assert close_to(shown.getpixel((0, max_side // 2)), (200, 200, 200))


def test_a_very_wide_picture_keeps_every_width():
    file = encoded(Image.new("RGB", (100_000, 2), (200, 40, 10)), "PNG")

    renditions = render_renditions(file, [480, 960, 1600])

    assert [(rendition.width, rendition.height) for rendition in renditions] == [
        (480, 1),
        (960, 1),
        (1600, 1),
    ]


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((4000, 3000), [(480, 360), (960, 720), (1600, 1200)]),
        ((700, 500), [(480, 343), (700, 500)]),
        # Tall: the widths whose height would pass 16,383 px come out narrower, and once.
        ((1600, 40000), [(480, 12000), (655, 16383)]),
        ((1, 100_000), [(1, 16383)]),
        ((100_000, 1), [(480, 1), (960, 1), (1600, 1)]),
        ((20000, 20000), [(480, 480), (960, 960), (1600, 1600)]),
    ],
)
def test_rendition_sizes_keep_the_aspect_ratio_within_the_limit(size, expected):
    assert rendition_sizes(*size, [480, 960, 1600], 16383) == expected


def test_a_configured_width_beyond_the_limit_is_brought_within_it():
    assert rendition_sizes(30000, 15000, [480, 20000], 16383) == [(480, 240), (16383, 8192)]


# The card and the placeholder, made from the same decode ------------------------------

RED = (220, 30, 30)


def picture_with_a_subject(size=(4000, 3000), subject=(2800, 300, 3400, 800)) -> io.BytesIO:
    """A grey JPEG with a red box: the subject a focal point is set on."""
    image = Image.new("RGB", size, (120, 120, 120))
    ImageDraw.Draw(image).rectangle((subject[0], subject[1], subject[2] - 1, subject[3] - 1), RED)
    return encoded(image, "JPEG", quality=95)


def red_pixels(image: Image.Image) -> int:
    return sum(
        1 for pixel in image.convert("RGB").get_flattened_data() if close_to(pixel, RED, 40)
    )


def test_the_card_is_1200_by_630_and_keeps_the_subject_at_the_focal_point():
    subject = (2800, 300, 3400, 800)
    focal_point = ((2800 + 3400) / 2 / 4000, (300 + 800) / 2 / 3000)

    derivatives = render_derivatives(
        picture_with_a_subject(), [480, 960, 1600], "webp", focal_point
    )

    card = derivatives.card
    assert (card.width, card.height) == CARD_SIZE
    with Image.open(io.BytesIO(card.data)) as shown:
        assert shown.format == "JPEG" and shown.size == CARD_SIZE
        assert "exif" not in shown.info and "icc_profile" not in shown.info
        # The whole subject, at the card's scale (4000 px of picture across 1200 of card).
        scale = CARD_SIZE[0] / 4000
        whole = (subject[2] - subject[0]) * (subject[3] - subject[1]) * scale**2
        assert red_pixels(shown) == pytest.approx(whole, rel=0.1)
    # The same picture cropped around its centre cuts the subject.
    centred = render_derivatives(picture_with_a_subject(), [480, 960, 1600]).card
    with Image.open(io.BytesIO(centred.data)) as shown:
        assert red_pixels(shown) < 0.8 * whole


def test_a_small_picture_gets_a_smaller_card_never_upscaled():
    derivatives = render_derivatives(encoded(Image.new("RGB", (700, 500), RED), "PNG"), [480])

    assert (derivatives.card.width, derivatives.card.height) == (700, 368)


def test_a_panoramas_card_comes_from_the_decode_not_from_its_thin_renditions():
    file = encoded(Image.new("RGB", (20_000, 1000), RED), "PNG")

    derivatives = render_derivatives(file, [480, 960, 1600])

    assert (derivatives.renditions[-1].width, derivatives.renditions[-1].height) == (1600, 80)
    assert (derivatives.card.width, derivatives.card.height) == CARD_SIZE


@pytest.mark.parametrize(
    ("image_format", "mode", "colour", "expected"),
    [
        ("PNG", "RGB", (200, 40, 10), (200, 40, 10)),
        ("PNG", "RGBA", (200, 40, 10, 0), (255, 255, 255)),  # Transparent: over white.
        ("PNG", "I;16", 32896, (128, 128, 128)),
        ("JPEG", "CMYK", (0, 255, 255, 0), (255, 0, 0)),
    ],
)
def test_the_placeholder_and_the_card_show_the_pictures_colours(
    image_format, mode, colour, expected
):
    file = encoded(uniform_image(mode, colour), image_format)

    derivatives = render_derivatives(file, [480, 960])

    placeholder = Placeholder.parse(derivatives.placeholder)
    assert (placeholder.columns, placeholder.rows) == (4, 3)  # 600 × 400.
    assert all(close_to(channels(colour), expected) for colour in placeholder.colours)
    with Image.open(io.BytesIO(derivatives.card.data)) as card:
        assert card.mode == "RGB"
        assert close_to(card.getpixel((card.width // 2, card.height // 2)), expected)


def test_the_renditions_alone_are_the_same_without_card_or_placeholder():
    file = picture_with_a_subject()
    derivatives = render_derivatives(file, [480, 960, 1600])
    file.seek(0)

    assert render_renditions(file, [480, 960, 1600]) == derivatives.renditions


def test_stored_without_a_focal_point_the_renditions_come_alone(tmp_path):
    storage = FileSystemStorage(tmp_path / "stored")
    name = storage.save("photo.jpg", ContentFile(picture_with_a_subject().getvalue()))

    stored = store_renditions(storage, name, "webp 480 960", into=storage, focal_point=None)

    assert (stored.card, stored.web_size, stored.placeholder) == ("", "", "")
    assert [record["name"] for record in stored.renditions] == [
        "photo_w480.webp",
        "photo_w960.webp",
    ]
    assert sorted(path.name for path in (tmp_path / "stored").iterdir()) == [
        "photo.jpg",
        "photo_w480.webp",
        "photo_w960.webp",
    ]


def channels(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
