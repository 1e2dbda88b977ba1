"""
Files made to cost a decoder far more than their bytes and pixel count suggest, built here
from real encoders' output or by hand, and well-formed counterparts of the same size.
"""

import io
import struct
import zlib

from PIL import Image


def well_formed(
    image_format: str, size: tuple[int, int], *, noise: bool = True, **save_options
) -> bytes:
    """A picture with smooth and noisy parts, like a photo: encoders cannot cheat on it."""
    gradient = Image.linear_gradient("L").resize(size)
    red = Image.blend(gradient, Image.effect_noise(size, 40), 0.3) if noise else gradient
    green = gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    blue = gradient.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    buffer = io.BytesIO()
    Image.merge("RGB", (red, green, blue)).save(buffer, image_format, **save_options)
    return buffer.getvalue()


def many_scan_jpeg(size: tuple[int, int] = (2000, 2000), scans: int = 5000) -> bytes:
    """
    A greyscale progressive JPEG: one DC scan, then `scans` AC scans of a few bytes each.

    Each AC scan is one end-of-band run over every block, yet the decoder visits every
    block once per scan: decoding costs scans × blocks.
    """
    width, height = size
    blocks = -(-width // 8) * -(-height // 8)
    out = bytearray(b"\xff\xd8")
    out += segment(0xDB, b"\x00" + bytes([1] * 64))
    out += segment(0xC2, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    # One Huffman code, "0", in each table: DC difference 0, and AC "EOB run of 2^14+".
    out += segment(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00")
    out += segment(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\xe0")
    out += segment(0xDA, b"\x01\x01\x00\x00\x00\x00")
    out += b"\x00" * -(-blocks // 8)
    bits = "".join("0" + "1" * 14 for _ in range(-(-blocks // 32767)))
    bits += "1" * (-len(bits) % 8)
    run = int(bits, 2).to_bytes(len(bits) // 8).replace(b"\xff", b"\xff\x00")
    ac_scan = segment(0xDA, b"\x01\x01\x00\x01\x3f\x00") + run
    out += ac_scan * scans
    return bytes(out + b"\xff\xd9")


def jpeg_with_segments(count: int, marker: int = 0xE1, payload: bytes = b"x") -> bytes:
    """A small JPEG carrying `count` extra segments (APPn, COM) right after its SOI."""
    jpeg = well_formed("JPEG", (64, 48))
    return jpeg[:2] + segment(marker, payload) * count + jpeg[2:]


def segment(marker: int, payload: bytes) -> bytes:
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def png_with_chunks(count: int) -> bytes:
    """A small PNG with `count` empty ancillary chunks before its image data."""
    png = well_formed("PNG", (64, 48))
    header_end = 8 + 25  # signature and IHDR
    chunk = png_chunk(b"tEXt", b"")
    return png[:header_end] + chunk * count + png[header_end:]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def gif_with_comments(count: int) -> bytes:
    """A small GIF with `count` one-byte comment blocks before its first picture."""
    buffer = io.BytesIO()
    Image.new("P", (64, 48), 1).save(buffer, "GIF")
    gif = buffer.getvalue()
    blocks = 13 + (3 << ((gif[10] & 0x07) + 1) if gif[10] & 0x80 else 0)  # after the palette
    return gif[:blocks] + b"\x21\xfe\x01x\x00" * count + gif[blocks:]


def lying_avif(size: tuple[int, int] = (2000, 1500), claimed=(100, 100)) -> bytes:
    """An AVIF whose header (every ispe) claims `claimed` while its AV1 image is `size`."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buffer, "AVIF", quality=10, speed=10)
    avif = bytearray(buffer.getvalue())
    at = avif.find(b"ispe")
    while at != -1:
        avif[at + 8 : at + 16] = struct.pack(">II", *claimed)
        at = avif.find(b"ispe", at + 4)
    return bytes(avif)


def many_extent_heic(items: int, extents: int) -> bytes:
    """
    A HEIC whose iloc gives each of `items` items `extents` extents, their offset and length
    fields declared 0 bytes wide: an extent costs no byte of the file.
    """

    def box(kind: bytes, content: bytes) -> bytes:
        return struct.pack(">I", 8 + len(content)) + kind + content

    full_box = b"\x00\x00\x00\x00"  # version 0, no flags
    iloc = box(
        b"iloc",
        full_box
        + b"\x00\x00"  # offset, length, base offset and index fields: 0 bytes each
        + struct.pack(">H", items)
        + b"".join(struct.pack(">HHH", item, 0, extents) for item in range(1, items + 1)),
    )
    iinf = box(b"iinf", full_box + struct.pack(">H", 0))
    iprp = box(b"iprp", box(b"ipco", b"") + box(b"ipma", full_box + struct.pack(">I", 0)))
    ftyp = box(b"ftyp", b"heic" + struct.pack(">I", 0) + b"mif1heic")
    return ftyp + box(b"meta", full_box + iinf + iprp + iloc)


def many_ipma_heic(boxes: int, items: int) -> bytes:
    """
    A HEIC of `boxes` ipma boxes, each claiming `items` entries that lie past its own end:
    each reads on over the boxes after it, then the zeros of a free box.
    """

    def box(kind: bytes, content: bytes) -> bytes:
        return struct.pack(">I", 8 + len(content)) + kind + content

    full_box = b"\x00\x00\x00\x00"  # version 0, no flags
    ipma = box(b"ipma", full_box + struct.pack(">I", items))
    # Zeros for every entry to read (3 bytes each, no associations), after the ipma headers
    # it reads first (under 150 bytes each, with the associations their bytes count).
    zeros = bytes(3 * items + 150 * boxes)
    iprp = box(b"iprp", box(b"ipco", b"") + ipma * boxes + box(b"free", zeros))
    iinf = box(b"iinf", full_box + struct.pack(">H", 0))
    iloc = box(b"iloc", full_box + b"\x00\x00" + struct.pack(">H", 0))
    ftyp = box(b"ftyp", b"heic" + struct.pack(">I", 0) + b"mif1heic")
    return ftyp + box(b"meta", full_box + iinf + iprp + iloc)
