"""
Big projects in the background, in a ZIP and in the sitemap (issue 21), on the embedded
default's SQLite and disk, in a temporary folder removed at the end:

    .venv/bin/python bench/big_projects.py [PICTURES [PROJECTS]]     (2,000 and 1,000)

- the visibility request, as `make run` and production queue it (the database backend): how
  long it takes and how many files it moves (none);
- the move the worker then runs (tasks.move_project_files): how long, and how many times it
  writes the page cache's version;
- a ZIP of 10 pictures and of PICTURES: the queries of pictures it makes and the most
  Python memory it held (tracemalloc), each picture's web size a small stored file;
- the sitemap's index and sections with PROJECTS public projects of 10 pictures each (rows
  only), made and then kept (the page cache, debug off): time and size.
"""

import os
import sys
import tempfile
import time
import tracemalloc
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(pictures: int, projects: int) -> None:
    with tempfile.TemporaryDirectory(prefix="moves-and-zips-") as folder:
        os.environ.update(
            DJANGO_SETTINGS_MODULE="site_config.settings",
            DATABASE_URL=f"sqlite:///{folder}/db.sqlite3",
            DJANGO_MEDIA_ROOT=f"{folder}/media",
            DJANGO_PRIVATE_MEDIA_ROOT=f"{folder}/private-media",
            DJANGO_TASKS_BACKEND="database",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY="bench-" + "x" * 50,
            DJANGO_SECURE_SSL_REDIRECT="0",
        )
        os.environ.pop("AWS_STORAGE_BUCKET_NAME", None)
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        settings.ALLOWED_HOSTS = ["testserver"]
        call_command("migrate", verbosity=0)
        measure(pictures)
        measure_sitemaps(projects)


def measure(pictures: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from portfolio.cache import ContentVersion
    from portfolio.tasks import move_project_files
    from tests.helpers import make_project, make_stored_pictures, make_user, private_files

    owner = make_user("bench-owner")
    project = make_project(owner, visibility="public", downloads="web")
    make_stored_pictures(project, pictures)
    client = Client()
    client.force_login(owner)
    url = reverse("portfolio:project-visibility", kwargs={"slug": project.slug})

    started = time.perf_counter()
    response = client.post(url, {"visibility": "private"})
    request_ms = (time.perf_counter() - started) * 1000
    assert response.status_code == 302, response.status_code
    print(
        f"visibility request, {pictures} pictures: {request_ms:.0f} ms, "
        f"{len(private_files())} files moved"
    )

    version = f'UPDATE "{ContentVersion._meta.db_table}"'
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        moved = move_project_files.call(project.pk)
    seconds = time.perf_counter() - started
    writes = sum(query["sql"].startswith(version) for query in queries)
    print(
        f"the move: {moved} pictures in {seconds:.1f} s "
        f"({seconds / pictures * 1000:.1f} ms each), page cache version written {writes}×"
    )

    small = make_project(owner, visibility="public", downloads="web")
    make_stored_pictures(small, 10)
    project.visibility = "public"
    project.save()
    move_project_files.call(project.pk)
    for zipped in (small, project):
        count = zipped.pictures.count()
        zip_url = reverse("portfolio:project-download", kwargs={"slug": zipped.slug})
        tracemalloc.start()
        with CaptureQueriesContext(connection) as queries:
            size = sum(map(len, Client().get(zip_url).streaming_content))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        reads = sum('FROM "portfolio_picture"' in query["sql"] for query in queries)
        print(
            f"ZIP of {count} pictures: {size / 1024:.0f} kB, {reads} queries of pictures, "
            f"peak Python memory {peak / 1024 / 1024:.1f} MB"
        )


def measure_sitemaps(projects: int) -> None:
    from django.test import Client

    from portfolio.images.renditions import rendition_spec
    from portfolio.models import Picture
    from tests.helpers import make_project, make_user

    owner = make_user("bench-sitemaps")
    for number in range(projects):
        project = make_project(owner, title=f"Sitemap {number}")
        Picture.objects.bulk_create(
            Picture(
                project=project,
                photo=f"projects/{project.pk}/{number:08x}{picture:024x}.jpg",
                width=960,
                height=640,
                position=picture,
                renditions=[
                    {
                        "width": 960,
                        "height": 640,
                        "name": f"projects/{project.pk}/{picture}_w960.webp",
                    }
                ],
                renditions_spec=rendition_spec(),
                renditions_public=True,
            )
            for picture in range(10)
        )
    client = Client()
    for url in ("/sitemap.xml", "/sitemap-projects.xml", "/sitemap-pictures.xml"):
        timings = []
        for _ in range(2):  # Made, then kept.
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        size, packed = len(response.content), len(zlib.compress(response.content, 1))
        print(
            f"{url}, {projects} projects, {projects * 10} pictures: made {timings[0]:.0f} ms, "
            f"kept {timings[1]:.1f} ms, {size // 1024} kB, compressed {packed // 1024} kB"
        )


if __name__ == "__main__":
    arguments = [int(argument) for argument in sys.argv[1:]]
    main(*arguments, *[2000, 1000][len(arguments) :])
