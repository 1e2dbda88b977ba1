"""
The metadata policy: one record per picture, read once by the gate from the file as it came.

- Never kept: GPS and every position tag, camera and lens serial numbers, maker notes (owner
  names and serials live there: never parsed), the embedded thumbnail, and everything else
  the file carried. Only the facts below are read, and only they leave this module.
- Kept on the row (`camera`), shown only where the owner turns it on: make and model, lens,
  focal length, aperture, exposure time, ISO, capture date.
- Kept in the files visitors download (`credit`): creator, copyright notice, credit line and
  web statement of rights (IPTC Core, in XMP), from the file or the owner's defaults, written
  as a packet of our own (credit_xmp, images/xmp.py), never the upload's; creator and
  copyright also in EXIF (credit_exif).

Bounded: EXIF and XMP larger than their limits are not read, XML with a DTD is not parsed,
and every string is cut short. Damaged metadata is simply not kept: reading it never refuses
a picture.
"""

import logging
import math
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime
from urllib.parse import urlsplit

from PIL import ExifTags, Image

from portfolio.images import xmp

# A JPEG's EXIF is one 64 KB segment; a phone's HEIC carries about 40 KB. Beyond this a
# block is not read at all (its maker notes alone could be anything).
EXIF_MAX_BYTES = 256 * 1024
IPTC_MAX_BYTES = 256 * 1024
TEXT_MAX_CHARS = 200
CREDIT_MAX_CHARS = 500

CREDIT_FIELDS = ("creator", "copyright_notice", "credit_line", "rights_url")
# The credit in IPTC IIM (record 2), which older tools write in a JPEG's APP13.
_IIM_CREDIT = {80: "creator", 116: "copyright_notice", 110: "credit_line"}
# Maker names as cameras write them, as people read them.
_MAKERS = {
    "CANON": "Canon",
    "FUJIFILM": "Fujifilm",
    "HASSELBLAD": "Hasselblad",
    "LEICA": "Leica",
    "NIKON": "Nikon",
    "OLYMPUS": "Olympus",
    "OM": "OM System",
    "PANASONIC": "Panasonic",
    "PENTAX": "Pentax",
    "RICOH": "Ricoh",
    "SAMSUNG": "Samsung",
    "SIGMA": "Sigma",
    "SONY": "Sony",
}

logger = logging.getLogger(__name__)


def read_metadata(image: Image.Image, credit_defaults: Mapping[str, str] | None = None) -> dict:
    """
    The record kept for a picture, from an opened upload: {"camera": {…}, "credit": {…}},
    a part left out when empty. Each credit field the file lacks comes from `credit_defaults`.
    """
    record = {}
    if camera := _read_safely(_camera, image):
        record["camera"] = camera
    credit = _read_safely(_file_credit, image)
    for name, value in clean_credit(credit_defaults or {}).items():
        credit.setdefault(name, value)
    if credit:
        record["credit"] = {name: credit[name] for name in CREDIT_FIELDS if name in credit}
    return record


def credit_xmp(credit: Mapping[str, str]) -> bytes | None:
    """An XMP packet carrying the credit fields alone, or None when there are none."""
    credit = clean_credit(credit)
    return xmp.credit_packet(credit) if credit else None


def credit_exif(credit: Mapping[str, str]) -> Image.Exif:
    """EXIF carrying the creator and copyright notice (Artist, Copyright) alone."""
    exif = Image.Exif()
    # As UTF-8 bytes: Pillow would write a text's other characters as "?".
    if creator := credit.get("creator"):
        exif[ExifTags.Base.Artist] = creator.encode()
    if notice := credit.get("copyright_notice"):
        exif[ExifTags.Base.Copyright] = notice.encode()
    return exif


def read_credit_xmp(packet: bytes | str) -> dict[str, str]:
    """The credit fields an XMP packet carries, cleaned; {} for a packet too large or damaged."""
    return clean_credit(_read_safely(xmp.read_credit, packet))


def camera_line(camera: Mapping) -> str:
    """The camera facts as one caption line: "Fujifilm X-T5 · XF35mmF1.4 R · 35 mm · ƒ/2 · …"."""
    parts = []
    if body := _camera_name(camera.get("make", ""), camera.get("model", "")):
        parts.append(body)
    if lens := camera.get("lens"):
        parts.append(lens)
    if focal_length := camera.get("focal_length"):
        parts.append(f"{_number(focal_length)} mm")
    if aperture := camera.get("aperture"):
        parts.append(f"ƒ/{_number(aperture)}")
    if exposure_time := camera.get("exposure_time"):
        parts.append(_exposure(exposure_time))
    if iso := camera.get("iso"):
        parts.append(f"ISO {iso}")
    if captured := camera.get("captured"):
        try:
            moment = datetime.fromisoformat(captured)
        except (TypeError, ValueError):
            pass
        else:
            parts.append(f"{moment.day} {moment:%B %Y}")
    return " · ".join(parts)


def _read_safely(read: Callable, source) -> dict:
    try:
        return read(source)
    except Exception:
        # Metadata is damaged in every way a parser can raise: not kept, the picture is.
        logger.info("Metadata not kept: reading it failed", exc_info=True)
        return {}


