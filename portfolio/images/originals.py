"""
Originals as they leave the site: the stored upload, its metadata rewritten by the policy of
images/metadata.py, its compressed picture data untouched.

- Never: location (EXIF's GPS block, XMP and IPTC location fields: every XMP and IPTC field
  but the credit goes) and serial numbers (body, lens, the maker notes where cameras keep
  theirs: the maker notes go whole), nor the embedded thumbnail or comments.
- Always: the credit (creator, copyright notice, credit line, web statement of rights), in
  XMP, and the creator and copyright in EXIF (Artist, Copyright).
- As the owner's profile says (`camera_details`): the camera, lens, exposure and capture
  date in EXIF. Orientation, resolution and the colour profile always stay: they say how to
  show the pixels.

JPEG, PNG and WebP are rewritten by exiv2 (python-exiv2), which only ever copies the picture
data. exiv2 leaves alone the blocks it does not know (another maker's APPn segment, a PNG
text chunk, a private WebP chunk, bytes after the end), so it is given the picture's blocks
alone, kept by name, to write the policy's metadata into: an MPO leaves as its first picture.
exiv2
cannot write HEIF or AVIF: their Exif and XMP items are overwritten in place, at their own
length (images/isobmff.py finds them), so no offset in the file moves. A GIF keeps only its
pictures and the blocks that say how to play them.

exiv2 is C++ parsing an upload's bytes: the rewrite runs in the sandbox, under a budget.
"""

import dataclasses
import io
import re
from collections.abc import Mapping

from PIL import Image, ImageCms

from portfolio.images import isobmff, sandbox, xmp
from portfolio.images.icc import kept_profile as rebuilt_profile
from portfolio.images.metadata import clean_credit, credit_exif, credit_xmp

