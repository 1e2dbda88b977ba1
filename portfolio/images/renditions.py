"""
Renditions: the responsive sizes made once per picture, after its upload commits.

A picture gets a few widths (settings.PORTFOLIO_RENDITION_WIDTHS) in
settings.PORTFOLIO_RENDITION_FORMAT, stored beside its original as
<stem>_w<width>.<format>. Never upscaled: a picture narrower than a configured
width gets the widths below its own, plus its own width as the largest, so
every picture has at least one rendition and the largest always shows it at
full resolution. No side goes beyond what the format can hold (a very long
picture is shrunk further, keeping its aspect ratio). Orientation is applied,
colours are converted to 8-bit sRGB and no metadata (EXIF, XMP, ICC) is written but the
picture's credit, as XMP, when the caller gives it.

The pipeline, chosen by bench/ (see the README): the JPEG decoder scales by
1/2, 1/4 or 1/8 while decoding (draft) to just above the largest width, the
largest rendition is resized from that, and each smaller one from the one
above it. Peak memory stays near one reduced decode, not a 24-megapixel one.

What happens to the files around a picture's life (made, recorded, deleted) is in
portfolio/tasks.py: this module only turns a stored image into stored renditions.
"""

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from PIL import ExifTags, Image, ImageCms, ImageOps


@dataclass(frozen=True)
class RenditionFormat:
    pillow_format: str
    extension: str
    # The longest side a rendition may have: WebP's own limit; for AVIF, well within the
    # 32,768 px libavif decodes by default.
    max_side: int
    encoder_options: dict = field(default_factory=dict)


RENDITION_FORMATS = {
    "webp": RenditionFormat("WEBP", "webp", 16383, {"quality": 80, "method": 4}),
    "avif": RenditionFormat("AVIF", "avif", 16384, {"quality": 60, "speed": 8}),
}


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    data: bytes


def rendition_spec() -> str:
    """What the current settings ask for, e.g. "webp 480 960 1600": stored with renditions."""
    image_format = settings.PORTFOLIO_RENDITION_FORMAT
    if image_format not in RENDITION_FORMATS:
        raise ValueError(f"PORTFOLIO_RENDITION_FORMAT must be one of {sorted(RENDITION_FORMATS)}.")
    widths = sorted({int(width) for width in settings.PORTFOLIO_RENDITION_WIDTHS})
    return " ".join([image_format, *map(str, widths)])


def store_renditions(
    source: Storage, name: str, spec: str, into: Storage, xmp: bytes | None = None
) -> list[dict]:
    """
    Make the renditions of the image `name` stored in `source` for `spec`; write them in
    `into`, under names beside its own.

    Return their records, smallest first: {"width", "height", "name"}. A file already at
    a rendition's name (an earlier run) is replaced; if writing fails, none is left. Each
    carries `xmp`, the picture's credit (images/metadata.py), when given.
    """
    image_format, *widths = spec.split()
    extension = RENDITION_FORMATS[image_format].extension
    with source.open(name, "rb") as original:
        renditions = render_renditions(
            original, [int(width) for width in widths], image_format, xmp
        )
    records = []
    try:
        for rendition in renditions:
            target = rendition_name(name, rendition.width, extension)
            into.delete(target)
            saved = into.save(target, ContentFile(rendition.data))
            records.append({"width": rendition.width, "height": rendition.height, "name": saved})
    except Exception:
        delete_renditions(into, [record["name"] for record in records])
        raise
    return records


def rendition_name(name: str, width: int, extension: str) -> str:
    """Where the rendition of the stored image `name` at `width` goes: beside it."""
    return f"{PurePosixPath(name).with_suffix('')}_w{width}.{extension}"


def possible_rendition_names(name: str, width: int, height: int) -> set[str]:
    """
    Every name store_renditions may give the renditions of `name`, a width × height image,
    under the current settings, whether or not they were recorded on its row.

    Either side may be the displayed width: the stored file's orientation is not known here.
    """
    image_format, *widths = rendition_spec().split()
    rendition_format = RENDITION_FORMATS[image_format]
    return {
        rendition_name(name, rendition_width, rendition_format.extension)
        for display_size in {(width, height), (height, width)}
        for rendition_width, _ in rendition_sizes(
            *display_size, map(int, widths), rendition_format.max_side
        )
    }


def delete_renditions(storage: Storage, names: Iterable[str]) -> None:
    for name in names:
        storage.delete(name)


