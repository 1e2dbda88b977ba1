"""
Colour profiles: keep what an ICC profile says about colour, and nothing else.

A profile is kept only rebuilt from its colour tags (primaries, white point, tone curves),
under its well-known name (Display P3, Adobe RGB…) or a neutral one: whatever else rode
along (text, HTML, a 16 MB blob) never reaches what visitors download. A profile we cannot
rebuild (too large, not a matrix profile such as a printer's CMYK one) is None here: the
caller decides (images/originals.py keeps the upload's own if it parses; renditions are
converted to sRGB by images/pixels.py).
"""

import io
import itertools
import struct

from PIL import ImageCms

# Display profiles are a few hundred bytes to a few KB; 64 KB leaves room for long curves.
MAX_PROFILE_BYTES = 64 * 1024
MAX_CURVE_POINTS = 4096
# The names a kept profile may carry: the common working spaces. Any other description is
# replaced, so no text of the upload's (a link, a message) rides along in what is stored.
KNOWN_DESCRIPTIONS = (
    "sRGB IEC61966-2.1",
    "sRGB",
    "Display P3",
    "DCI-P3",
    "Adobe RGB (1998)",
    "ProPhoto RGB",
    "ROMM RGB",
    "eciRGB v2",
    "Rec. 2020",
    "ITU-R BT.2020",
    "Generic Gray Gamma 2.2 Profile",
    "Gray Gamma 2.2",
    "Dot Gain 20%",
)

_HEADER_BYTES = 128
# The tags a matrix/TRC profile needs, by colour space; "chad" is kept when present.
_COLOUR_TAGS = {
    b"RGB ": (b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC", b"gTRC", b"bTRC", b"wtpt"),
    b"GRAY": (b"kTRC", b"wtpt"),
}
_OPTIONAL_TAGS = (b"chad",)
_DEVICE_CLASSES = (b"mntr", b"scnr", b"spac")
# The PCS illuminant every ICC profile declares: D50, in s15Fixed16.
_D50 = struct.pack(">3i", 0xF6D6, 0x10000, 0xD32D)
# Parametric curves: parameters per function type.
_PARAMETRIC_COUNTS = {0: 1, 1: 3, 2: 4, 3: 5, 4: 7}


def kept_profile(data: bytes) -> bytes | None:
    """The profile rebuilt from its colour tags, or None when it cannot be kept."""
    if len(data) > MAX_PROFILE_BYTES:
        return None
    try:
        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(data)))
        rebuilt = _rebuild(data, _safe_description(description))
        # What we wrote must parse too, or it is not worth storing.
        ImageCms.ImageCmsProfile(io.BytesIO(rebuilt))
    except (ImageCms.PyCMSError, OSError, ValueError, struct.error):
        return None
    return rebuilt


def _rebuild(data: bytes, description: str) -> bytes:
    if len(data) < _HEADER_BYTES + 4 or data[36:40] != b"acsp":
        raise ValueError("not an ICC profile")
    version, device_class, colour_space, connection_space = struct.unpack_from(
        ">4s4s4s4s", data, 8
    )
    if colour_space not in _COLOUR_TAGS or connection_space != b"XYZ ":
        raise ValueError("not a matrix/TRC profile")
    directory = _tag_directory(data)
    if not all(tag in directory for tag in _COLOUR_TAGS[colour_space]):
        raise ValueError("not a matrix/TRC profile")
    wanted = _COLOUR_TAGS[colour_space] + tuple(tag for tag in _OPTIONAL_TAGS if tag in directory)
    tags = [(signature, _clean_tag(signature, directory[signature])) for signature in wanted]
    tags.append((b"desc", _description_tag(description, version_major=version[0])))

    header_size = _HEADER_BYTES + 4 + 12 * len(tags)
    entries, body, offset = [], b"", header_size
    for signature, tag in tags:
        entries.append(struct.pack(">4sII", signature, offset, len(tag)))
        padded = tag + b"\0" * (-len(tag) % 4)
        body += padded
        offset += len(padded)
    intent = struct.unpack_from(">I", data, 64)[0]
    header = (
        struct.pack(">I4x4s", offset, version[:2] + b"\0\0")
        + (device_class if device_class in _DEVICE_CLASSES else b"mntr")
        + colour_space
        + connection_space
        + b"\0" * 12  # date
        + b"acsp"
        + b"\0" * 24  # platform, flags, maker, model, attributes
        + struct.pack(">I", intent if intent <= 3 else 0)
        + _D50
        + b"\0" * 48  # creator, profile id, reserved
    )
    return header + struct.pack(">I", len(tags)) + b"".join(entries) + body


