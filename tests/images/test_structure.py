"""
Files whose structure would cost a decoder far more than a photo of their pixel count are
refused by a count before Pillow opens them: the reason names the count. How little that
costs, against decoding a well-formed file, is measured by `make bench` (figure 6).
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from portfolio.images import isobmff
from portfolio.images.gate import UploadRejected, prepare_upload
from tests.images import hostile


def refusal(content: bytes) -> str:
    """The reason prepare_upload gives."""
    with pytest.raises(UploadRejected) as rejected:
        prepare_upload(SimpleUploadedFile("picture", content))
    return rejected.value.reason


def test_progressive_jpeg_of_thousands_of_scans_is_refused_before_decoding():
    reason = refusal(hostile.many_scan_jpeg((2000, 2000), scans=5000))

    assert reason == "too complex to decode safely (more than 32 JPEG scans)"


@pytest.mark.parametrize("marker", [0xE1, 0xE5, 0xFE], ids=["exif-app1", "app5", "comment"])
def test_jpeg_of_many_small_metadata_segments_is_refused_before_opening(marker):
    reason = refusal(hostile.jpeg_with_segments(200_000, marker))

    assert reason == "too complex to decode safely (more than 1000 JPEG segments)"


@pytest.mark.parametrize(
    "content",
    [
        hostile.many_scan_jpeg((2000, 2000), scans=5000),
        hostile.jpeg_with_segments(200_000, 0xE1),
    ],
    ids=["scans", "segments"],
)
@pytest.mark.parametrize(
    "filler",
    [b"\x00", b"\xff" * 100_000, b"\xff\xd0" * 100_000 + b"\xff\x01"],
    ids=["stray-byte", "fill-bytes", "restart-markers"],
)
def test_what_decoders_skip_between_segments_does_not_hide_what_follows(content, filler):
    # Decoders skip stray bytes, fill bytes and markers without a length, and read on: so
    # does the count, over a run of them in one step.
    assert refusal(content[:2] + filler + content[2:]).startswith(
        "too complex to decode safely (more than"
    )


def test_jpeg_of_more_metadata_than_any_camera_writes_is_refused():
    reason = refusal(hostile.jpeg_with_segments(300, 0xE2, b"x" * 65_000))

    assert reason == "too complex to decode safely (more than 16 MB of JPEG metadata)"


def test_markers_inside_a_segment_or_after_the_first_picture_are_not_counted():
    """An EXIF thumbnail has its own scans inside APP1; an MPO's next picture follows EOI."""
    many_scans = hostile.many_scan_jpeg((64, 64), scans=150)
    inside = hostile.jpeg_with_segments(1, 0xE4, many_scans[:60_000])
    after = hostile.well_formed("JPEG", (64, 48)) + many_scans

    for content in (inside, after):
        picture = prepare_upload(SimpleUploadedFile("picture.jpg", content))
        assert picture.name == "picture.jpg"


def test_png_of_many_chunks_is_refused_before_opening():
    reason = refusal(hostile.png_with_chunks(50_000))

    assert reason == "too complex to decode safely (more than 10000 PNG chunks)"


def test_gif_of_many_comment_blocks_is_refused_before_opening():
    reason = refusal(hostile.gif_with_comments(100_000))

    assert reason == "too complex to decode safely (more than 100 GIF extension blocks)"


def test_heic_of_many_extents_that_cost_no_bytes_is_refused_before_opening():
    # 1,000 items of 10,000 extents each in 6 KB: no single item is over the limit.
    reason = refusal(hostile.many_extent_heic(items=1000, extents=10_000))

    assert reason == "too complex to decode safely (more than 10000 extents)"


def test_extents_are_counted_over_all_items():
    assert isobmff.refusal_reason(hostile.many_extent_heic(items=2, extents=5000)) is None
    assert isobmff.refusal_reason(hostile.many_extent_heic(items=2, extents=5001)) == (
        "too complex to decode safely (more than 10000 extents)"
    )


def test_heic_of_many_property_associations_is_refused_before_opening():
    # Each ipma box reads its entries past its own end, over the next boxes: no single box
    # claims more than 10,000 items.
    reason = refusal(hostile.many_ipma_heic(boxes=1000, items=10_000))

    assert reason == "too complex to decode safely (more than 10000 items)"


def test_property_associations_are_counted_over_all_ipma_boxes():
    assert isobmff.refusal_reason(hostile.many_ipma_heic(boxes=2, items=5000)) is None
    assert isobmff.refusal_reason(hostile.many_ipma_heic(boxes=2, items=5001)) == (
        "too complex to decode safely (more than 10000 items)"
    )


def test_avif_whose_header_claims_fewer_pixels_than_its_image_is_refused():
    reason = refusal(hostile.lying_avif(size=(2000, 1500), claimed=(100, 100)))

    assert reason == "the file is damaged (its picture is larger than its header says)"


def test_avif_with_alpha_and_an_odd_size_is_accepted():
    buffer = io.BytesIO()
    Image.new("RGBA", (333, 211), (10, 20, 30, 128)).save(buffer, "AVIF", speed=10)

    picture = prepare_upload(SimpleUploadedFile("picture.avif", buffer.getvalue()))

    assert picture.name == "picture.avif"