def render_renditions(
    file, widths: Sequence[int], image_format: str = "webp", xmp: bytes | None = None
) -> list[Rendition]:
    """Decode an image file once and encode it at each size rendition_sizes gives."""
    rendition_format = RENDITION_FORMATS[image_format]
    with Image.open(file) as image:
        display_width, display_height = _display_size(image)
        sizes = rendition_sizes(display_width, display_height, widths, rendition_format.max_side)
        if image.format == "JPEG":
            # Ask the decoder for the smallest 1/2^n scale that still covers the largest width.
            scale = sizes[-1][0] / display_width
            requested = (round(image.width * scale), round(image.height * scale))
            image.draft("RGB", requested)
        image.load()
        frame = _to_srgb(_upright(image))
        if frame.mode not in DEEP_GREY_MODES or "transparency" in frame.info:
            frame = _to_8_bit_rgb(frame)
    # Nothing of the original's metadata (EXIF, XMP, ICC profile) goes into a rendition:
    # only the credit given, as WebP and AVIF hold XMP.
    frame.info.clear()
    credit = {"xmp": xmp} if xmp else {}
    renditions = []
    for width, height in reversed(sizes):
        if frame.size != (width, height):
            smaller = _resize(frame, (width, height))
            frame.close()  # Free the larger pixels before encoding: that is the peak.
            frame = smaller
        if frame.mode in DEEP_GREY_MODES:
            # Resized at its own depth, then made 8 bits: exact, and less to convert.
            frame = _to_8_bit_rgb(frame)
        buffer = io.BytesIO()
        frame.save(
            buffer,
            format=rendition_format.pillow_format,
            **rendition_format.encoder_options,
            **credit,
        )
        renditions.append(Rendition(width, height, buffer.getvalue()))
    frame.close()
    return renditions[::-1]


def rendition_sizes(
    width: int, height: int, widths: Iterable[int], max_side: int
) -> list[tuple[int, int]]:
    """
    The sizes of the renditions of a width × height image (as displayed), smallest first:
    one for each of rendition_widths(), shrunk further, aspect ratio kept, where a side would
    pass max_side. Never empty; sizes that come out equal are made once.
    """
    sizes = []
    for target in rendition_widths(width, widths):
        scale = min(target / width, max_side / width, max_side / height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        if size not in sizes:
            sizes.append(size)
    return sizes


def rendition_widths(source_width: int, widths: Iterable[int]) -> list[int]:
    """The configured widths an image of source_width can give without upscaling."""
    wanted = sorted({int(width) for width in widths})
    chosen = [width for width in wanted if width <= source_width]
    if source_width < wanted[-1] and source_width not in chosen:
        chosen.append(source_width)
    return chosen


# Output rows resized at a time: Lanczos keeps a whole intermediate image otherwise.
RESIZE_BAND_ROWS = 256


def _resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """
    Lanczos, with a fast integer box reduction first when shrinking more than 3x
    (reducing_gap), in bands of rows so the intermediate buffer stays a band.

    Each band reads the source rows around it too (box only places it): seamless.
    """
    width, height = size
    if height <= RESIZE_BAND_ROWS:
        return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    result = Image.new(image.mode, size)
    scale = image.height / height
    for top in range(0, height, RESIZE_BAND_ROWS):
        bottom = min(height, top + RESIZE_BAND_ROWS)
        box = (0, top * scale, image.width, bottom * scale)
        band = image.resize((width, bottom - top), Image.Resampling.LANCZOS, box=box)
        result.paste(band, (0, top))
    return result


def _display_size(image: Image.Image) -> tuple[int, int]:
    """The size once EXIF orientation is applied (5 to 8 swap the axes)."""
    if _orientation(image) in (5, 6, 7, 8):
        return image.height, image.width
    return image.width, image.height


def _orientation(image: Image.Image) -> int:
    return image.getexif().get(ExifTags.Base.Orientation, 1)


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation, without copying an image that needs none."""
    if _orientation(image) in (2, 3, 4, 5, 6, 7, 8):
        return ImageOps.exif_transpose(image)
    return image


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert from an embedded colour profile to sRGB, since none is written."""
    icc_profile = image.info.get("icc_profile")
    if not icc_profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        if "sRGB" in ImageCms.getProfileDescription(source):
            return image
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError):
        # A broken profile: the pixels are still worth showing as they are.
        return image


# Greyscale with more than 8 bits a sample: 16-bit PNGs open as I;16. Pillow's own
# conversions would clip every value above 255 to white.
DEEP_GREY_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I", "F"})
# 16-bit samples (and I, as PNG gave it) run from 0 (black) to 65535 (white).
_SIXTEEN_TO_EIGHT_BITS = [round(value / 257) for value in range(65536)]


def _to_8_bit_rgb(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image has transparency: what WebP and AVIF encode."""
    transparency = image.info.get("transparency")
    if image.mode == "RGBA" or (image.mode == "RGB" and transparency is None):
        return image
    if image.mode == "F":
        image = image.convert("L")  # Floats as Pillow scales them: 0.0 black, 255.0 white.
    elif image.mode in DEEP_GREY_MODES:
        samples = image if image.mode == "I" else image.convert("I")
        grey = samples.point(_SIXTEEN_TO_EIGHT_BITS, "L")
        if isinstance(transparency, int) and 0 <= transparency <= 65535:
            opaque = [255] * 65536
            opaque[transparency] = 0
            grey.putalpha(samples.point(opaque, "L"))
        image = grey
    if image.mode in ("LA", "PA", "La", "RGBa") or transparency is not None:
        return image.convert("RGBA")
    return image.convert("RGB")
