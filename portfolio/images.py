"""
Everything the site does with Pillow, in one place.

Uploads: decide whether a file is a picture we accept, by its content alone, and turn it
into the file we store (upright, re-encoded, without location or other identifying metadata).
Renditions: the responsive sizes made once per picture, after its upload commits.
"""

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import pillow_heif
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from PIL import ExifTags, Image, ImageCms, ImageOps, JpegImagePlugin

# HEIC/HEIF (what phones take) comes from libheif through pillow-heif's Pillow plugin.
pillow_heif.register_heif_opener()


# Uploads

# Pillow's format names. Only these plugins ever look at an upload's bytes.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "AVIF", "HEIF")
ACCEPTED_FORMATS_TEXT = "JPEG, PNG, WebP, GIF, AVIF or HEIC"

# What each accepted format is stored as: HEIC becomes JPEG, which every browser shows.
STORED_FORMATS = {
    "JPEG": "JPEG",
    "PNG": "PNG",
    "WEBP": "WEBP",
    "GIF": "GIF",
    "AVIF": "AVIF",
    "HEIF": "JPEG",
}
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif", "AVIF": ".avif"}


class UploadRejected(Exception):
    """An upload we refuse, with a reason a person understands."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def prepare_upload(upload: File) -> ContentFile:
    """
    Check an uploaded file and return the picture to store, or raise UploadRejected.

    Limits hold before any work: bytes before Pillow opens the file, pixels (read from
    the header) before they are decoded. Then the whole image is decoded once, so a
    truncated or damaged file is refused here rather than failing later in a browser.
    """
    if upload.size == 0:
        raise UploadRejected("empty file")
    if upload.size > settings.PORTFOLIO_UPLOAD_MAX_BYTES:
        raise UploadRejected(too_large_reason())

    upload.seek(0)
    header = upload.read(512)
    upload.seek(0)
    image = _open(upload, header)
    try:
        return _normalise(image)
    finally:
        image.close()


def describe_limits() -> str:
    """The upload rules in one sentence, for the form's hint."""
    return (
        f"{ACCEPTED_FORMATS_TEXT}; up to {settings.PORTFOLIO_UPLOAD_MAX_FILES} files at a time, "
        f"{megabytes(settings.PORTFOLIO_UPLOAD_MAX_BYTES)} and "
        f"{_megapixels(settings.PORTFOLIO_UPLOAD_MAX_PIXELS)} each."
    )


def too_large_reason() -> str:
    """Why a file over the byte limit is refused; the upload form says it too, before sending."""
    return f"larger than {megabytes(settings.PORTFOLIO_UPLOAD_MAX_BYTES)}"


def megabytes(size: int) -> str:
    """A byte count as people read it: "25 MB", "512 KB"."""
    if size >= 1024 * 1024:
        return f"{round(size / (1024 * 1024), 1):g} MB"
    return f"{round(size / 1024, 1):g} KB"


