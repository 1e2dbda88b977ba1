"""
Cheap checks of a file's structure, before any decoder sees it.

Some files are small and within the pixel limit yet cost a decoder far more than a photo
of their size: a JPEG of thousands of scans is decoded once per scan; thousands of tiny
segments, chunks or blocks each cost Pillow a Python-level step (and memory) just to open.
Real encoders write few of them, so a count refuses these files in milliseconds. What a
count cannot see, the child process's budget bounds (sandbox.py).
"""

import re

from portfolio.images import isobmff

# libjpeg's progressive mode writes 10 scans (6 for greyscale, 24 for CMYK), mozjpeg's
# searched progressions a few more. Each scan is a pass over every block: 32 keep a file
# within about three times the cost of an ordinary progressive one of its size.
JPEG_MAX_SCANS = 32
# Segments of the first picture other than its scans: APPn (EXIF, XMP, ICC, MPF), COM and
# tables. An ICC profile is split in 64 KB APP2 segments: a 16 MB profile takes 256.
JPEG_MAX_SEGMENTS = 1000
JPEG_MAX_METADATA_BYTES = 16 * 1024 * 1024
# libpng writes image data in 8 KB IDAT chunks: about 3,200 for a 25 MB file.
PNG_MAX_CHUNKS = 10_000
# Extension blocks (comments, application data) before a GIF's first picture, and the
# sub-blocks of at most 255 bytes their data is cut into.
GIF_MAX_EXTENSIONS = 100
GIF_MAX_SUB_BLOCKS = 10_000

_JPEG_MARKER = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")
# Fill bytes (FF FF…) and RSTn and TEM markers, which have no length field, in a run,
# then the FFs before the next marker's code.
_JPEG_NO_LENGTH = re.compile(rb"(?:\xff++[\xd0-\xd7\x01])*+\xff++")
TOO_COMPLEX = "too complex to decode safely"


def refusal_reason(data: bytes) -> str | None:
    """Why the file's structure makes it too costly to judge, or None."""
    if data.startswith(b"\xff\xd8"):
        return _jpeg_refusal(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png_refusal(data)
    if data.startswith((b"GIF87a", b"GIF89a")):
        return _gif_refusal(data)
    if data[4:8] == b"ftyp":
        return isobmff.refusal_reason(data)
    return None


def _jpeg_refusal(data: bytes) -> str | None:
    """Count the first picture's scans and segments; an MPO's next picture comes after EOI."""
    scans = segments = metadata_bytes = 0
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            # A stray byte between segments: decoders skip to the next marker, so do we.
            position = data.find(b"\xff", position)
            if position == -1:
                return None
            continue
        # Fill bytes, RSTn and TEM carry no length: one step over a run of them, however
        # long, to the FF of the next marker that has one.
        run = _JPEG_NO_LENGTH.match(data, position)
        if run is None:
            return None  # it ends in markers without a length: damaged, the decoder says so
        position = run.end() - 1
        if position + 4 > len(data):
            return None
        marker = data[position + 1]
        if marker == 0xD9:  # EOI
            return None
        length = int.from_bytes(data[position + 2 : position + 4])
        position += 2 + length
        if marker == 0xDA:  # SOS: a scan header, then entropy-coded data up to a marker
            scans += 1
            if scans > JPEG_MAX_SCANS:
                return f"{TOO_COMPLEX} (more than {JPEG_MAX_SCANS} JPEG scans)"
            next_marker = _JPEG_MARKER.search(data, position)
            if next_marker is None:
                return None
            position = next_marker.start()
            continue
        segments += 1
        if segments > JPEG_MAX_SEGMENTS:
            return f"{TOO_COMPLEX} (more than {JPEG_MAX_SEGMENTS} JPEG segments)"
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:  # APPn, COM
            metadata_bytes += length
            if metadata_bytes > JPEG_MAX_METADATA_BYTES:
                return f"{TOO_COMPLEX} (more than 16 MB of JPEG metadata)"
    return None


def _png_refusal(data: bytes) -> str | None:
    chunks = 0
    position = 8
    while position + 8 <= len(data):
        chunks += 1
        if chunks > PNG_MAX_CHUNKS:
            return f"{TOO_COMPLEX} (more than {PNG_MAX_CHUNKS} PNG chunks)"
        length = int.from_bytes(data[position : position + 4])
        if data[position + 4 : position + 8] == b"IEND":
            return None
        position += 12 + length
    return None


def _gif_refusal(data: bytes) -> str | None:
    position = 13
    if len(data) > 10 and data[10] & 0x80:  # global colour table
        position += 3 << ((data[10] & 0x07) + 1)
    extensions = sub_blocks = 0
    while position + 2 <= len(data) and data[position] == 0x21:
        extensions += 1
        if extensions > GIF_MAX_EXTENSIONS:
            return f"{TOO_COMPLEX} (more than {GIF_MAX_EXTENSIONS} GIF extension blocks)"
        position += 2  # introducer and label, then sub-blocks up to an empty one
        while position < len(data) and data[position]:
            sub_blocks += 1
            if sub_blocks > GIF_MAX_SUB_BLOCKS:
                return f"{TOO_COMPLEX} (more than {GIF_MAX_SUB_BLOCKS} GIF data blocks)"
            position += data[position] + 1
        position += 1
    return None