# EXIF tags that say how to show the pixels: kept in every original.
DISPLAY_TAGS = frozenset(
    {
        "Exif.Image.Orientation",
        "Exif.Image.XResolution",
        "Exif.Image.YResolution",
        "Exif.Image.ResolutionUnit",
        "Exif.Image.YCbCrPositioning",
        "Exif.Photo.ColorSpace",
        "Exif.Photo.PixelXDimension",
        "Exif.Photo.PixelYDimension",
        "Exif.Photo.ExifVersion",
    }
)
# The camera, lens, exposure and capture date: kept where the owner's profile says so.
CAMERA_TAGS = frozenset(
    {
        "Exif.Image.Make",
        "Exif.Image.Model",
        "Exif.Image.DateTime",
        "Exif.Photo.DateTimeOriginal",
        "Exif.Photo.DateTimeDigitized",
        "Exif.Photo.OffsetTime",
        "Exif.Photo.OffsetTimeOriginal",
        "Exif.Photo.LensMake",
        "Exif.Photo.LensModel",
        "Exif.Photo.LensSpecification",
        "Exif.Photo.FocalLength",
        "Exif.Photo.FocalLengthIn35mmFilm",
        "Exif.Photo.FNumber",
        "Exif.Photo.ExposureTime",
        "Exif.Photo.ExposureBiasValue",
        "Exif.Photo.ExposureProgram",
        "Exif.Photo.ExposureMode",
        "Exif.Photo.MeteringMode",
        "Exif.Photo.Flash",
        "Exif.Photo.WhiteBalance",
        "Exif.Photo.ISOSpeedRatings",
    }
)
_EXIF_IFD = 0x8769
# The blocks exiv2 is given to write the policy's metadata and colour profile into: the
# pictures and how to show them. Everything else goes.
_JPEG_KEPT_APPLICATION_SEGMENTS = (
    (0xE0, b"JFIF\x00"),
    (0xE0, b"JFXX\x00"),
    (0xEE, b"Adobe"),
)
# An FF that starts a marker inside entropy-coded data (not stuffing, not RSTn).
_JPEG_MARKER = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")
_PNG_KEPT_CHUNKS = frozenset(
    {
        b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB",
        b"sBIT", b"pHYs", b"bKGD", b"cICP", b"mDCv", b"cLLi", b"acTL", b"fcTL", b"fdAT",
    }
)  # fmt: skip
_WEBP_KEPT_CHUNKS = frozenset({b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF"})
# Where exiv2 reads the upload's metadata from (with the pictures, without colour profiles:
# exiv2 refuses a file whose profile is not one, and Pillow reads profiles).
_JPEG_METADATA_SEGMENTS = frozenset({0xE1, 0xED, 0xFE})  # APP1 (EXIF, XMP), APP13 (IPTC), COM
_PNG_METADATA_CHUNKS = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf"})
_WEBP_METADATA_CHUNKS = frozenset({b"EXIF", b"XMP "})
# What EXIF and XMP start with, long enough never to be found in compressed pictures by chance.
_METADATA_SIGNATURES = (
    b"Exif\x00\x00MM\x00*",
    b"Exif\x00\x00II*\x00",
    b"MM\x00*\x00\x00\x00\x08",
    b"II*\x00\x08\x00\x00\x00",
    b"<x:xmpmeta",
    b"<?xpacket",
)
# What a rewrite may take besides the base budget: the file, exiv2's copy and the result.
MEMORY_BYTES_PER_FILE_BYTE = 4


class OriginalRefused(Exception):
    """An original whose metadata could not be rewritten: it does not leave the site."""


def as_it_leaves(data: bytes, credit: Mapping[str, str], *, camera_details: bool) -> bytes:
    """
    The bytes of a stored original as they may leave the site: its metadata as the policy
    says, its picture data as it came. Raise OriginalRefused if that cannot be done.
    """
    budget = sandbox.Budget.from_settings()
    budget = dataclasses.replace(
        budget, memory_bytes=budget.memory_bytes + MEMORY_BYTES_PER_FILE_BYTE * len(data)
    )
    try:
        return sandbox.run_bounded(_rewrite, data, dict(credit), camera_details, budget=budget)
    except sandbox.Stopped as stopped:
        raise OriginalRefused(stopped.reason) from None
    except Exception as error:
        raise OriginalRefused(f"its metadata could not be rewritten ({error})") from None


def _rewrite(data: bytes, credit: dict, camera_details: bool) -> bytes:
    """In the child: the rewrite for the file's format."""
    import exiv2  # Here, so that only the judge's children load it.

    exiv2.LogMsg.setLevel(exiv2.LogMsg.Level.mute)
    if data.startswith(b"GIF8"):
        return _gif_pictures(data)
    wanted = DISPLAY_TAGS | (CAMERA_TAGS if camera_details else frozenset())
    kind = exiv2.ImageFactory.getType(data)
    if kind == exiv2.ImageType.bmff:
        return _rewrite_in_place(data, credit, _tag_numbers(exiv2, wanted))
    strip = {
        exiv2.ImageType.jpeg: _jpeg_picture_blocks,
        exiv2.ImageType.png: _png_picture_chunks,
        exiv2.ImageType.webp: _webp_picture_chunks,
    }.get(kind)
    if strip is None:
        raise ValueError("no rewrite for this format")
    # What the policy keeps is read from the upload; it is written into the file's picture
    # blocks alone, so that no copy of a metadata block (a second EXIF segment) survives.
    original = exiv2.ImageFactory.open(strip(data, metadata=True))
    original.readMetadata()
    kept = exiv2.ExifData()
    for datum in original.exifData():
        if datum.key() in wanted:
            kept.add(datum)
    if creator := credit.get("creator"):
        kept["Exif.Image.Artist"] = creator
    if notice := credit.get("copyright_notice"):
        kept["Exif.Image.Copyright"] = notice
    image = exiv2.ImageFactory.open(strip(data))
    image.readMetadata()
    with Image.open(io.BytesIO(data)) as opened:  # the header alone: nothing is decoded
        profile = opened.info.get("icc_profile")
    if profile and (kept_profile := _kept_profile(profile)):
        image.setIccProfile(exiv2.DataBuf(kept_profile), False)
    image.setExifData(kept)
    image.clearIptcData()
    image.setXmpData(_credit_xmp_data(exiv2, credit))
    image.clearComment()
    image.writeMetadata()
    written = image.io()
    return bytes(written.mmap()[: written.size()])


def _tag_numbers(exiv2, keys: frozenset[str]) -> dict[str, set[int]]:
    """exiv2's keys as the tag numbers Pillow reads, by exiv2's group: "Image" (IFD0), "Photo"."""
    numbers = {"Image": set(), "Photo": set()}
    for key in keys:
        exif_key = exiv2.ExifKey(key)
        numbers[exif_key.groupName()].add(exif_key.tag())
    return numbers


def _credit_xmp_data(exiv2, credit: dict):
    """The credit as IPTC Core's XMP properties, and nothing else."""
    data = exiv2.XmpData()
    credit = clean_credit(credit)
    if creator := credit.get("creator"):
        data["Xmp.dc.creator"] = creator
    if notice := credit.get("copyright_notice"):
        data["Xmp.dc.rights"] = f'lang="x-default" {notice}'
        data["Xmp.xmpRights.Marked"] = "True"
    if credit_line := credit.get("credit_line"):
        data["Xmp.photoshop.Credit"] = credit_line
    if rights_url := credit.get("rights_url"):
        data["Xmp.xmpRights.WebStatement"] = rights_url
    return data


def _kept_profile(profile: bytes) -> bytes | None:
    """
    The colour profile an original leaves with: rebuilt from its colour tags (images/icc.py),
    else the upload's own (a printer's CMYK profile: the pixels need it), else none if it
    does not parse.
    """
    if rebuilt := rebuilt_profile(profile):
        return rebuilt
    try:
        ImageCms.ImageCmsProfile(io.BytesIO(profile))
    except (ImageCms.PyCMSError, OSError, TypeError, ValueError):
        return None
    return profile


def _jpeg_picture_blocks(data: bytes, metadata: bool = False) -> bytes:
    """The first picture's segments and scans, and the APPn that say how to show it, to EOI."""
    kept = [data[:2]]
    position = 2
    while position + 2 <= len(data):
        if data[position] != 0xFF:
            raise ValueError("a JPEG segment that does not start with a marker")
        marker = data[position + 1]
        if marker == 0xFF:  # fill
            position += 1
            continue
        if marker == 0xD9:  # EOI: what follows (an MPO's next picture, anything) goes
            kept.append(b"\xff\xd9")
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length
            kept.append(data[position : position + 2])
            position += 2
            continue
        end = position + 2 + int.from_bytes(data[position + 2 : position + 4])
        segment = data[position:end]
        if marker == 0xDA:  # SOS: the scan header, then entropy-coded data up to a marker
            found = _JPEG_MARKER.search(data, end)
            end = found.start() if found else len(data)
            kept.append(data[position:end])
        elif 0xE0 <= marker <= 0xEF or marker == 0xFE:
            if (metadata and marker in _JPEG_METADATA_SEGMENTS) or any(
                marker == kept_marker and segment[4:].startswith(signature)
                for kept_marker, signature in _JPEG_KEPT_APPLICATION_SEGMENTS
            ):
                kept.append(segment)
        else:
            kept.append(segment)
        position = end
    return b"".join(kept)


def _png_picture_chunks(data: bytes, metadata: bool = False) -> bytes:
    """A PNG with the chunks that make its picture and say how to show it, up to IEND."""
    kept = [data[:8]]
    position = 8
    while position + 12 <= len(data):
        length = int.from_bytes(data[position : position + 4])
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if kind in _PNG_KEPT_CHUNKS or (metadata and kind in _PNG_METADATA_CHUNKS):
            kept.append(data[position:end])
        if kind == b"IEND":
            break
        position = end
    return b"".join(kept)


def _webp_picture_chunks(data: bytes, metadata: bool = False) -> bytes:
    """A WebP with the chunks that make its picture and say how to show it."""
    kept = []
    position = 12
    end_of_riff = min(len(data), 8 + int.from_bytes(data[4:8], "little"))
    while position + 8 <= end_of_riff:
        kind = data[position : position + 4]
        size = int.from_bytes(data[position + 4 : position + 8], "little")
        end = position + 8 + size + (size & 1)  # chunks are padded to an even size
        if kind in _WEBP_KEPT_CHUNKS or (metadata and kind in _WEBP_METADATA_CHUNKS):
            kept.append(data[position:end])
        position = end
    body = b"WEBP" + b"".join(kept)
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def _rewrite_in_place(data: bytes, credit: dict, wanted: dict[str, set[int]]) -> bytes:
    """
    HEIF and AVIF: each Exif and XMP item overwritten at its own length, padded, keeping the
    `wanted` tags (_tag_numbers).
    """
    result = bytearray(data)
    rewritten = []
    for kind, offset, length in isobmff.metadata_extents(data):
        block = data[offset : offset + length]
        if kind == b"Exif":
            replacement = _kept_exif_item(block, credit, wanted, length)
            padding = b"\x00"
        else:
            packet = credit_xmp(credit) or xmp.credit_packet({})
            replacement = packet if len(packet) <= length else xmp.credit_packet({})
            if len(replacement) > length:
                replacement = b""
            padding = b" "  # XMP allows whitespace after a packet.
        result[offset : offset + length] = replacement.ljust(length, padding)
        rewritten.append((offset, offset + length))
    # Metadata where no item points (a damaged or crafted file): it cannot be rewritten in
    # place without touching the picture, so the file does not leave.
    masked = bytearray(result)
    for start, end in rewritten:
        masked[start:end] = bytes(end - start)
    if any(signature in masked for signature in _METADATA_SIGNATURES):
        raise ValueError("metadata outside the file's metadata items")
    return bytes(result)


def _kept_exif_item(block: bytes, credit: dict, wanted: dict[str, set[int]], length: int) -> bytes:
    """A HEIF Exif item (an offset, then the TIFF block) with the `wanted` tags alone."""
    start = 4 + int.from_bytes(block[:4])
    original = Image.Exif()
    original.load(block[start:])
    kept = Image.Exif()
    for tag in wanted["Image"] & set(original):
        kept[tag] = original[tag]
    exif_ifd = original.get_ifd(_EXIF_IFD)
    if chosen := {tag: exif_ifd[tag] for tag in wanted["Photo"] & set(exif_ifd)}:
        kept[_EXIF_IFD] = chosen
    with_credit = Image.Exif()
    with_credit.update(kept)
    with_credit.update(credit_exif(credit))
    # The largest of these that fits: the credit is also in XMP, where there is room.
    for exif in (with_credit, kept, Image.Exif()):
        item = (6).to_bytes(4) + exif.tobytes()
        if len(item) <= length:
            return item
    return b""


# GIF blocks kept: how to play the pictures (graphic control) and whether to loop.
_GIF_LOOP_APPLICATIONS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")


def _gif_pictures(data: bytes) -> bytes:
    """A GIF without its comments, plain text and application blocks (XMP among them)."""
    flags = data[10]
    position = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    kept = [data[:position]]
    while position < len(data):
        introducer = data[position]
        if introducer == 0x3B:  # trailer
            kept.append(b"\x3b")
            break
        if introducer == 0x2C:  # an image: descriptor, local colours, then LZW sub-blocks
            local = data[position + 9]
            start = position
            position += 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0) + 1
            position = _after_sub_blocks(data, position)
            kept.append(data[start:position])
        elif introducer == 0x21:
            label, start = data[position + 1], position
            position = _after_sub_blocks(data, position + 2)
            block = data[start:position]
            if label == 0xF9 or (label == 0xFF and block[3:14] in _GIF_LOOP_APPLICATIONS):
                kept.append(block)
        else:
            raise ValueError("not a GIF block")
    return b"".join(kept)


def _after_sub_blocks(data: bytes, position: int) -> int:
    while True:
        size = data[position]
        position += 1 + size
        if size == 0:
            return position
