"""What every derivative of a picture starts from: upright, sRGB, 8-bit pixels."""

import io
from concurrent.futures import Executor

from PIL import ExifTags, Image, ImageCms

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


def display_size(image: Image.Image) -> tuple[int, int]:
    """The size once EXIF orientation is applied (5 to 8 swap the axes)."""
    if orientation(image) in (5, 6, 7, 8):
        return image.height, image.width
    return image.width, image.height


def orientation(image: Image.Image) -> int:
    """The EXIF orientation, 1 to 8; 1 (as it is) when it is missing or damaged."""
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:
        # A damaged EXIF block raises anything from SyntaxError to struct.error: upright.
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation, without copying an image that needs none."""
    method = _UPRIGHT.get(orientation(image))
    return image.transpose(method) if method is not None else image


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def to_srgb(image: Image.Image) -> Image.Image:
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


def to_8_bit_rgb(image: Image.Image) -> Image.Image:
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


# Output rows resized at a time (two bands at once): Lanczos keeps a whole intermediate
# image otherwise.
RESIZE_BAND_ROWS = 128


def resize(
    image: Image.Image,
    size: tuple[int, int],
    threads: Executor | None = None,
    resample: Image.Resampling = Image.Resampling.LANCZOS,
) -> Image.Image:
    """
    Lanczos (or `resample`), with a fast integer box reduction first when shrinking more
    than 3x (reducing_gap), in bands of rows so the intermediate buffer stays a band; the
    bands on `threads` if given. The image itself if it has that size.

    Each band reads the source rows around it too (box only places it): seamless.
    """
    if image.size == size:
        return image
    width, height = size
    if height <= RESIZE_BAND_ROWS:
        return image.resize(size, resample, reducing_gap=3.0)
    scale = image.height / height

    def band(top: int) -> Image.Image:
        bottom = min(height, top + RESIZE_BAND_ROWS)
        box = (0, top * scale, image.width, bottom * scale)
        return image.resize((width, bottom - top), resample, box=box)

    tops = range(0, height, RESIZE_BAND_ROWS)
    result = Image.new(image.mode, size)
    for top, resized in zip(tops, (threads.map if threads else map)(band, tops), strict=True):
        result.paste(resized, (0, top))
    return result
