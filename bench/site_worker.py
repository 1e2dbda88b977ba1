"""
The site's side of the benchmark, run with the site's settings in a fresh process.

    python bench/site_worker.py seed PHOTO...          projects of the photos, a share link
    python bench/site_worker.py scale PROJECTS         bulk rows, then time the gallery page
    python bench/site_worker.py lists PROJECTS         bulk rows, then time every list of them
    python bench/site_worker.py some_lists PROJECTS PREFIX   the same rows, then the lists named so
    python bench/site_worker.py big PICTURES...        a project of each many pictures: time
                                                       their pages' first responses, in turn
    python bench/site_worker.py where PICTURES         one project of that many pictures: time
                                                       where its last picture is, and a step
    python bench/site_worker.py weight                 image bytes of the first screen
    python bench/site_worker.py breakdown              where a gallery request's time goes
    python bench/site_worker.py owner                  an owner and a project to upload to
    python bench/site_worker.py uploaded               what an upload stored
    python bench/site_worker.py decode PHOTO           decode the same photo once with Pillow
    python bench/site_worker.py zip MEGABYTES          stream a project of that size as a ZIP
    python bench/site_worker.py gate PHOTO...          judge each photo with the gate, in turn
    python bench/site_worker.py zip_readers CLIENTS    a gallery, and a project of originals
                                                       with a share link for each client
    python bench/site_worker.py slots                  ZIP download slots held now

Each prints one JSON object. DATABASE_URL and DJANGO_MEDIA_ROOT choose the site.
"""

import io
import json
import os
import re
import resource
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files import File  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from portfolio.models import Category, Picture, Project, ShareLink  # noqa: E402


def seed(photos: list[str]) -> dict:
    """30 projects, the first with twelve pictures: a full gallery page and a project page."""
    owner = get_user_model().objects.create_user("bench-owner", password="bench-password-1")
    category = Category.objects.create(name="Landscape", slug="landscape")
    started = time.perf_counter()
    count = 0
    for number in range(30):
        with transaction.atomic():
            project = Project.objects.create(
                owner=owner,
                title=f"Bench project {number}",
                category=category,
                visibility="public",
            )
            for index in range(12 if number == 29 else 1):
                picture = Picture(project=project, caption=f"Picture {index}")
                path = Path(photos[(number + index) % len(photos)])
                with path.open("rb") as photo:
                    picture.photo.save(path.name, File(photo), save=True)
                count += 1
    seconds = time.perf_counter() - started
    newest = Project.objects.order_by("-created", "-id").first()
    # Its client's page too (figure 8), as a photographer sends it: favourites and downloads.
    link = ShareLink.objects.create(
        project=newest, label="bench", downloads="originals", allows_favourites=True
    )
    return {
        "pictures": count,
        "seconds": seconds,
        "project_url": newest.get_absolute_url(),
        "share_url": link.get_absolute_url(),
    }