def _camera(image: Image.Image) -> dict:
    if len(image.info.get("exif") or b"") > EXIF_MAX_BYTES:
        return {}
    exif = image.getexif()
    # Only the Exif sub-IFD is opened: never the GPS one, never the maker notes.
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    facts = {
        "make": _text(exif.get(ExifTags.Base.Make)),
        "model": _text(exif.get(ExifTags.Base.Model)),
        "lens": _text(exif_ifd.get(ExifTags.Base.LensModel)),
        "focal_length": _positive(exif_ifd.get(ExifTags.Base.FocalLength), 10_000),
        "aperture": _positive(exif_ifd.get(ExifTags.Base.FNumber), 1_000),
        "exposure_time": _positive(exif_ifd.get(ExifTags.Base.ExposureTime), 100_000),
        "iso": _iso(exif_ifd.get(ExifTags.Base.ISOSpeedRatings)),
        "captured": _capture_date(exif_ifd.get(ExifTags.Base.DateTimeOriginal)),
    }
    return {name: value for name, value in facts.items() if value}


def _file_credit(image: Image.Image) -> dict:
    """The file's credit: XMP first (IPTC's and MWG's preference), then IIM, then EXIF."""
    credit = {}
    for source in (_image_xmp_credit, _iim_credit, _exif_credit):
        for name, value in _read_safely(source, image).items():
            credit.setdefault(name, value)
    return credit


def _image_xmp_credit(image: Image.Image) -> dict[str, str]:
    return clean_credit(xmp.read_credit(image.info.get("xmp") or b""))


def _iim_credit(image: Image.Image) -> dict[str, str]:
    photoshop = image.info.get("photoshop")
    data = photoshop.get(0x0404) if isinstance(photoshop, dict) else None
    if not data or len(data) > IPTC_MAX_BYTES:
        return {}
    values: dict[str, list[str]] = {}
    position = 0
    while position + 5 <= len(data) and data[position] == 0x1C:
        record, dataset = data[position + 1], data[position + 2]
        length = int.from_bytes(data[position + 3 : position + 5])
        if length & 0x8000:
            break  # An extended length: only for large binary data, never for these fields.
        value = data[position + 5 : position + 5 + length]
        position += 5 + length
        if record == 2 and (name := _IIM_CREDIT.get(dataset)):
            values.setdefault(name, []).append(_decoded(value))
    return clean_credit({name: ", ".join(texts) for name, texts in values.items()})


def _exif_credit(image: Image.Image) -> dict[str, str]:
    if len(image.info.get("exif") or b"") > EXIF_MAX_BYTES:
        return {}
    exif = image.getexif()
    # EXIF's Copyright may hold the photographer's and the editor's, separated by a NUL.
    copyright_notice = _exif_text(exif.get(ExifTags.Base.Copyright))
    copyright_notice = (_text(copyright_notice, CREDIT_MAX_CHARS) or "").strip()
    return clean_credit(
        {
            "creator": _exif_text(exif.get(ExifTags.Base.Artist)),
            "copyright_notice": copyright_notice,
        }
    )


def _exif_text(value):
    """EXIF text as cameras and phones write it, in UTF-8, which Pillow reads as Latin-1."""
    if isinstance(value, str):
        try:
            return value.encode("latin-1").decode()
        except UnicodeError:
            return value
    return value


def clean_credit(credit: Mapping) -> dict[str, str]:
    """The credit fields worth keeping, as clean text; a rights URL only if it is http(s)."""
    cleaned = {}
    for name in CREDIT_FIELDS:
        value = _text(credit.get(name), CREDIT_MAX_CHARS)
        if value and name == "rights_url" and not _is_web_address(value):
            value = None
        if value:
            cleaned[name] = value
    return cleaned


def _is_web_address(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def _text(value, max_chars: int = TEXT_MAX_CHARS) -> str | None:
    """Printable text, whitespace collapsed, cut at max_chars; None for anything else."""
    if isinstance(value, bytes):
        value = _decoded(value)
    if not isinstance(value, str):
        return None
    value = value.split("\x00", 1)[0]
    value = "".join(
        " " if character.isspace() else character
        for character in unicodedata.normalize("NFC", value)
        if character.isspace() or unicodedata.category(character)[0] != "C"
    )
    value = " ".join(value.split())
    return value[:max_chars] or None


def _decoded(value: bytes) -> str:
    try:
        return value.decode()
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _positive(value, maximum: float) -> float | None:
    """A rational as a float, if it is a real, positive number up to `maximum`."""
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return round(number, 6) if math.isfinite(number) and 0 < number <= maximum else None


def _iso(value) -> int | None:
    if isinstance(value, tuple):
        value = value[0] if value else None
    return value if isinstance(value, int) and 0 < value <= 10_000_000 else None


def _capture_date(value) -> str | None:
    text = _text(value)
    try:
        return datetime.strptime(text or "", "%Y:%m:%d %H:%M:%S").isoformat()
    except ValueError:
        return None


def _camera_name(make: str, model: str) -> str:
    """ "FUJIFILM", "X-T5": "Fujifilm X-T5"; "NIKON CORPORATION", "NIKON Z 6": "Nikon Z 6"."""
    words = make.split()
    if not words:
        return model
    if model.lower().startswith(f"{words[0].lower()} "):
        model = model[len(words[0]) :].strip()
    return f"{_MAKERS.get(words[0].upper(), make)} {model}".strip()


def _number(value: float) -> str:
    return f"{round(value, 1):g}"


def _exposure(seconds: float) -> str:
    # As cameras show it: fractions up to 1/4, then tenths ("0.3 s", "0.8 s", "2 s").
    if seconds < 0.3:
        return f"1/{round(1 / seconds)} s"
    return f"{_number(seconds)} s"
