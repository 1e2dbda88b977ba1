"""
Make 480, 720, 960 and 1600 px WebP renditions of the given JPEGs with one library, in
this fresh process, and print the time per image and the peak memory as JSON.

    python bench/renditions_worker.py LIBRARY OUTPUT_FOLDER PHOTO...

LIBRARY: ours (portfolio.images, the site's pipeline: the renditions, the link-preview
card, the web size and the placeholder), ours-renditions (the same pipeline, sandbox
included, the four renditions alone: what the others cost), pyvips, pillow-naive (full
decode, each size from it), easy-thumbnails, sorl-thumbnail. Each writes through a
Django FileSystemStorage, as it would in a site.
"""

import json
import os
import re
import resource
import shutil
import sys
import time
from pathlib import Path

import django
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = (480, 720, 960, 1600)
QUALITY = 80


def main() -> None:
    library, output, photos = sys.argv[1], Path(sys.argv[2]), [Path(p) for p in sys.argv[3:]]
    source = output / "src"
    source.mkdir(parents=True)
    names = []
    for photo in photos:
        shutil.copyfile(photo, source / photo.name)
        names.append(f"src/{photo.name}")
    configure(library, output)
    make = MAKERS[library]()
    judge_kb = ready_judge_kb() if library.startswith("ours") else 0
    baseline_kb = peak_rss_kb() + judge_kb
    started, cpu_started = time.perf_counter(), cpu_seconds()
    for name in names:
        make(name)
    stop_the_judge()
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    made = sum(1 for path in output.rglob("*") if path.is_file()) - len(names)
    print(
        json.dumps(
            {
                "library": library,
                "ms_per_image": 1000 * elapsed / len(names),
                "cpu_ms_per_image": 1000 * cpu / len(names),
                "peak_rss_mb": peak_rss_kb() / 1024,
                "baseline_rss_mb": baseline_kb / 1024,
                "judge_rss_mb": judge_kb / 1024,
                "files": made,
            }
        )
    )


def ready_judge_kb() -> int:
    """
    Ours: start the judge a site process keeps (wsgi.py starts one as the server starts), wait
    until it has imported, and return its resident memory. Its children are forked from it,
    so each starts with the judge's pages resident: they are the baseline of its children's
    peak (RUSAGE_CHILDREN), as imports are of this process's.
    """
    from portfolio.images import sandbox

    # A call that does nothing: the judge imports, forks a child for it and answers.
    sandbox.run_bounded(os.getpid, budget=sandbox.Budget.from_settings())
    _, process, _ = sandbox._judges.judge
    status = Path(f"/proc/{process.pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE).group(1))


def stop_the_judge() -> None:
    """Ours decodes in a sandbox: a judge process that forks a child per file. Stop it and
    wait for it, so that its time and memory, and its children's, count as ours."""
    from portfolio.images import sandbox

    judge = getattr(sandbox._judges, "judge", None)
    if judge:
        _, process, connection = judge
        connection.close()
        process.wait(timeout=60)


def cpu_seconds() -> float:
    """CPU time of every thread of this process and of its children (ours decodes in a
    sandboxed child process), user and system."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def peak_rss_kb() -> int:
    """This process's peak, plus its largest child's (the sandbox runs while this waits)."""
    return sum(
        resource.getrusage(who).ru_maxrss
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )


def configure(library: str, media_root: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from site_config import settings as site_settings

    apps = {"easy-thumbnails": ["easy_thumbnails"], "sorl-thumbnail": ["sorl.thumbnail"]}
    settings.configure(
        INSTALLED_APPS=apps.get(library, []),
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        MEDIA_ROOT=str(media_root),
        MEDIA_URL="/media/",
        USE_TZ=True,
        PORTFOLIO_RENDITION_WIDTHS=WIDTHS,
        PORTFOLIO_RENDITION_FORMAT="webp",
        # The sandbox's budgets, as the site sets them (renditions decode in the sandbox).
        **{
            name: getattr(site_settings, name)
            for name in dir(site_settings)
            if name.startswith("PORTFOLIO_UPLOAD_")
        },
        # easy-thumbnails: WebP at the same quality as ours.
        THUMBNAIL_EXTENSION="webp",
        THUMBNAIL_QUALITY=QUALITY,
        # sorl-thumbnail: its default key-value store is the database, as in a site.
        THUMBNAIL_DEBUG=True,
    )
    django.setup()
    if apps.get(library):
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def ours():
    from django.core.files.storage import default_storage

    sys.path.insert(0, str(ROOT))
    from portfolio.images.renditions import rendition_spec, store_renditions

    return lambda name: store_renditions(
        default_storage, name, rendition_spec(), into=default_storage
    )


def ours_renditions_only():
    from django.core.files.storage import default_storage

    sys.path.insert(0, str(ROOT))
    from portfolio.images.renditions import rendition_spec, store_renditions

    # The same path as ours, sandbox included: without a focal point, the renditions alone.
    return lambda name: store_renditions(
        default_storage, name, rendition_spec(), into=default_storage, focal_point=None
    )


def pyvips_pipeline():
    import pyvips
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    def make(name: str) -> None:
        # Shrink-on-load to the largest width, then the smaller ones from it.
        image = pyvips.Image.thumbnail(
            default_storage.path(name), WIDTHS[-1], size="down"
        ).copy_memory()
        stem = name.rsplit(".", 1)[0]
        for width in reversed(WIDTHS):
            if image.width != width:
                image = image.resize(width / image.width, kernel="lanczos3")
            data = image.webpsave_buffer(Q=QUALITY, keep="none")
            default_storage.save(f"{stem}_w{width}.webp", ContentFile(data))

    return make


def pillow_naive():
    import io

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image, ImageOps

    def make(name: str) -> None:
        stem = name.rsplit(".", 1)[0]
        with default_storage.open(name) as file, Image.open(file) as image:
            image = ImageOps.exif_transpose(image)
            for width in WIDTHS:
                height = round(image.height * width / image.width)
                buffer = io.BytesIO()
                image.resize((width, height), Image.Resampling.LANCZOS).save(
                    buffer, "WEBP", quality=QUALITY
                )
                default_storage.save(f"{stem}_w{width}.webp", ContentFile(buffer.getvalue()))

    return make


def easy_thumbnails():
    from easy_thumbnails.files import get_thumbnailer

    def make(name: str) -> None:
        thumbnailer = get_thumbnailer(name)
        for width in WIDTHS:
            thumbnailer.get_thumbnail({"size": (width, 0), "quality": QUALITY})

    return make


def sorl_thumbnail():
    from sorl.thumbnail import get_thumbnail

    def make(name: str) -> None:
        for width in WIDTHS:
            get_thumbnail(name, str(width), format="WEBP", quality=QUALITY)

    return make


MAKERS = {
    "ours": ours,
    "ours-renditions": ours_renditions_only,
    "pyvips": pyvips_pipeline,
    "pillow-naive": pillow_naive,
    "easy-thumbnails": easy_thumbnails,
    "sorl-thumbnail": sorl_thumbnail,
}

if __name__ == "__main__":
    main()