def _open(upload: File, header: bytes) -> Image.Image:
    """Open with the accepted formats only, check the pixel count, then decode everything."""
    max_pixels = settings.PORTFOLIO_UPLOAD_MAX_PIXELS
    too_large = f"more than {_megapixels(max_pixels)}"
    try:
        image = Image.open(upload, formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard (Image.MAX_IMAGE_PIXELS, set from our limit in apps.py).
        raise UploadRejected(too_large) from None
    except Exception:
        # Unknown or malformed headers raise anything from SyntaxError to struct.error.
        raise UploadRejected(_refused_format_reason(header)) from None

    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise UploadRejected(too_large)
    if width == 0 or height == 0:
        image.close()
        raise UploadRejected("the file is damaged or incomplete")
    try:
        image.load()
    except Exception:
        image.close()
        raise UploadRejected("the file is damaged or incomplete") from None
    return image


def _normalise(image: Image.Image) -> ContentFile:
    """
    Re-encode the first frame, upright, keeping only the ICC profile.

    Re-encoding from decoded pixels means what we store is only a picture: nothing
    that rode along in the original (EXIF with GPS, XMP, comments, trailing bytes) survives.
    """
    stored_format = STORED_FORMATS[image.format]
    icc_profile = image.info.get("icc_profile")
    transparency = image.info.get("transparency")
    save_options: dict = {}

    if image.format == "JPEG":
        # The original's quantisation tables and subsampling keep its quality and size.
        save_options["qtables"] = image.quantization
        sampling = JpegImagePlugin.get_sampling(image)
        if sampling != -1:
            save_options["subsampling"] = sampling
    elif stored_format == "JPEG":
        save_options["quality"] = 90

    # In place: for an upright photo, a copy of every decoded pixel would buy nothing.
    ImageOps.exif_transpose(image, in_place=True)
    upright = image
    upright.info = {}

    if stored_format == "JPEG" and upright.mode not in ("L", "RGB", "CMYK"):
        if "A" in upright.getbands() or transparency is not None:
            # A HEIC with transparency: JPEG has none, PNG keeps it.
            stored_format = "PNG"
            save_options = {}
        else:
            upright = upright.convert("RGB")
    if stored_format == "WEBP":
        save_options["quality"] = 90
    elif stored_format == "AVIF":
        save_options["quality"] = 85
    if icc_profile and stored_format != "GIF":
        save_options["icc_profile"] = icc_profile
    if transparency is not None and stored_format in ("PNG", "GIF"):
        save_options["transparency"] = transparency

    buffer = io.BytesIO()
    upright.save(buffer, format=stored_format, **save_options)
    return ContentFile(buffer.getvalue(), name=f"picture{EXTENSIONS[stored_format]}")


# Well-known formats we refuse, named so the owner knows what to convert.
_REFUSED_SIGNATURES = [
    (b"%PDF-", "PDF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"8BPS", "Photoshop (PSD)"),
    (b"BM", "BMP"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
]


def _refused_format_reason(header: bytes) -> str:
    for signature, name in _REFUSED_SIGNATURES:
        if header.startswith(signature):
            return f"{name} is not accepted: upload {ACCEPTED_FORMATS_TEXT}"
    text = header.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<") and b"<svg" in text:
        return f"SVG is not accepted: upload {ACCEPTED_FORMATS_TEXT}"
    return "not an image"


def _megapixels(pixels: int) -> str:
    return f"{round(pixels / 1_000_000, 1):g} megapixels"


# Renditions ##################################################################
#
# A picture gets a few widths (settings.PORTFOLIO_RENDITION_WIDTHS) in
# settings.PORTFOLIO_RENDITION_FORMAT, stored beside its original as
# <stem>_w<width>.<format>. Never upscaled: a picture narrower than a configured
# width gets the widths below its own, plus its own width as the largest, so
# every picture has at least one rendition and the largest always shows it at
# full resolution. Orientation is applied, colours are converted to sRGB and
# no metadata (EXIF, XMP, ICC) is written.
#
# The pipeline, chosen by bench/ (see the README): the JPEG decoder scales by
# 1/2, 1/4 or 1/8 while decoding (draft) to just above the largest width, the
# largest rendition is resized from that, and each smaller one from the one
# above it. Peak memory stays near one reduced decode, not a 24-megapixel one.

RENDITION_FORMATS = {
    # Pillow format, file extension, encoder options.
    "webp": ("WEBP", "webp", {"quality": 80, "method": 4}),
    "avif": ("AVIF", "avif", {"quality": 60, "speed": 8}),
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


def save_renditions(storage: Storage, name: str, spec: str | None = None) -> list[dict]:
    """
    Make the renditions of the stored image `name`, write them beside it.

    Return their records, smallest first: {"width", "height", "name"}. A file
    already at a rendition's name (an earlier run) is replaced.
    """
    image_format, *widths = (spec or rendition_spec()).split()
    extension = RENDITION_FORMATS[image_format][1]
    with storage.open(name, "rb") as original:
        renditions = make_renditions(original, [int(width) for width in widths], image_format)
    records = []
    for rendition in renditions:
        target = rendition_name(name, rendition.width, extension)
        storage.delete(target)
        saved = storage.save(target, ContentFile(rendition.data))
        records.append({"width": rendition.width, "height": rendition.height, "name": saved})
    return records


def rendition_name(name: str, width: int, extension: str) -> str:
    """Where the rendition of the stored image `name` at `width` goes: beside it."""
    return f"{PurePosixPath(name).with_suffix('')}_w{width}.{extension}"


def possible_rendition_names(name: str, width: int, height: int) -> set[str]:
    """
    Every name save_renditions may have given the renditions of `name`, a width × height
    image, under the current settings, whether or not they were recorded on the row.

    Deleting these as well as the recorded ones leaves nothing behind when the renditions
    were recorded after the deleting code loaded the row. Either side may be the displayed
    width: the stored file's orientation is not known here.
    """
    image_format, *widths = rendition_spec().split()
    extension = RENDITION_FORMATS[image_format][1]
    return {
        rendition_name(name, rendition_width, extension)
        for source_width in {width, height}
        for rendition_width in rendition_widths(source_width, map(int, widths))
    }


def delete_renditions(storage: Storage, names: Iterable[str]) -> None:
    for name in names:
        storage.delete(name)


def make_renditions(file, widths: Sequence[int], image_format: str = "webp") -> list[Rendition]:
    """Decode an image file once and encode it at each width it is wide enough for."""
    pillow_format, _, options = RENDITION_FORMATS[image_format]
    with Image.open(file) as image:
        display_width, display_height = _display_size(image)
        targets = rendition_widths(display_width, widths)
        largest = targets[-1]
        if image.format == "JPEG":
            # Ask the decoder for the smallest 1/2^n scale that still covers the largest width.
            scale = largest / display_width
            requested = (round(image.width * scale), round(image.height * scale))
            image.draft("RGB", requested)
        image.load()
        frame = _flatten_mode(_to_srgb(_upright(image)))
    # Nothing of the original's metadata (EXIF, XMP, ICC profile) goes into a rendition.
    frame.info.clear()
    renditions = []
    for width in reversed(targets):
        height = max(1, round(display_height * width / display_width))
        if frame.size != (width, height):
            smaller = _resize(frame, (width, height))
            frame.close()  # Free the larger pixels before encoding: that is the peak.
            frame = smaller
        buffer = io.BytesIO()
        frame.save(buffer, format=pillow_format, **options)
        renditions.append(Rendition(width, height, buffer.getvalue()))
    frame.close()
    return renditions[::-1]


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


def _flatten_mode(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image has transparency: what WebP and AVIF encode."""
    if image.mode in ("RGB", "RGBA"):
        return image
    if image.mode in ("LA", "PA") or "transparency" in image.info:
        return image.convert("RGBA")
    return image.convert("RGB")