def scale(project_count: int) -> dict:
    """Bulk rows, then the gallery page: its median time and its queries."""
    owner = get_user_model().objects.create_user("bench-owner", password="bench-password-1")
    categories = Category.objects.bulk_create(
        Category(name=name, slug=name.lower()) for name in ["Landscape", "Travel", "Abstract"]
    )
    now = timezone.now()
    Project.objects.bulk_create(
        (
            Project(
                owner=owner,
                title=f"Project {number}",
                slug=f"project-{number}",
                category=categories[number % 3],
                visibility="public" if number % 10 else "private",
                created=now - timedelta(minutes=number),
                updated=now,
            )
            for number in range(project_count)
        ),
        batch_size=2000,
    )
    # Pictures point at a few real names, each with its renditions recorded.
    renditions = [
        {"width": width, "height": width * 2 // 3, "name": f"projects/1/a_w{width}.webp"}
        for width in (480, 720, 960, 1600)
    ]
    Picture.objects.bulk_create(
        (
            Picture(
                project_id=project_id,
                photo=f"projects/1/{position % 3}.jpg",
                width=6000,
                height=4000,
                position=position,
                renditions=renditions,
                renditions_spec="webp 480 720 960 1600",
            )
            for project_id in Project.objects.values_list("pk", flat=True)
            for position in range(10)
        ),
        batch_size=5000,
    )
    from django.core.cache import caches

    # Rendered, not kept: a kept page runs only the content version's query; the others are
    # what the size of the database can change (and what runs after every write).
    pages = caches["pages"]
    client = Client()
    for _ in range(5):
        pages.clear()
        client.get("/")
    timings = []
    for _ in range(60):
        pages.clear()
        started = time.perf_counter()
        response = client.get("/")
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    pages.clear()
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    plans = {}
    for query in queries.captured_queries:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
            plans[query["sql"][:80]] = [row[-1] for row in cursor.fetchall()]
    return {
        "projects": Project.objects.count(),
        "pictures": Picture.objects.count(),
        "median_ms": 1000 * statistics.median(timings),
        "queries": len(queries),
        "plans": plans,
    }


# Figure 3's lists: what each measures, and who asks (None: a visitor, whose pages are kept).
LIST_PAGES = {
    "gallery first page": (None, "/"),
    "gallery last page": (None, "/?page=last"),
    "a category": (None, "/?category=travel"),
    "the feed": (None, "/feed/"),
    "sitemap index": (None, "/sitemap.xml"),
    "studio of the big owner": ("owner", "/studio/"),
    "admin projects": ("staff", "/admin/portfolio/project/"),
    "admin projects, a search": ("staff", "/admin/portfolio/project/?q=Project+123"),
    "admin pictures": ("staff", "/admin/portfolio/picture/"),
    "admin pictures, a search": ("staff", "/admin/portfolio/picture/?q=Project+123"),
    # Found as often at every size: one project, its ten pictures.
    "admin projects, a one-match term": ("staff", "/admin/portfolio/project/?q=Harbour"),
    "admin pictures, a one-project term": ("staff", "/admin/portfolio/picture/?q=Harbour"),
    # Last: on main it loads every project's pictures (the issue: 56 s, 7.8 GB at 100,000).
    "sitemap projects section": (None, "/sitemap-projects.xml"),
}
LIST_ROUNDS = 15
ONE_OF_A_KIND = 7  # The project titled "Harbour at dawn" (a public one).
# A term every row has: Django's search meets a page of matches at once, newest first.
ADMIN_COMMON_SEARCHES = {
    "admin projects, a common term": ("staff", "/admin/portfolio/project/?q=Project"),
    "admin pictures, a common term": ("staff", "/admin/portfolio/picture/?q=Project"),
}
# Each section's first and last file: the last is where an OFFSET would grow. "last" is
# read from the index once the rows are made.
SITEMAP_SECTIONS = {
    "sitemap pictures section": (None, "/sitemap-pictures.xml"),
    "sitemap projects section, its last file": (None, "/sitemap-projects.xml?p=last"),
    "sitemap pictures section, its last file": (None, "/sitemap-pictures.xml?p=last"),
}
ALL_LISTS = {**LIST_PAGES, **ADMIN_COMMON_SEARCHES, **SITEMAP_SECTIONS}
PROJECT_PAGE_ROUNDS = 15  # Each page at each size: a first response is 10-70 ms.


def lists(project_count: int) -> dict:
    """
    `project_count` projects of ten pictures (a tenth of them the big owner's), made by
    bulk_create and INSERT ... SELECT; then each list page's median time, queries and bytes.
    """
    return list_rows_and_pages(project_count, ALL_LISTS)


def some_lists(project_count: int, prefix: str) -> dict:
    """
    Figure 3's rows, then only its lists whose name starts with `prefix` ("admin", "sitemap"),
    with the plans of every query they run.
    """
    chosen = {name: page for name, page in ALL_LISTS.items() if name.startswith(prefix)}
    return list_rows_and_pages(project_count, chosen, plan=planned)


def list_rows_and_pages(project_count: int, list_pages: dict, plan=None) -> dict:
    user_model = get_user_model()
    owners = [
        user_model.objects.create_user("bench-owner", password="bench-password-1"),
        user_model.objects.create_user("bench-studio", password="bench-password-1"),
    ]
    staff = user_model.objects.create_user("bench-staff", is_staff=True, is_superuser=True)
    categories = Category.objects.bulk_create(
        Category(name=name, slug=name.lower()) for name in ["Landscape", "Travel", "Abstract"]
    )
    started = time.perf_counter()
    now = timezone.now()
    Project.objects.bulk_create(
        (
            Project(
                owner=owners[number % 10 == 1],
                # One title no other shares, at every size: a search that finds one project.
                title="Harbour at dawn" if number == ONE_OF_A_KIND else f"Project {number}",
                slug=f"project-{number}",
                category=categories[number % 3],
                visibility="public" if number % 10 else "private",
                created=now - timedelta(minutes=number),
                updated=now,
                published=now - timedelta(minutes=number),
            )
            for number in range(project_count)
        ),
        batch_size=5000,
    )
    copy_pictures(Project.objects.order_by("pk").values_list("pk", flat=True), 10)
    analyze()
    made_seconds = time.perf_counter() - started
    clients = {None: Client(), "owner": Client(), "staff": Client()}
    clients["owner"].force_login(owners[1])
    clients["staff"].force_login(staff)
    pages = {}
    for name, (who, url) in list_pages.items():
        url = last_sitemap_file(clients[None], url) if url.endswith("?p=last") else url
        explain = project_count >= 100_000
        pages[name] = measure(clients[who], url, LIST_ROUNDS, explain=explain, plan=plan)
    return {
        "backend": connection.vendor,
        "projects": Project.objects.count(),
        "pictures": Picture.objects.count(),
        "big_owner_projects": Project.objects.filter(owner=owners[1]).count(),
        "made_seconds": made_seconds,
        "pages": pages,
    }


def last_sitemap_file(client: Client, url: str) -> str:
    """`url` with the number of its section's last file, as the sitemap's index lists it."""
    from django.core.cache import caches

    section = url.removesuffix("?p=last")
    caches["pages"].clear()  # Another size's database may have left its index under this version.
    index = client.get("/sitemap.xml").content.decode()
    last = max([1, *map(int, re.findall(re.escape(section) + r"\?p=(\d+)<", index))])
    return f"{section}?p={last}"


def big(picture_counts: list[int]) -> dict:
    """
    One public project of each of `picture_counts` pictures, shared, each its own owner's, in
    one database: their pages' first responses, timed in turn (a round asks every page of
    every project once), so that a busy moment of the machine falls on all of them.
    """
    pages, projects = {}, {}
    for count in picture_counts:
        owner = get_user_model().objects.create_user(
            f"bench-owner-{count}", password="bench-password-1"
        )
        project = Project.objects.create(
            owner=owner, title=f"Wedding {count}", visibility="public"
        )
        copy_pictures([project.pk], count)
        link = ShareLink.objects.create(
            project=project, label="bench", downloads="originals", allows_favourites=True
        )
        visitor, signed_in = Client(), Client()
        signed_in.force_login(owner)
        projects[count] = project
        pages[count] = {
            "public page": (visitor, project.get_absolute_url()),
            "share page": (visitor, link.get_absolute_url()),
            "edit page": (
                signed_in,
                reverse("portfolio:project-update", kwargs={"slug": project.slug}),
            ),
            "studio list": (signed_in, reverse("portfolio:studio")),
        }
    analyze()
    timed = measure_in_turn(
        {(count, name): page for count in pages for name, page in pages[count].items()},
        PROJECT_PAGE_ROUNDS,
    )
    return {
        count: {
            "backend": connection.vendor,
            "pictures": project.pictures.count(),
            "pages": {name: timed[count, name] for name in pages[count]},
        }
        for count, project in projects.items()
    }


def measure_in_turn(pages: dict, rounds: int) -> dict:
    """
    Each of `pages` ({key: (client, url)}) rendered afresh `rounds` times, one of each in
    turn: {key: its median, queries and bytes}, as measure() gives them.
    """
    timings = {key: [] for key in pages}
    last = {}
    for _ in range(rounds):
        for key, (client, url) in pages.items():
            seconds, *last[key] = render_afresh(client, url)
            timings[key].append(seconds)
    return {key: page_row(url, timings[key], *last[key]) for key, (_, url) in pages.items()}


def where(picture_count: int) -> dict:
    """
    One public project of `picture_count` pictures: where its last picture is, as a link to it
    asks (htmx, ?at=<id>), against a step, which a link loaded for every step before it.
    """
    owner = get_user_model().objects.create_user("bench-owner", password="bench-password-1")
    project = Project.objects.create(owner=owner, title="Wedding", visibility="public")
    copy_pictures([project.pk], picture_count)
    analyze()
    last = project.pictures.in_display_order().last()
    url = project.get_absolute_url()
    htmx = Client(headers={"HX-Request": "true"})
    rounds = 20
    row = {
        "backend": connection.vendor,
        "pictures": project.pictures.count(),
        "where": measure(htmx, f"{url}?at={last.pk}", rounds, explain=True, status=204),
        "steps before it": (picture_count - 1) // settings.PORTFOLIO_STEP_SIZE,
    }
    found = json.loads(htmx.get(f"{url}?at={last.pk}")["HX-Trigger"])["step-found"]
    if found["step"]:  # Its step, as htmx loads it (the first step is the page).
        row["its step"] = measure(htmx, found["url"].split("#")[0], rounds)
    return row


def copy_pictures(project_ids, per_project: int) -> None:
    """
    `per_project` pictures for each project: the first project's made by bulk_create, then
    copied to the others by the database itself (a million Picture objects take minutes).
    """
    project_ids = list(project_ids)
    renditions = [
        {"width": width, "height": width * 2 // 3, "name": f"projects/1/a_w{width}.webp"}
        for width in (480, 720, 960, 1600)
    ]
    Picture.objects.bulk_create(
        (
            Picture(
                project_id=project_ids[0],
                photo=f"projects/1/{position % 3}.jpg",
                caption=f"Picture {position}",
                width=6000,
                height=4000,
                position=position,
                renditions=renditions,
                renditions_spec="webp 480 720 960 1600",
            )
            for position in range(per_project)
        ),
        batch_size=5000,
    )
    if len(project_ids) == 1:
        return
    table = Picture._meta.db_table
    columns = [
        field.column
        for field in Picture._meta.local_concrete_fields
        if field.column not in ("id", "project_id")
    ]
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    # A public project's renditions are public files (the sitemap lists them), others not.
    copied = ", ".join(
        "project.visibility = 'public'"
        if column == "renditions_public"
        else f"template.{connection.ops.quote_name(column)}"
        for column in columns
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (project_id, {quoted}) "
            f"SELECT project.id, {copied} FROM {Project._meta.db_table} AS project "
            f"CROSS JOIN {table} AS template "
            "WHERE template.project_id = %s AND project.id <> %s",
            [project_ids[0], project_ids[0]],
        )
    Project.objects.count_pictures(changed=False)  # Rows written around Picture: counted afresh.


def analyze() -> None:
    """Fresh statistics (and, on PostgreSQL, the visibility map index-only scans read)."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def measure(
    client: Client,
    url: str,
    rounds: int,
    explain: bool = False,
    status: int = 200,
    plan=None,
) -> dict:
    """A page rendered afresh `rounds` times (the page cache emptied): median, queries, bytes."""
    timings = []
    for _ in range(rounds):
        seconds, queries, response = render_afresh(client, url, status)
        timings.append(seconds)
    row = page_row(url, timings, queries, response)
    # The plans `plan` returns (explained's, of what reads a big table without an index).
    plan = plan or (explained if explain else None)
    if plan:
        row["plans"] = [found for found in map(plan, queries.captured_queries) if found]
    return row


def render_afresh(client: Client, url: str, status: int = 200) -> tuple:
    """The page rendered with the page cache emptied: its seconds, its queries, the response."""
    from django.core.cache import caches

    caches["pages"].clear()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        seconds = time.perf_counter() - started
    assert response.status_code == status, (url, response.status_code)
    return seconds, queries, response


def page_row(url: str, timings: list[float], queries, response) -> dict:
    """What a page's measure shows: its median time, its last queries and bytes."""
    row = {
        "url": url,
        "median_ms": 1000 * statistics.median(timings),
        "queries": len(queries),
        "bytes": len(response.content),
    }
    if "/admin/" in url:  # An admin list: the rows it shows, a checkbox each.
        row["rows"] = response.content.count(b'class="action-checkbox"')
    return row


def explained(query: dict) -> dict | None:
    """The plan of a query that reads a table without an index, else None."""
    sql = query["sql"]
    if not sql.lstrip().upper().startswith("SELECT"):
        return None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN {sql}")
            plan = [row[0] for row in cursor.fetchall()]
            scans = [line for line in plan if "Seq Scan" in line]
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = [row[-1] for row in cursor.fetchall()]
            scans = [line for line in plan if line.startswith("SCAN ")]
    return {"sql": sql, "plan": plan} if scans else None


def planned(query: dict) -> dict | None:
    """The plan, as run (EXPLAIN ANALYZE), of a query that reads the projects or pictures."""
    sql = query["sql"]
    tables = (Project._meta.db_table, Picture._meta.db_table)
    if not sql.lstrip().upper().startswith("SELECT") or not any(t in sql for t in tables):
        return None
    analyze = "EXPLAIN ANALYZE" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
    with connection.cursor() as cursor:
        cursor.execute(f"{analyze} {sql}")
        return {"sql": sql, "plan": [row[-1] for row in cursor.fetchall()]}


def breakdown() -> dict:
    """
    Where a gallery request's time goes, in this process through Django's WSGI handler
    (no server, no load generator): medians of interleaved rounds, in milliseconds.
    """
    from django.core.cache import caches
    from django.core.handlers.wsgi import WSGIHandler

    from portfolio.cache import content_version

    handler = WSGIHandler()
    pages = caches["pages"]
    project_url = Project.objects.order_by("-created", "-id").first().get_absolute_url()

    def get(path: str) -> int:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
        }
        statuses = []
        body = b"".join(handler(environ, lambda status, headers: statuses.append(status)))
        assert statuses[0].startswith("200"), (path, statuses, body[:300])
        return len(body)

    def gallery_queries() -> None:
        list(Category.objects.with_public_projects())
        Project.objects.public().count()
        list(Project.objects.public().with_cover()[:24])

    def nothing() -> None:
        pass

    # Each step with what is done, untimed, before it: a rendered page starts from an empty
    # page cache, a kept one is asked for once first (the previous round emptied the cache).
    steps = {
        "healthz": (nothing, lambda: get("/healthz")),
        "gallery_cached": (lambda: get("/"), lambda: get("/")),
        "gallery_rendered": (pages.clear, lambda: get("/")),
        "gallery_queries": (nothing, gallery_queries),
        "gallery_version": (nothing, content_version),
        "project_cached": (lambda: get(project_url), lambda: get(project_url)),
    }
    timings = {name: [] for name in steps}
    for round_number in range(320):
        for name, (prepare, step) in steps.items():
            prepare()
            started = time.perf_counter()
            step()
            if round_number >= 20:  # The first rounds warm up.
                timings[name].append(time.perf_counter() - started)
    medians = {name: 1000 * statistics.median(values) for name, values in timings.items()}
    return {**medians, "gallery_kb": get("/") / 1000}


def weight() -> dict:
    """
    What figure 4 needs besides a browser: the pages, and for each rendition's path under
    MEDIA_URL its picture, its own bytes and its original's (in the private storage, wherever
    that is).
    """
    media = Path(settings.MEDIA_ROOT)
    files = {}
    for picture in Picture.objects.all():
        original = picture.photo.size
        for record in picture.renditions:
            size = (media / record["name"]).stat().st_size
            files[record["name"]] = {"picture": picture.pk, "bytes": size, "original": original}
    project = Project.objects.order_by("-created", "-id").first()
    return {
        "media_url": settings.MEDIA_URL,
        "pages": {"gallery": "/", "project": project.get_absolute_url()},
        "files": files,
    }


def owner() -> dict:
    """An owner and an empty project, for an upload through the site's own pages."""
    password = "bench-password-1"
    user = get_user_model().objects.create_user("bench-owner", password=password)
    project = Project.objects.create(owner=user, title="Uploads", visibility="public")
    return {
        "username": user.username,
        "password": password,
        "project_url": project.get_absolute_url(),
        "upload_url": reverse("portfolio:picture-upload", kwargs={"slug": project.slug}),
    }


def uploaded() -> dict:
    """What the upload stored: pictures and how many have their renditions."""
    return {
        "pictures": Picture.objects.count(),
        "with_renditions": Picture.objects.exclude(renditions=[]).count(),
    }


def decode(photo: str) -> dict:
    from PIL import Image

    baseline = peak_rss_mb()
    started = time.perf_counter()
    with Image.open(photo) as image:
        image.load()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "baseline_rss_mb": baseline}


