"""
A mutation fuzzer over real samples of every accepted format: whatever the bytes, the gate
answers with a picture or a refusal, never another exception.

Seeded and bounded so the suite stays fast; PORTFOLIO_FUZZ_ITERATIONS runs it longer.
"""

import io
import os
import random
import struct

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms

from portfolio.images.gate import UploadRejected, prepare_upload
from portfolio.images.originals import OriginalRefused, as_it_leaves
from tests.helpers import exif_with_location

# Per format: about 0.1 s for each 60 on a laptop core, so 420 files in the suite.
ITERATIONS = int(os.environ.get("PORTFOLIO_FUZZ_ITERATIONS", "60"))


def sample(image_format: str) -> bytes:
    """A small picture with the metadata a real one carries: EXIF, a profile, frames."""
    image = Image.frombytes("RGB", (24, 16), random.Random(3).randbytes(24 * 16 * 3))
    options = {
        "exif": exif_with_location(orientation=6),
        "icc_profile": ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    }
    if image_format == "GIF":
        image = image.convert("P")
        options = {"save_all": True, "append_images": [image.rotate(90)], "comment": b"hello"}
    if image_format == "MPO":
        options.update(save_all=True, append_images=[image.rotate(180)])
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def length_fields(data: bytes) -> list[tuple[int, int, str]]:
    """Where the format keeps its chunk or segment lengths: (offset, bytes, struct code)."""
    fields = []
    if data.startswith(b"\x89PNG"):
        offset = 8
        while offset + 8 <= len(data):
            fields.append((offset, 4, ">I"))
            offset += 12 + struct.unpack_from(">I", data, offset)[0]
    elif data.startswith(b"\xff\xd8"):
        offset = 2
        while offset + 4 <= len(data) and data[offset] == 0xFF and data[offset + 1] != 0xDA:
            fields.append((offset + 2, 2, ">H"))
            offset += 2 + struct.unpack_from(">H", data, offset + 2)[0]
    elif data.startswith(b"RIFF"):
        fields.append((4, 4, "<I"))
        offset = 12
        while offset + 8 <= len(data):
            fields.append((offset + 4, 4, "<I"))
            size = struct.unpack_from("<I", data, offset + 4)[0]
            offset += 8 + size + size % 2
    elif data[4:8] == b"ftyp":
        # ISO boxes (AVIF, HEIC): every 4-byte size followed by a plausible box type.
        for offset in range(0, len(data) - 8):
            if data[offset + 4 : offset + 8].isalpha():
                fields.append((offset, 4, ">I"))
    else:
        # GIF: sub-block sizes are single bytes anywhere; any byte may be one.
        fields = [(offset, 1, ">B") for offset in range(6, len(data))]
    return fields


def mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    kind = rng.choice(["flip", "truncate", "duplicate", "length"])
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        del data[rng.randrange(1, len(data)) :]
    elif kind == "duplicate":
        # A chunk, segment or box repeated: from one length field to the next.
        starts = sorted({offset for offset, _, _ in length_fields(bytes(data))})
        start = rng.choice(starts) if starts else rng.randrange(len(data))
        end = min(len(data), start + rng.randint(4, 400))
        data[end:end] = data[start:end] * rng.randint(1, 20)
    else:
        fields = length_fields(bytes(data))
        if fields:
            offset, size, code = rng.choice(fields)
            value = rng.choice([0, 1, 2 ** (8 * size) - 1, rng.randrange(2 ** (8 * size))])
            data[offset : offset + size] = struct.pack(code, value)
    return bytes(data)


# Pillow warns of the damage it reads past ("Corrupt EXIF data"): expected here.
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("image_format", ["JPEG", "MPO", "PNG", "WEBP", "GIF", "AVIF", "HEIF"])
def test_mutated_files_are_stored_as_they_came_or_refused_and_leave_clean(image_format):
    original = sample(image_format)
    # The sample itself leaves, clean: were it refused, so might every mutation, unnoticed.
    assert b"SERIAL-12345" not in as_it_leaves(original, {}, camera_details=True)
    rng = random.Random(f"gate-{image_format}")

    for iteration in range(ITERATIONS):
        mutated = mutate(original, rng)
        try:
            prepared = prepare_upload(SimpleUploadedFile("fuzzed", mutated))
        except UploadRejected:
            continue
        except Exception as error:
            pytest.fail(f"{image_format} mutation {iteration} raised {error!r}")
        # Stored as it came; what leaves is rewritten by the policy, or does not leave.
        assert prepared.read() == mutated
        try:
            leaving = as_it_leaves(mutated, {}, camera_details=True)
        except OriginalRefused:
            continue
        assert b"SERIAL-12345" not in leaving
