"""
The gate every picture's file passes: decide whether a file is a picture we accept, by its
content alone, and record what the site needs to know of it. The file stored is the upload,
byte for byte; what leaves the site is decided by the metadata policy (images/originals.py).
"""

import io
import logging

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from PIL import Image

from portfolio.images import sandbox, structure
from portfolio.images.metadata import credit_xmp, read_metadata
from portfolio.images.pixels import display_size, orientation
from portfolio.images.renditions import Derivatives, derive, parse_spec, plan_decode

# Pillow's format names. Only these plugins ever look at an upload's bytes.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "AVIF", "HEIF")
ACCEPTED_FORMATS_TEXT = "JPEG, PNG, WebP, GIF, AVIF or HEIC"

# The stored file's extension by Pillow's format name: the upload is stored as it came.
EXTENSIONS = {
    "JPEG": ".jpg",
    # A multi-picture JPEG (stereo cameras, some phones) is a JPEG to every viewer.
    "MPO": ".jpg",
    "PNG": ".png",
    "WEBP": ".webp",
    "GIF": ".gif",
    "AVIF": ".avif",
    "HEIF": ".heic",
}
DAMAGED_OR_UNSUPPORTED = "the file is damaged or unsupported"

logger = logging.getLogger(__name__)


class UploadRejected(Exception):
    """An upload we refuse, with a reason a person understands."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PreparedPicture(ContentFile):
    """
    A file the gate has judged: the upload's bytes, stored as they are, never judged twice
    (images/fields.py).

    `metadata` is the record the metadata policy keeps (images/metadata.py), for the row, with
    the facts the site needs of the file under "file": its format, its size as shown
    (`width`, `height`, orientation applied), its EXIF orientation and its colours.
    """

    def __init__(
        self,
        content: bytes,
        name: str,
        metadata: dict | None = None,
        derivatives: Derivatives | None = None,
        rendition_spec: str = "",
    ) -> None:
        super().__init__(content, name=name)
        self.metadata = metadata or {}
        # Made from the judging's own decode, for `rendition_spec` (tasks.py stores them).
        self.derivatives, self.rendition_spec = derivatives, rendition_spec

    @property
    def display_size(self) -> tuple[int, int]:
        facts = self.metadata.get("file", {})
        return facts.get("width", 0), facts.get("height", 0)


def prepare_upload(
    upload: File, *, credit_defaults: dict | None = None, rendition_spec: str = ""
) -> PreparedPicture:
    """
    Check an uploaded file and return the picture to store (its own bytes), or raise
    UploadRejected.

    Its metadata is read once: the record kept goes with the picture, its credit (the
    file's, each missing field from `credit_defaults`, the owner's) with it, written into
    every file that leaves the site.

    Limits hold before any work: bytes before Pillow opens the file, the structure (scans,
    metadata segments, coded sizes) before Pillow opens it, pixels (read from the header)
    before they are decoded, and a CPU and memory budget from that pixel count while it is
    decoded. The whole image is decoded once, so a truncated or damaged file
    is refused here rather than failing later in a browser.

    With a `rendition_spec`, the decode that judges the file also makes its renditions, card,
    placeholder and web size (images/renditions.py), under a budget of their own: a JPEG is
    then decoded at the scale the largest rendition needs (draft), which reads every scan all
    the same.

    Nothing else escapes: any other error while judging a file refuses it as damaged or
    unsupported, and is logged with its traceback.
    """
    try:
        return _prepare(upload, credit_defaults, rendition_spec)
    except UploadRejected:
        raise
    except Exception:
        logger.warning("Refused %r: judging it failed", upload.name, exc_info=True)
        raise UploadRejected(DAMAGED_OR_UNSUPPORTED) from None


def _prepare(upload: File, credit_defaults: dict | None, rendition_spec: str) -> PreparedPicture:
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
        name, metadata, derivatives = sandbox.run_bounded(
            _judge, data, max_pixels, credit_defaults, rendition_spec, budget=budget
        )
    except sandbox.Stopped as stopped:
        raise UploadRejected(stopped.reason) from None
    return PreparedPicture(data, name, metadata, derivatives, rendition_spec)


def start_judge() -> None:
    """Have a judge process ready before the first upload (servers call it: wsgi.py, asgi.py)."""
    sandbox.start_spare_judge(_judge.__module__)


def _judge(
    data: bytes, max_pixels: int, credit_defaults: dict | None, rendition_spec: str = ""
) -> tuple[str, dict, Derivatives | None]:
    """
    In the child process: open, check and decode the file, record what it is, and make its
    renditions from that decode when asked. What it found goes back, not the bytes it was
    given (the caller has them: 7.5 MB back through two pipes cost 43 ms a 24-MP JPEG).
    """
    Image.MAX_IMAGE_PIXELS = max_pixels
    image, facts, sizes = _open(io.BytesIO(data), data[:512], max_pixels, rendition_spec)
    try:
        metadata = read_metadata(image, credit_defaults)
        metadata["file"] = facts
        name = f"picture{EXTENSIONS[image.format]}"
        if not rendition_spec:
            return name, metadata, None
        # The renditions' own budget, counted afresh from here.
        sandbox.allow(facts["width"] * facts["height"], image.format)
        credit = metadata.get("credit", {})
        derivatives = derive(
            image,
            sizes,
            parse_spec(rendition_spec)[0],
            (0.5, 0.5),  # A new picture's focal point.
            credit_xmp(credit),
            credit,
        )
        return name, metadata, derivatives
    finally:
        image.close()


def _facts(image: Image.Image) -> dict:
    """What the site needs of a stored file without opening it again: format, size, colours."""
    width, height = display_size(image)
    return {
        "format": image.format,
        "width": width,
        "height": height,
        "orientation": orientation(image),
        "mode": image.mode,
        "icc_profile": bool(image.info.get("icc_profile")),
    }


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


def _open(
    upload: io.BytesIO, header: bytes, max_pixels: int, rendition_spec: str = ""
) -> tuple[Image.Image, dict, list]:
    """
    Open with the accepted formats only, check the pixel count, then decode everything: the
    image, its facts, and the sizes of its renditions when a spec is given (a JPEG is then
    decoded at the scale they need).
    """
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
    facts = _facts(image)
    sizes = []
    if rendition_spec:
        image_format, widths = parse_spec(rendition_spec)
        sizes = plan_decode(image, widths, image_format)
    expected_size = image.size  # The header's, or the scale the decoder was asked for.
    try:
        image.load()
    except Exception as error:
        image.close()
        if sandbox.out_of_memory(error):
            raise UploadRejected(sandbox.TOO_MUCH_MEMORY) from None
        raise UploadRejected("the file is damaged or incomplete") from None
    if image.size != expected_size:
        # A decoder that found another size than the header's: the budget was for the header.
        image.close()
        raise UploadRejected("the file is damaged or incomplete")
    return image, facts, sizes


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