def stored_zip_project(owner, title: str, visibility: str, megabytes: int) -> Project:
    """
    A project of `megabytes` of web-size files of 8 MB, written straight to the private
    storage under picture rows: a ZIP of web sizes streams stored files, whatever made them.
    (An original would go through the metadata policy, which random bytes do not pass; each
    is held whole while it is rewritten, up to the upload limit: docs/access.md.)
    """
    from django.core.files.base import ContentFile

    from portfolio.access import private_storage

    project = Project.objects.create(owner=owner, title=title, visibility=visibility)
    chunk = os.urandom(8 * 1024 * 1024)
    for number in range(max(1, megabytes // 8)):
        stem = f"projects/{project.pk}/{number:04d}"
        Picture.objects.bulk_create(
            [
                Picture(
                    project=project,
                    photo=private_storage().save(f"{stem}.jpg", ContentFile(b"never read")),
                    web_size=private_storage().save(f"{stem}_web.jpg", ContentFile(chunk)),
                    renditions=[{"width": 1, "height": 1, "name": f"{stem}_w480.webp"}],
                    width=1,
                    height=1,
                    position=number,
                )
            ]
        )
    return project


def zip_download(megabytes: int) -> dict:
    """A project of `megabytes` of web sizes, downloaded whole as its owner's browser does."""
    owner = get_user_model().objects.create_user("zip-owner", password="bench-password-1")
    project = stored_zip_project(owner, "Zip", "private", megabytes)
    client = Client()
    client.force_login(owner)
    baseline = peak_rss_mb()
    started = time.perf_counter()
    response = client.get(
        reverse("portfolio:project-download", kwargs={"slug": project.slug}), {"size": "web"}
    )
    sent = sum(len(part) for part in response.streaming_content)
    seconds = time.perf_counter() - started
    return {
        "megabytes": sent / 1024 / 1024,
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "baseline_rss_mb": baseline,
    }


def zip_readers(clients: int) -> dict:
    """
    Twelve public projects for the gallery, each with a small real picture (through the gate,
    with its renditions), and an unlisted project of 64 MB of web sizes with a link for each
    client, made as for figure 7.
    """
    from django.core.files.base import ContentFile
    from PIL import Image

    owner = get_user_model().objects.create_user("zips-owner", password="bench-password-1")
    image = io.BytesIO()
    Image.linear_gradient("L").resize((1200, 800)).convert("RGB").save(image, "JPEG")
    for number in range(12):
        project = Project.objects.create(
            owner=owner, title=f"Gallery {number}", visibility="public"
        )
        picture = Picture(project=project, caption=f"Picture {number}")
        picture.photo.save(f"gallery{number}.jpg", ContentFile(image.getvalue()), save=True)
    project = stored_zip_project(owner, "Shoot", "unlisted", 64)
    links = [
        ShareLink.objects.create(project=project, label=f"client {n}", downloads="web")
        for n in range(clients)
    ]
    return {
        "zip_mb": 64,
        "zip_urls": [
            reverse("portfolio:share-download", kwargs={"token": link.token}) + "?size=web"
            for link in links
        ],
    }


def slots() -> dict:
    from portfolio.models import DownloadSlot

    return {"held": DownloadSlot.objects.held().count()}


def gate(photos: list[str]) -> dict:
    """The gate alone on each photo, one after another: what one upload's judging costs."""
    from portfolio.images.gate import prepare_upload

    with open(photos[0], "rb") as first:
        prepare_upload(File(first))  # Starts the judge process, as a worker's first upload does.
    started = time.perf_counter()
    for photo in photos:
        with open(photo, "rb") as file:
            prepare_upload(File(file))
    seconds = time.perf_counter() - started
    return {"files": len(photos), "seconds": seconds}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    actions = {
        "seed": lambda: seed(arguments),
        "scale": lambda: scale(int(arguments[0])),
        "lists": lambda: lists(int(arguments[0])),
        "some_lists": lambda: some_lists(int(arguments[0]), arguments[1]),
        "big": lambda: big([int(count) for count in arguments]),
        "where": lambda: where(int(arguments[0])),
        "weight": weight,
        "breakdown": breakdown,
        "owner": owner,
        "uploaded": uploaded,
        "decode": lambda: decode(arguments[0]),
        "zip": lambda: zip_download(int(arguments[0])),
        "gate": lambda: gate(arguments),
        "zip_readers": lambda: zip_readers(int(arguments[0])),
        "slots": slots,
    }
    print(json.dumps(actions[command]()))
