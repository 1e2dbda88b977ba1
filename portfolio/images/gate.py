"""
The gate every picture's file passes: decide whether a file is a picture we accept, by its
content alone, and turn it into the file we store (upright, re-encoded, without location or
other identifying metadata: only its credit, images/metadata.py).
"""

import io
import logging

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from PIL import ExifTags, Image, JpegImagePlugin

from portfolio.images import sandbox, structure, xmp
from portfolio.images.icc import kept_profile, to_srgb
from portfolio.images.metadata import credit_xmp, read_metadata

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
    # A multi-picture JPEG (stereo cameras, some phones): its first picture, as a JPEG.
    "MPO": "JPEG",
}
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif", "AVIF": ".avif"}
DAMAGED_OR_UNSUPPORTED = "the file is damaged or unsupported"

# EXIF orientation -> the transposition that shows the picture upright.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

logger = logging.getLogger(__name__)


class UploadRejected(Exception):
    """An upload we refuse, with a reason a person understands."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PreparedPicture(ContentFile):
    """
    A file made by the gate: stored as it is, never judged twice (images/fields.py).

    `metadata` is the record the metadata policy keeps (images/metadata.py), for the row.
    """

    def __init__(self, content: bytes, name: str, metadata: dict | None = None) -> None:
        super().__init__(content, name=name)
        self.metadata = metadata or {}


def prepare_upload(upload: File, *, credit_defaults: dict | None = None) -> PreparedPicture:
    """
    Check an uploaded file and return the picture to store, or raise UploadRejected.

    Its metadata is read once, before it is re-encoded: the record kept goes with the
    picture, and its credit (the file's, each missing field from `credit_defaults`, the
    owner's) is written into it.

    Limits hold before any work: bytes before Pillow opens the file, the structure (scans,
    metadata segments, coded sizes) before Pillow opens it, pixels (read from the header)
    before they are decoded, and a CPU and memory budget from that pixel count while it is
    decoded and re-encoded. The whole image is decoded once, so a truncated or damaged file
    is refused here rather than failing later in a browser.

    Nothing else escapes: any other error while judging a file refuses it as damaged or
    unsupported, and is logged with its traceback.
    """
    try:
        return _prepare(upload, credit_defaults)
    except UploadRejected:
        raise
    except Exception:
        logger.warning("Refused %r: judging it failed", upload.name, exc_info=True)
        raise UploadRejected(DAMAGED_OR_UNSUPPORTED) from None


def _prepare(upload: File, credit_defaults: dict | None) -> PreparedPicture:
    if upload.size == 0:
        raise UploadRejected("empty file")
    if upload.size > settings.PORTFOLIO_UPLOAD_MAX_BYTES:
        raise UploadRejected(too_large_reason())

    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    reason = structure.refusal_reason(data)
    if reason:
        raise UploadRejected(reason)
    # Decoding is C code that no thread can stop: it runs in a child process with a budget.
    budget = sandbox.Budget.from_settings()
    max_pixels = settings.PORTFOLIO_UPLOAD_MAX_PIXELS
    try:
        return sandbox.run_bounded(_judge, data, max_pixels, credit_defaults, budget=budget)
    except sandbox.Stopped as stopped:
        raise UploadRejected(stopped.reason) from None


def _judge(data: bytes, max_pixels: int, credit_defaults: dict | None) -> PreparedPicture:
    """In the child process: open, check and decode the file, then re-encode it."""
    Image.MAX_IMAGE_PIXELS = max_pixels
    image = _open(io.BytesIO(data), data[:512], max_pixels)
    try:
        # Read under the same budget, before _normalise drops everything the file carried.
        metadata = read_metadata(image, credit_defaults)
        return _normalise(image, metadata)
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


def _open(upload: io.BytesIO, header: bytes, max_pixels: int) -> Image.Image:
    """Open with the accepted formats only, check the pixel count, then decode everything."""
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
    sandbox.allow(width * height, image.format)
    try:
        image.load()
    except Exception as error:
        image.close()
        if sandbox.out_of_memory(error):
            raise UploadRejected(sandbox.TOO_MUCH_MEMORY) from None
        raise UploadRejected("the file is damaged or incomplete") from None
    if image.size != (width, height):
        # A decoder that found another size than the header's: the budget was for the header.
        image.close()
        raise UploadRejected("the file is damaged or incomplete")
    return image


def _normalise(image: Image.Image, metadata: dict) -> PreparedPicture:
    """
    Re-encode the first frame, upright, keeping only a clean colour profile and the credit.

    Re-encoding from decoded pixels means what we store is only a picture: nothing
    that rode along in the original (EXIF with GPS, XMP, comments, trailing bytes) survives.
    The credit is a packet of our own (images/metadata.py), made from the record.
    """
    stored_format = STORED_FORMATS[image.format]
    transparency = image.info.get("transparency")
    save_options: dict = {}

    upright = _upright(image)
    icc_profile = None
    if (original_profile := image.info.get("icc_profile")) and stored_format != "GIF":
        # Rebuilt from its colour tags alone, or applied to the pixels (images/icc.py).
        icc_profile = kept_profile(original_profile)
        if icc_profile is None:
            upright = to_srgb(upright, original_profile)
    upright.info = {}

    if image.format in ("JPEG", "MPO") and upright.mode == image.mode:
        # The original's quantisation tables and subsampling keep its quality and size.
        save_options["qtables"] = image.quantization
        sampling = JpegImagePlugin.get_sampling(image)
        if sampling != -1:
            save_options["subsampling"] = sampling
    elif stored_format == "JPEG":
        save_options["quality"] = 90

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
        # Speed 9, not Pillow's 6: a sixth of the CPU time for the same size (12 MP: 1.6 s
        # against 8.9 s), so the budget holds big files.
        save_options.update(quality=85, speed=9)
    elif stored_format == "PNG":
        # zlib's fastest level: a 15 MP photo exported as PNG re-encodes in 1.1 s instead of
        # 4.6 s at the default level (bench figure 6), for a file about 10 % larger.
        save_options["compress_level"] = 1
    if icc_profile and stored_format != "GIF":
        save_options["icc_profile"] = icc_profile
    if transparency is not None and stored_format in ("PNG", "GIF"):
        save_options["transparency"] = transparency

    save_options.update(xmp.save_options(stored_format, credit_xmp(metadata.get("credit", {}))))

    buffer = io.BytesIO()
    upright.save(buffer, format=stored_format, **save_options)
    return PreparedPicture(
        buffer.getvalue(), name=f"picture{EXTENSIONS[stored_format]}", metadata=metadata
    )


def _upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation says; itself when it needs no turning."""
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:
        # A damaged EXIF block raises anything from SyntaxError to struct.error: upright.
        return image
    method = _UPRIGHT.get(orientation) if isinstance(orientation, int) else None
    return image.transpose(method) if method is not None else image


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