def _tag_directory(data: bytes) -> dict[bytes, bytes]:
    (count,) = struct.unpack_from(">I", data, _HEADER_BYTES)
    if count > 100:
        raise ValueError("too many tags")
    directory = {}
    for index in range(count):
        signature, offset, size = struct.unpack_from(">4sII", data, _HEADER_BYTES + 4 + 12 * index)
        if offset + size > len(data) or size < 8:
            raise ValueError("a tag outside the profile")
        directory[signature] = data[offset : offset + size]
    return directory


def _clean_tag(signature: bytes, tag: bytes) -> bytes:
    """The tag re-encoded from the numbers it holds: nothing beyond them is copied."""
    kind = tag[:4]
    if signature.endswith(b"XYZ") or signature == b"wtpt":
        if kind != b"XYZ ":
            raise ValueError("an XYZ tag of another type")
        return b"XYZ \0\0\0\0" + struct.pack(">3i", *struct.unpack_from(">3i", tag, 8))
    if signature == b"chad":
        if kind != b"sf32":
            raise ValueError("an adaptation matrix of another type")
        return b"sf32\0\0\0\0" + struct.pack(">9i", *struct.unpack_from(">9i", tag, 8))
    if kind == b"curv":
        (count,) = struct.unpack_from(">I", tag, 8)
        if count > MAX_CURVE_POINTS:
            raise ValueError("too long a curve")
        points = struct.unpack_from(f">{count}H", tag, 12)
        if any(later < earlier for earlier, later in itertools.pairwise(points)):
            raise ValueError("a tone curve that is not monotonic")
        return b"curv\0\0\0\0" + struct.pack(f">I{count}H", count, *points)
    if kind == b"para":
        (function,) = struct.unpack_from(">H", tag, 8)
        if function not in _PARAMETRIC_COUNTS:
            raise ValueError("an unknown parametric curve")
        count = _PARAMETRIC_COUNTS[function]
        parameters = struct.unpack_from(f">{count}i", tag, 12)
        return b"para\0\0\0\0" + struct.pack(f">H2x{count}i", function, *parameters)
    raise ValueError("a tone curve of another type")


def _description_tag(description: str, *, version_major: int) -> bytes:
    text = description.encode("ascii")
    if version_major >= 4:
        # multiLocalizedUnicodeType: one record, en-US.
        utf16 = description.encode("utf-16-be")
        return (
            b"mluc\0\0\0\0" + struct.pack(">II2s2sII", 1, 12, b"en", b"US", len(utf16), 28) + utf16
        )
    # textDescriptionType: the ASCII text, then empty Unicode and ScriptCode parts.
    return (
        b"desc\0\0\0\0"
        + struct.pack(">I", len(text) + 1)
        + text
        + b"\0"
        + struct.pack(">IIHB", 0, 0, 0, 0)
        + b"\0" * 67
    )


def _safe_description(description: str) -> str:
    """The well-known name the description starts with, else a neutral one: never its text."""
    folded = description.casefold().strip()
    for name in KNOWN_DESCRIPTIONS:
        if folded.startswith(name.casefold()):
            return name
    return "Colour profile"
