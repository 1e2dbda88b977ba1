"""
Figure 6, judging uploads: what the upload gate costs, run with the site's settings.

    python bench/gate_worker.py PHOTO      PHOTO: a 24-megapixel JPEG from bench/photos.py

Well-formed files are judged through `prepare_upload` (its sandbox included), and their CPU
time and peak memory set against the budget the settings give their pixel count; hostile
files (tests/images/hostile.py) are timed until they are refused, against a well-formed
file of the pixel count they claim. Prints one JSON object.
"""

import io
import json
import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from judged_memory import MEMORY_KEY, MEMORY_SAMPLE_SECONDS, judge_measuring_memory  # noqa: E402
from PIL import Image  # noqa: E402

from portfolio.images import gate, sandbox, structure  # noqa: E402
from portfolio.images.gate import UploadRejected, prepare_upload  # noqa: E402
from tests.images import hostile  # noqa: E402

# Well-formed files measured twice: the lower CPU time, the larger memory peak.
HONEST_ROUNDS = 2
# Files that cost milliseconds: the median of this many.
QUICK_ROUNDS = 15
SMALL = (64, 48)


def honest_files(photo: Path) -> list[tuple[str, bytes]]:
    """Files an owner uploads: a camera's JPEG, its progressive re-save, a photo exported as
    PNG near the byte limit, a large flat PNG, and a HEIC and an AVIF of a phone's size."""
    camera = photo.read_bytes()
    progressive, exported = io.BytesIO(), io.BytesIO()
    with Image.open(photo) as image:
        image.save(progressive, "JPEG", quality=90, progressive=True)
        image.resize((4800, 3200)).save(exported, "PNG")
    return [
        ("24 MP camera JPEG", camera),
        ("24 MP progressive JPEG", progressive.getvalue()),
        ("15 MP photo exported as PNG", exported.getvalue()),
        ("50 MP gradient PNG", hostile.well_formed("PNG", (8660, 5774), noise=False)),
        ("12 MP HEIC", hostile.well_formed("HEIF", (4000, 3000), quality=50, noise=False)),
        ("12 MP AVIF", hostile.well_formed("AVIF", (4000, 3000), quality=60, speed=10)),
    ]


def hostile_files() -> list[tuple[str, bytes, str, bytes]]:
    """Each hostile file, and a well-formed one of the pixel count its header claims."""
    progressive = hostile.well_formed("JPEG", (2000, 2000), progressive=True)
    small_gif = io.BytesIO()
    Image.new("P", SMALL, 1).save(small_gif, "GIF")
    return [
        (
            "progressive JPEG of 5,000 scans, 2000×2000",
            hostile.many_scan_jpeg((2000, 2000), scans=5000),
            "progressive JPEG, 2000×2000",
            progressive,
        ),
        (
            "JPEG of 200,000 APP1 (EXIF) segments, 64×48",
            hostile.jpeg_with_segments(200_000, 0xE1),
            "JPEG, 64×48",
            hostile.well_formed("JPEG", SMALL),
        ),
        (
            "AVIF claiming 100×100, coded 2000×1500",
            hostile.lying_avif((2000, 1500), claimed=(100, 100)),
            "AVIF, 100×100",
            hostile.well_formed("AVIF", (100, 100), quality=60, speed=10),
        ),
        (
            "GIF of 100,000 comment blocks, 64×48",
            hostile.gif_with_comments(100_000),
            "GIF, 64×48",
            small_gif.getvalue(),
        ),
        (
            "PNG of 50,000 chunks, 64×48",
            hostile.png_with_chunks(50_000),
            "PNG, 64×48",
            hostile.well_formed("PNG", SMALL),
        ),
    ]


def main(photo: Path) -> dict:
    budget = sandbox.Budget.from_settings()
    started = time.perf_counter()
    judge(hostile.well_formed("JPEG", SMALL))  # The first file starts the judge process.
    first_file_seconds = time.perf_counter() - started
    return {
        "honest_rounds": HONEST_ROUNDS,
        "rounds": QUICK_ROUNDS,
        "memory_sample_seconds": MEMORY_SAMPLE_SECONDS,
        "honest": [measure_honest(name, content, budget) for name, content in honest_files(photo)],
        "overhead": sandbox_overhead(first_file_seconds),
        "hostile": [measure_hostile(*files) for files in hostile_files()],
        "bomb": decode_bomb(budget),
    }


