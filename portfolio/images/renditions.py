"""
Renditions: the responsive sizes made once per picture, after its upload commits, and
from the same decode its placeholder and its link-preview card.

A picture gets a few widths (settings.PORTFOLIO_RENDITION_WIDTHS) in
settings.PORTFOLIO_RENDITION_FORMAT, stored beside its original as
<stem>_w<width>.<format>. Never upscaled: a picture narrower than a configured
width gets the widths below its own, plus its own width as the largest, so
every picture has at least one rendition and the largest always shows it at
full resolution. No side goes beyond what the format can hold (a very long
picture is shrunk further, keeping its aspect ratio). Orientation is applied,
colours are converted to 8-bit sRGB and no metadata (EXIF, XMP, ICC) is written but the
picture's credit when the caller gives it: as XMP, and in the web size also in EXIF.
Beside them: <stem>_card.jpg, a 1200 × 630 JPEG cropped around the picture's focal
point (images/cards.py; smaller, never upscaled, for a small picture), <stem>_web.jpg, the
"web size" download (a JPEG 2048 px on its long edge, sRGB, with the credit), and a
placeholder, a few characters stored on the row (images/placeholders.py).

The stored file is the upload as it came: it is decoded in the sandbox (images/sandbox.py),
under the same budget as the gate's judging.

The pipeline, chosen by bench/ (see the README): the JPEG decoder scales by
1/2, 1/4 or 1/8 while decoding (draft) to just above the largest width, the
largest rendition is resized from that on two threads, band by band, and the decode
freed; the largest is encoded on one thread while the smaller ones are resized, each
from the one above, and encoded on the other (Pillow releases the GIL in both). The
card and the web size come from the largest rendition, the placeholder from the
smallest. Peak memory stays near one reduced decode, not a 24-megapixel one.

What happens to the files around a picture's life (made, recorded, deleted) is in
portfolio/tasks.py: this module only turns a stored image into stored files.
"""

import contextlib
import ctypes
import ctypes.util
import functools
import io
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from PIL import Image

from portfolio.images import sandbox
from portfolio.images.cards import card_size, make_card
from portfolio.images.metadata import credit_exif
from portfolio.images.pixels import (
    DEEP_GREY_MODES,
    display_size,
    resize,
    to_8_bit_rgb,
    to_srgb,
    upright,
)
from portfolio.images.placeholders import make_placeholder


@dataclass(frozen=True)
class RenditionFormat:
    pillow_format: str
    extension: str
    # The longest side a rendition may have: WebP's own limit; for AVIF, well within the
    # 32,768 px libavif decodes by default.
    max_side: int
    encoder_options: dict = field(default_factory=dict)
    # From this width on, these options override the others: the widest renditions cost the
    # most to encode (docs/images.md has the bytes and seconds).
    wide_from: int = 0
    wide_options: dict = field(default_factory=dict)

    def options_for(self, width: int) -> dict:
        if self.wide_from and width >= self.wide_from:
            return {**self.encoder_options, **self.wide_options}
        return self.encoder_options


RENDITION_FORMATS = {
    # WebP's method 0 at 960 px and wider: a third to a fifth of method 4's time, 1 to 3 %
    # fewer bytes, 0.3 dB less PSNR (docs/images.md).
    "webp": RenditionFormat(
        "WEBP", "webp", 16383, {"quality": 80, "method": 4}, 960, {"method": 0}
    ),
    "avif": RenditionFormat("AVIF", "avif", 16384, {"quality": 60, "speed": 8}),
}


# Each size is made from the one above it (the largest from the decode): bicubic, two thirds
# of Lanczos's time, 40 to 47 dB PSNR against Lanczos from the full decode (docs/images.md).
CHAIN_FILTER = Image.Resampling.BICUBIC

# Written after the widths in a spec: what the pass makes besides the renditions.
DERIVATIVES_SPEC = "card placeholder web2048"
# The "web size" download: what print labs and every program take.
WEB_SIZE_LONG_EDGE = 2048
WEB_SIZE_QUALITY = 90


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    data: bytes


