"""
Whatever passes the structural checks is decoded and re-encoded in a child process with a
CPU, memory and wall-clock budget from its pixel count: a file that needs more is refused
with a reason, and well-formed large files of every format fit in the default budget.
"""

import io
import os
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from portfolio.images import isobmff, sandbox, structure
from portfolio.images.gate import UploadRejected, prepare_upload
from tests.images import hostile, in_the_child


def judged(content: bytes, name: str = "picture"):
    return prepare_upload(SimpleUploadedFile(name, content))


def rejection(content: bytes) -> str:
    with pytest.raises(UploadRejected) as rejected:
        judged(content)
    return rejected.value.reason


def test_decoding_past_its_cpu_budget_is_stopped(settings, monkeypatch):
    # Past the scan count (its own test), a decoder that runs long is stopped all the same.
    monkeypatch.setattr(structure, "JPEG_MAX_SCANS", 1_000_000)
    settings.PORTFOLIO_UPLOAD_CPU_SECONDS = 0
    settings.PORTFOLIO_UPLOAD_CPU_SECONDS_PER_MEGAPIXEL = 0

    # Some seconds of CPU to decode, where the budget now allows one.
    content = hostile.many_scan_jpeg((2000, 2000), scans=20_000)

    assert rejection(content) == sandbox.TOO_SLOW


def test_decoding_past_its_memory_budget_is_refused(settings):
    settings.PORTFOLIO_UPLOAD_MEMORY_BYTES = 8 * 2**20
    settings.PORTFOLIO_UPLOAD_MEMORY_BYTES_PER_PIXEL = 1

    # 36 MB of decoded pixels where the budget allows 20 MB.
    content = hostile.well_formed("PNG", (4000, 3000), noise=False)

    assert rejection(content) == sandbox.TOO_MUCH_MEMORY


def test_a_lying_avif_is_stopped_by_the_memory_budget_even_unrecognised(settings, monkeypatch):
    # The coded-size check (its own test) aside, the budget follows the claimed 100×100
    # pixels: a base that small files of every format fit in, and their share.
    monkeypatch.setattr(isobmff, "refusal_reason", lambda content: None)
    settings.PORTFOLIO_UPLOAD_MEMORY_BYTES = 16 * 2**20

    # 48 MP coded: it decodes in 100-150 MB (measured), far past the budget. A 12 MP liar
    # decoded in about 27 MB, too near the budget to be refused on every machine.
    content = hostile.lying_avif(size=(8000, 6000), claimed=(100, 100))

    # Refused, whichever way the AVIF decoder reports running out of its 16 MB: as memory, as
    # a damaged file, or (seen once in three full runs) as an error of its own.
    assert rejection(content) in (
        sandbox.TOO_MUCH_MEMORY,
        "the file is damaged or incomplete",
        "the file is damaged or unsupported",
    )


def test_a_child_that_crashes_refuses_its_file_and_the_next_file_is_judged():
    budget = sandbox.Budget.from_settings()

    with pytest.raises(sandbox.Stopped) as stopped:
        sandbox.run_bounded(os.abort, budget=budget)

    assert stopped.value.reason == sandbox.CRASHED
    assert judged(hostile.well_formed("JPEG", (64, 48))).name == "picture.jpg"


def test_an_exception_in_the_child_reaches_the_caller_as_itself():
    with pytest.raises(ValueError, match="invalid literal"):
        sandbox.run_bounded(int, "not a number", budget=sandbox.Budget.from_settings())


def test_a_file_is_read_by_the_child_through_its_own_descriptor(tmp_path):
    path = tmp_path / "original.jpg"
    path.write_bytes(b"0123456789")
    with open(path, "rb") as original:
        original.read(4)  # Wherever the caller left it, the child reads from the start.
        read, pid = sandbox.run_bounded(
            in_the_child.read_from_the_start,
            6,
            budget=sandbox.Budget.from_settings(),
            file=original,
        )

    assert (read, pid != os.getpid()) == (b"012345", True)


def test_a_file_in_memory_is_spooled_for_the_child():
    read, _pid = sandbox.run_bounded(
        in_the_child.read_from_the_start,
        3,
        budget=sandbox.Budget.from_settings(),
        file=io.BytesIO(b"abcdef"),
    )

    assert read == b"abc"


class UnreadableOriginal(io.RawIOBase):
    """A file whose fetching fails, as a bucket's download or a full disk does."""

    def fileno(self) -> int:
        raise OSError("the store did not answer")


def test_a_file_that_cannot_be_read_fails_as_itself_and_the_judge_stays():
    budget = sandbox.Budget.from_settings()
    assert sandbox.run_bounded(int, "7", budget=budget) == 7  # This thread's judge, started.
    judge = sandbox._judges.judge

    with pytest.raises(OSError, match="the store did not answer"):
        sandbox.run_bounded(
            in_the_child.read_from_the_start,
            1,
            budget=budget,
            file=UnreadableOriginal(),
        )

    assert sandbox._judges.judge is judge  # Not stopped: it never heard of this file.
    assert judged(hostile.well_formed("JPEG", (64, 48))).name == "picture.jpg"


def test_files_judged_from_several_threads_at_once_each_get_their_own_answer():
    sizes = [(64 + index, 48) for index in range(8)]
    results = {}

    def judge(size):
        with Image.open(judged(hostile.well_formed("PNG", size))) as image:
            results[size] = image.size

    threads = [threading.Thread(target=judge, args=(size,)) for size in sizes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == {size: size for size in sizes}


@pytest.mark.parametrize(
    ("image_format", "size", "options"),
    [
        ("JPEG", (6000, 4000), {"quality": 90}),
        ("JPEG", (6000, 4000), {"quality": 90, "progressive": True}),
        ("PNG", (8660, 5774), {"noise": False}),
        ("AVIF", (4000, 3000), {"quality": 60, "speed": 10}),
        ("HEIF", (4000, 3000), {"quality": 50, "noise": False}),
    ],
    ids=["24mp-jpeg", "24mp-progressive-jpeg", "50mp-png", "12mp-avif", "12mp-heic"],
)
def test_well_formed_large_files_fit_in_the_default_budget(image_format, size, options):
    content = hostile.well_formed(image_format, size, **options)

    with Image.open(judged(content)) as stored:
        assert stored.size == size


def test_the_judge_budget_grows_with_the_pixel_count():
    budget = sandbox.Budget.from_settings()

    assert budget.cpu_seconds_for(100_000_000) > budget.cpu_seconds_for(1_000_000)
    assert budget.memory_bytes_for(100_000_000) >= 16 * 100_000_000
    assert budget.cpu_seconds_for(10**6, "AVIF") > budget.cpu_seconds_for(10**6, "JPEG")