def measure_honest(name: str, content: bytes, budget: sandbox.Budget) -> dict:
    """CPU time and peak memory of judging a well-formed file, and its budget for them."""
    with Image.open(io.BytesIO(content)) as image:
        pixels, image_format = image.width * image.height, image.format
    rounds = []
    with measured_child_memory():
        for _ in range(HONEST_ROUNDS):
            cpu_before, started = judge_cpu_seconds(), time.perf_counter()
            try:
                memory = judge(content).metadata.pop(MEMORY_KEY)
                refused = None
            except UploadRejected as rejected:
                memory, refused = None, rejected.reason
            seconds = time.perf_counter() - started
            rounds.append((judge_cpu_seconds() - cpu_before, seconds, memory))
            if refused:
                break  # Refused once is the finding; a second round adds nothing.
    measured_memory = [memory for _, _, memory in rounds if memory]
    return {
        "name": name,
        "format": image_format,
        "megapixels": pixels / 1e6,
        "bytes": len(content),
        "refused": refused,
        "cpu_seconds": min(cpu for cpu, _, _ in rounds),
        "seconds": min(seconds for _, seconds, _ in rounds),
        "memory_bytes": max((memory["data_bytes"] for memory in measured_memory), default=None),
        "rss_bytes": max((memory["rss_bytes"] for memory in measured_memory), default=None),
        "cpu_budget": budget.cpu_seconds_for(pixels, image_format),
        "memory_budget": budget.memory_bytes_for(pixels, image_format),
    }


def sandbox_overhead(first_file_seconds: float) -> dict:
    """Judging a small file through the sandbox against judging it in this process."""
    content = hostile.well_formed("JPEG", SMALL)
    max_pixels = settings.PORTFOLIO_UPLOAD_MAX_PIXELS
    sandboxed, in_process = [], []
    for _ in range(QUICK_ROUNDS):  # Interleaved, so a busy moment hits both.
        sandboxed.append(seconds_of(lambda: judge(content)))
        in_process.append(seconds_of(lambda: gate._judge(content, max_pixels, None)))
    return {
        "sandboxed_seconds": statistics.median(sandboxed),
        "in_process_seconds": statistics.median(in_process),
        "first_file_seconds": first_file_seconds,
    }


def measure_hostile(name: str, content: bytes, well_formed_name: str, well_formed: bytes) -> dict:
    """Time until a file is refused by its structure, against judging the well-formed one."""
    refused, judged = [], []
    for _ in range(QUICK_ROUNDS):  # Interleaved, so a busy moment hits both.
        started = time.perf_counter()
        reason = refusal(content)
        refused.append(time.perf_counter() - started)
        judged.append(seconds_of(lambda: judge(well_formed)))
    return {
        "name": name,
        "bytes": len(content),
        "reason": reason,
        "seconds": statistics.median(refused),
        "well_formed": well_formed_name,
        "well_formed_seconds": statistics.median(judged),
    }


def decode_bomb(budget: sandbox.Budget) -> dict:
    """A file the structural checks miss (here the scan count is not checked) meets the budget."""
    size, pixels = (2000, 2000), 2000 * 2000
    content = hostile.many_scan_jpeg(size, scans=20_000)
    well_formed = hostile.well_formed("JPEG", size, progressive=True)
    limit = structure.JPEG_MAX_SCANS
    structure.JPEG_MAX_SCANS = 1_000_000
    try:
        cpu_before, started = judge_cpu_seconds(), time.perf_counter()
        reason = refusal(content)
        seconds = time.perf_counter() - started
        cpu_seconds = judge_cpu_seconds() - cpu_before
    finally:
        structure.JPEG_MAX_SCANS = limit
    return {
        "name": "progressive JPEG of 20,000 scans, 2000×2000",
        "bytes": len(content),
        "reason": reason,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "well_formed": "progressive JPEG, 2000×2000",
        "well_formed_seconds": statistics.median(
            seconds_of(lambda: judge(well_formed)) for _ in range(5)
        ),
        "cpu_budget": budget.cpu_seconds_for(pixels, "JPEG"),
        "wall_budget": budget.wall_seconds_for(pixels, "JPEG"),
    }


def judge(content: bytes):
    return prepare_upload(SimpleUploadedFile("upload", content))


def refusal(content: bytes) -> str | None:
    """Why the gate refused the file; None if it accepted it."""
    try:
        judge(content)
    except UploadRejected as rejected:
        return rejected.reason
    return None


def seconds_of(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def judge_cpu_seconds() -> float:
    """
    CPU seconds of the judge process's children so far: each file's child, once reaped (the
    judge answers first and reaps it after, so this waits until it has no child).
    """
    (judge_pid,) = children_of(os.getpid())  # The judge, started by the first file.
    deadline = time.monotonic() + 10
    while children_of(judge_pid) and time.monotonic() < deadline:
        time.sleep(0.001)
    fields = Path(f"/proc/{judge_pid}/stat").read_text().rpartition(")")[2].split()
    # cutime and cstime, fields 16 and 17 of proc_pid_stat(5), in clock ticks.
    ticks = int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> set[int]:
    """The processes `pid`'s threads started, as /proc lists them (proc_pid_task(5))."""
    children = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        children.update(map(int, (task / "children").read_text().split()))
    return children


@contextmanager
def measured_child_memory():
    """
    While this lasts, prepare_upload's picture carries its judging's memory (under MEMORY_KEY
    in its metadata): the child's peak above what it started with.
    """
    original = gate._judge
    gate._judge = judge_measuring_memory
    try:
        yield
    finally:
        gate._judge = original


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