@dataclass(frozen=True)
class Derivatives:
    """What one decode of a picture gives: its renditions, smallest first, card, placeholder
    and web size."""

    renditions: list[Rendition]
    card: Rendition | None = None
    placeholder: str = ""
    web_size: Rendition | None = None


@dataclass(frozen=True)
class StoredDerivatives:
    """Where store_renditions wrote them: rendition records, the card's and web size's names,
    the placeholder."""

    renditions: list[dict]
    card: str
    placeholder: str
    web_size: str = ""


def rendition_spec() -> str:
    """
    What the current settings ask for, e.g. "webp 480 960 1600 card placeholder web2048": stored
    with renditions, so a change of settings (or of what a pass makes) marks them outdated.
    """
    image_format = settings.PORTFOLIO_RENDITION_FORMAT
    if image_format not in RENDITION_FORMATS:
        raise ValueError(f"PORTFOLIO_RENDITION_FORMAT must be one of {sorted(RENDITION_FORMATS)}.")
    widths = sorted({int(width) for width in settings.PORTFOLIO_RENDITION_WIDTHS})
    return " ".join([image_format, *map(str, widths), DERIVATIVES_SPEC])


def store_renditions(
    source: Storage,
    name: str,
    spec: str,
    into: Storage,
    focal_point: tuple[float, float] | None = (0.5, 0.5),
    xmp: bytes | None = None,
    credit: dict | None = None,
) -> StoredDerivatives:
    """
    Make the renditions, card, web size and placeholder of the image `name` stored in
    `source` for `spec`, in the sandbox; write the files in `into`, under names beside its own.
    Without a focal point, the renditions alone.

    Rendition records come smallest first: {"width", "height", "name"}. A file already at
    one of their names (an earlier run) is replaced; if writing fails, none is left. Each
    file carries `xmp`, the picture's credit (images/metadata.py), when given; the web size
    also its creator and copyright in EXIF, from `credit`.
    """
    image_format, widths = parse_spec(spec)
    with source.open(name, "rb") as original:
        # The child reads the file itself, on disk (a bucket's object is fetched to a
        # temporary file first: settings' max_memory_size), not through this process.
        derivatives = sandbox.run_bounded(
            _render,
            widths,
            image_format,
            focal_point,
            xmp,
            credit or {},
            budget=sandbox.Budget.from_settings(),
            file=original,
        )
    return save_derivatives(name, spec, derivatives, into)


def save_derivatives(
    name: str, spec: str, derivatives: Derivatives, into: Storage
) -> StoredDerivatives:
    """
    Write what a pass made for the image `name` in `into`, under names beside its own. A file
    already at one of them (an earlier run) is replaced; if writing fails, none is left.
    """
    extension = RENDITION_FORMATS[parse_spec(spec)[0]].extension
    files = [
        (rendition_name(name, rendition.width, extension), rendition)
        for rendition in derivatives.renditions
    ]
    if derivatives.card is not None:
        files.append((card_name(name), derivatives.card))
    if derivatives.web_size is not None:
        files.append((web_size_name(name), derivatives.web_size))
    saved_names = []
    try:
        for target, derivative in files:
            into.delete(target)
            saved_names.append(into.save(target, ContentFile(derivative.data)))
    except Exception:
        delete_renditions(into, saved_names)
        raise
    records = [
        {"width": rendition.width, "height": rendition.height, "name": saved}
        for rendition, saved in zip(derivatives.renditions, saved_names, strict=False)
    ]
    extras = iter(saved_names[len(records) :])
    card = next(extras) if derivatives.card is not None else ""
    web_size = next(extras) if derivatives.web_size is not None else ""
    return StoredDerivatives(records, card, derivatives.placeholder, web_size)


def rendition_name(name: str, width: int, extension: str) -> str:
    """Where the rendition of the stored image `name` at `width` goes: beside it."""
    return f"{PurePosixPath(name).with_suffix('')}_w{width}.{extension}"


