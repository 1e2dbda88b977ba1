"""The crop arithmetic (images/crops.py): a box of the asked shape that keeps the focal point."""

import pytest

from portfolio.images.crops import focal_crop

# A 3000 × 2000 picture whose subject fills (1900, 300)–(2500, 900): its centre is the
# focal point the owner would click.
PICTURE = (3000, 2000)
SUBJECT = (1900, 300, 2500, 900)
ASPECT_RATIOS = [1.0, 1200 / 630, 4 / 5, 3 / 2, 16 / 9, 9 / 16, 3.0]


def inside(box, outer) -> bool:
    return outer[0] <= box[0] and outer[1] <= box[1] and box[2] <= outer[2] and box[3] <= outer[3]


@pytest.mark.parametrize("aspect_ratio", ASPECT_RATIOS)
def test_a_crop_around_the_subjects_centre_keeps_the_whole_subject(aspect_ratio):
    focal_x = (SUBJECT[0] + SUBJECT[2]) / 2 / PICTURE[0]
    focal_y = (SUBJECT[1] + SUBJECT[3]) / 2 / PICTURE[1]

    box = focal_crop(*PICTURE, aspect_ratio, focal_x, focal_y)

    assert inside(SUBJECT, box)
    assert inside(box, (0, 0, *PICTURE))
    width, height = box[2] - box[0], box[3] - box[1]
    assert width / height == pytest.approx(aspect_ratio, rel=0.01)
    # The largest such box: it spans the whole width or the whole height.
    assert width == PICTURE[0] or height == PICTURE[1]


@pytest.mark.parametrize("aspect_ratio", ASPECT_RATIOS)
@pytest.mark.parametrize(
    ("focal_x", "focal_y"),
    [(0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.5, 0.5), (0.8, 0.3), (0.2, 0.9), (0.99, 0.01)],
)
def test_the_focal_point_is_always_in_frame_and_as_central_as_the_edges_allow(
    aspect_ratio, focal_x, focal_y
):
    left, top, right, bottom = focal_crop(*PICTURE, aspect_ratio, focal_x, focal_y)

    assert 0 <= left <= focal_x * PICTURE[0] <= right <= PICTURE[0]
    assert 0 <= top <= focal_y * PICTURE[1] <= bottom <= PICTURE[1]
    # Centred on the point unless an edge of the picture stops the box.
    for start, end, focal, length in [(left, right, focal_x, 3000), (top, bottom, focal_y, 2000)]:
        if start > 0 and end < length:
            assert (start + end) / 2 == pytest.approx(focal * length, abs=1)


def test_the_centre_by_default_and_the_whole_picture_for_its_own_shape():
    assert focal_crop(3000, 2000, 1.0) == (500, 0, 2500, 2000)
    assert focal_crop(3000, 2000, 1.5, 0.9, 0.1) == (0, 0, 3000, 2000)


def test_a_tiny_or_extreme_picture_still_gives_a_box_inside_it():
    assert focal_crop(1, 1, 1200 / 630) == (0, 0, 1, 1)
    assert focal_crop(1, 10_000, 1200 / 630, 0.5, 1.0) == (0, 9999, 1, 10_000)
    with pytest.raises(ValueError):
        focal_crop(0, 10, 1.0)