def card_name(name: str) -> str:
    """Where the link-preview card of the stored image `name` goes: beside it."""
    return f"{PurePosixPath(name).with_suffix('')}_card.jpg"


def web_size_name(name: str) -> str:
    """Where the web-size download of the stored image `name` goes: beside it."""
    return f"{PurePosixPath(name).with_suffix('')}_web.jpg"


def possible_rendition_names(name: str, width: int, height: int) -> set[str]:
    """
    Every name store_renditions may give the files it makes from `name`, a width × height
    image, under the current settings, whether or not they were recorded on its row.

    Either side may be the displayed width: the stored file's orientation is not known here.
    """
    image_format, widths = parse_spec(rendition_spec())
    rendition_format = RENDITION_FORMATS[image_format]
    return {card_name(name), web_size_name(name)} | {
        rendition_name(name, rendition_width, rendition_format.extension)
        for display_size in {(width, height), (height, width)}
        for rendition_width, _ in rendition_sizes(*display_size, widths, rendition_format.max_side)
    }


def delete_renditions(storage: Storage, names: Iterable[str]) -> None:
    for name in names:
        storage.delete(name)


def render_renditions(
    file, widths: Sequence[int], image_format: str = "webp", xmp: bytes | None = None
) -> list[Rendition]:
    """The renditions alone, smallest first: what a pass cost before cards and placeholders."""
    return _render(file, widths, image_format, None, xmp).renditions


def render_derivatives(
    file,
    widths: Sequence[int],
    image_format: str = "webp",
    focal_point: tuple[float, float] = (0.5, 0.5),
    xmp: bytes | None = None,
    credit: dict | None = None,
) -> Derivatives:
    """
    Decode an image file once: its renditions at rendition_sizes, its card, placeholder and
    web size. In this process: uploads' bytes go through store_renditions, in the sandbox.
    """
    return _render(file, widths, image_format, focal_point, xmp, credit)


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


def parse_spec(spec: str) -> tuple[str, list[int]]:
    image_format, *words = spec.split()
    return image_format, [int(word) for word in words if word.isdigit()]


def _render(
    file,
    widths: Sequence[int],
    image_format: str,
    focal_point: tuple[float, float] | None,
    xmp: bytes | None = None,
    credit: dict | None = None,
) -> Derivatives:
    """The pipeline; with no focal point, the renditions alone."""
    with Image.open(file) as image:
        # The gate judged these bytes: the budget its pixel count gets there holds here.
        sandbox.allow(image.width * image.height, image.format)
        sizes = plan_decode(image, widths, image_format)
        image.load()
        return derive(image, sizes, image_format, focal_point, xmp, credit)


def plan_decode(image: Image.Image, widths: Sequence[int], image_format: str) -> list:
    """
    The rendition sizes of an opened, not yet decoded image, smallest first; a JPEG's decoder
    is asked for the smallest 1/2^n scale that still covers the largest (draft).
    """
    display_width, display_height = display_size(image)
    max_side = RENDITION_FORMATS[image_format].max_side
    sizes = rendition_sizes(display_width, display_height, widths, max_side)
    if image.format in ("JPEG", "MPO"):
        scale = sizes[-1][0] / display_width
        requested = (round(image.width * scale), round(image.height * scale))
        image.draft("RGB", requested)
    return sizes


def derive(
    image: Image.Image,
    sizes: list,
    image_format: str,
    focal_point: tuple[float, float] | None,
    xmp: bytes | None = None,
    credit: dict | None = None,
) -> Derivatives:
    """
    From a decoded image (plan_decode, then load): its renditions at `sizes`, its card,
    placeholder and web size (none of those without a focal point). Closes the image.
    """
    _return_large_buffers_to_the_system()
    rendition_format = RENDITION_FORMATS[image_format]
    frame = to_srgb(upright(image))
    if frame.mode not in DEEP_GREY_MODES or "transparency" in frame.info:
        frame = to_8_bit_rgb(frame)
    if frame is not image:
        image.close()  # Only one full-size copy of the pixels at a time.
    # Nothing of the original's metadata (EXIF, XMP, ICC profile) goes into a rendition:
    # only the credit given, as WebP, AVIF and the card's JPEG hold XMP.
    frame.info.clear()
    xmp_option = {"xmp": xmp} if xmp else {}
    card = None
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="renditions") as threads:
        largest = resize(frame, sizes[-1], threads, CHAIN_FILTER)
        # The card from the largest rendition, unless it is too small and the decode is not.
        full_card = card_size(*frame.size)
        if focal_point is not None and card_size(*largest.size) < full_card:
            card = Rendition(*make_card(frame, focal_point, xmp_option))
        if frame is not largest:
            frame.close()  # Free the decode before anything else: it is the peak.
        largest_data = threads.submit(_encode, largest, rendition_format, xmp_option)
        web_size = None
        if focal_point is not None:
            web_size = threads.submit(_web_size, largest, xmp_option, credit or {})
        # This thread resizes down the chain; the two others encode what it gives them.
        encoding = []
        smaller = card_source = largest
        for size in reversed(sizes[:-1]):
            smaller = resize(smaller, size, resample=CHAIN_FILTER)
            encoding.append((size, threads.submit(_encode, smaller, rendition_format, xmp_option)))
            if card_size(*smaller.size) == full_card:
                card_source = smaller
        # Otherwise from the smallest rendition that still gives the whole card: a 1200 px
        # one is cropped, not resized (docs/images.md).
        if focal_point is not None and card is None:
            card = Rendition(*make_card(card_source, focal_point, xmp_option))
        placeholder = "" if focal_point is None else make_placeholder(to_8_bit_rgb(smaller))
        renditions = [Rendition(*size, data.result()) for size, data in reversed(encoding)]
        renditions.append(Rendition(*sizes[-1], largest_data.result()))
    return Derivatives(renditions, card, placeholder, web_size and web_size.result())


def _web_size(largest: Image.Image, xmp_option: dict, credit: dict) -> Rendition:
    """The web-size download: the largest rendition brought to 2048 px on its long edge."""
    image = to_8_bit_rgb(largest) if largest.mode in DEEP_GREY_MODES else largest
    scale = min(1.0, WEB_SIZE_LONG_EDGE / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if size != image.size:
        image = resize(image, size, resample=CHAIN_FILTER)
    if image.mode == "RGBA":  # JPEG has no transparency: shown over white, as pages show it.
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    image = image.convert("RGB")
    buffer = io.BytesIO()
    exif = credit_exif(credit).tobytes()
    image.save(buffer, format="JPEG", quality=WEB_SIZE_QUALITY, exif=exif, **xmp_option)
    return Rendition(*size, buffer.getvalue())


def _encode(image: Image.Image, rendition_format: RenditionFormat, xmp_option: dict) -> bytes:
    if image.mode in DEEP_GREY_MODES:
        # Resized at its own depth, then made 8 bits: exact, and less to convert.
        image = to_8_bit_rgb(image)
    buffer = io.BytesIO()
    image.save(
        buffer,
        format=rendition_format.pillow_format,
        **rendition_format.options_for(image.width),
        **xmp_option,
    )
    return buffer.getvalue()


# glibc's mallopt parameter, and the size from which every buffer is its own mapping.
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 1 << 20


@functools.cache
def _return_large_buffers_to_the_system() -> None:
    """
    Have glibc map every buffer of 1 MB or more on its own and unmap it when it is freed.

    By default it raises that threshold to the largest buffer freed so far and keeps later
    ones in an arena per thread: with the encoder on a thread of its own, each thread would
    keep a decode's worth of memory it no longer uses (measured in bench/RESULTS.md).
    """
    # Not glibc (musl, macOS): their allocators keep no such arenas to tune.
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(ctypes.util.find_library("c")).mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
