"""
`make bench`: the figures of issues 4 and 9, each a ratio measured side by side in this
run, printed as a table and written to bench/RESULTS.md (bench/report.py) with the machine
it ran on. Everything it makes lives in a temporary folder, removed at the end.

    bench/.venv/bin/python bench/run.py          every figure, writes RESULTS.md
    bench/.venv/bin/python bench/run.py 2 5      only those figures, printed, RESULTS.md untouched
"""

import json
import multiprocessing
import os
import pwd
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

import report

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
from tests.production.nginx_sample import zip_location  # noqa: E402

PYTHON = sys.executable
PHOTO_COUNT = 10
LIBRARIES = [
    "ours",
    "ours-renditions",
    "easy-thumbnails",
    "sorl-thumbnail",
    "pyvips",
    "pillow-naive",
]
GUNICORN_WORKERS = 2
LOAD_SECONDS = 4
# Five rounds, of which the median: it shrugs off a moment the machine was busy elsewhere.
LOAD_ROUNDS = 5
# Figure 3 from issue 21: the lists at a thousand and a hundred thousand projects (ten
# pictures each), and one project's pages at ten and twenty thousand pictures.
LIST_PROJECTS = (1_000, 100_000)
BIG_PROJECT = (10, 20_000)
# By number, 1 to 5 from issue 4, 6 from issue 9, 7 from issue 11, 8 from issue 13, 9 from
# issue 19, 10 from issue 20: `bench/run.py 2` runs only page speed.
FIGURES = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
# Lighthouse as tests/browser/test_lighthouse.py runs it (`make bench` installs it), in
# Debian's Chromium; nginx as the sample in docs/production.md puts it in front of gunicorn.
LIGHTHOUSE = ROOT / "tests" / "browser" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
NGINX = "/usr/sbin/nginx"
# Figure 9's folder: a shoot of 6-megapixel photos, big enough that judging them is the work,
# small enough that the figure takes a minute or two on two cores.
# Figure 5: uploads and decodes, taken in turn; the median of each.
UPLOAD_ROUNDS = 5
FOLDER_PHOTO_COUNT = 100
FOLDER_PHOTO_SIZE = (3000, 2000)
# Figure 10: clients reading ZIPs slowly (each on a link of its own, as many as the site takes
# at once), while a load balancer's probes time /healthz and the gallery, one at a time.
ZIP_READERS = 16
ZIP_READER_BYTES_PER_SECOND = 128 * 1024
PROBES = 100
PROBE_GAP_SECONDS = 0.05
PROBE_TIMEOUT_SECONDS = 5
READER_ANSWER_SECONDS = 20
# As the sample before issue 20 did for a ZIP larger than nginx's temporary file (1 GB by
# default), scaled down to these 64 MB ZIPs; so few probes, as each may wait its 5 s out.
ZIP_PAST_BUFFER_MB = 16
PAST_BUFFER_PROBES = 4
# The download process as docs/production.md runs it on each app server.
DOWNLOAD_PROCESS = ("--threads", "20", "--timeout", "120")
# As tests/browser/conftest.py starts it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    figures = selected_figures(sys.argv[1:])
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="portfolio-bench-"))
    try:
        results = run(work, figures)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["total_seconds"] = time.perf_counter() - started
    text = report.render(results, figures)
    if figures != FIGURES:
        # A partial run is for iterating: RESULTS.md holds only complete runs.
        print(json.dumps(results, indent=2))
    else:
        (BENCH / "RESULTS.md").write_text(text)
    print(text)


def selected_figures(arguments: list[str]) -> tuple[str, ...]:
    """The figures named on the command line (e.g. `2`, or `2 5`), all of them by default."""
    unknown = sorted(set(arguments) - set(FIGURES))
    if unknown:
        sys.exit(f"Unknown figure {', '.join(unknown)}: choose from {' '.join(FIGURES)}.")
    return tuple(figure for figure in FIGURES if figure in arguments) or FIGURES


def run(work: Path, figures: tuple[str, ...] = FIGURES) -> dict:
    results = {}
    # Scale makes rows, not files; judging uploads needs one photo, the others ten.
    photo_count = PHOTO_COUNT if set(figures) & {"1", "2", "4", "5", "8"} else int("6" in figures)
    if photo_count:
        step(f"Generating {photo_count} 24-megapixel photo{'s' * (photo_count > 1)}")
        photo_folder = work / "photos"
        photo_folder.mkdir()
        with multiprocessing.Pool(2) as pool:
            pool.starmap(make_photo, [(seed, photo_folder) for seed in range(photo_count)])
        photos = sorted(str(path) for path in photo_folder.glob("*.jpg"))
        results["photos"] = photo_stats(photos)

    if "1" in figures:
        step("1. Renditions, each library in a fresh process, two rounds in opposite orders")
        results["renditions"] = renditions(work, photos)

    template_db = work / "template.sqlite3"
    if set(figures) != {"6"}:  # Judging uploads needs no database.
        site("migrate", env=site_env(work, template_db, "unused"))
        site(
            "collectstatic", "--no-input", "--verbosity", "0", env=site_env(work, template_db, "x")
        )

    if set(figures) & {"2", "4", "8"}:
        step("Seeding a site: 30 projects, 41 pictures uploaded from the photos")
        site_db, site_media = fresh_db(work, template_db, "site"), work / "site-media"
        env = site_env(work, site_db, site_media)
        results["seeded"] = worker("seed", *photos, env=env)

    if "2" in figures:
        step("2. Requests per second under gunicorn")
        results["pages"] = load_test(env, results["seeded"]["project_url"])
        print(f"   {results['pages']}")
        results["breakdown"] = worker("breakdown", env=env)
        print(f"   in-process breakdown (ms): {results['breakdown']}")

    if "4" in figures:
        step("4. Page weight, in Chromium behind nginx")
        results["weight"] = page_weight(work, env)
        print(f"   {results['weight']}")

    if "8" in figures:
        step("8. Lighthouse performance behind nginx, as a phone and as a desktop")
        # The site `make run` shows (its demo drawings), then the seeded 24-megapixel photos.
        demo_env = site_env(work, fresh_db(work, template_db, "demo"), work / "demo-media")
        site("seed_demo", env=demo_env)
        site("build_renditions", env=demo_env)
        results["lighthouse"] = {
            "demo": lighthouse_performance(work, demo_env),
            "photographs": lighthouse_performance(
                work, env, results["seeded"]["project_url"], results["seeded"]["share_url"]
            ),
        }
        print(f"   {results['lighthouse']}")

    if "3" in figures:
        step("3. Scale: 100 against 10,000 projects")
        results["scale"] = {}
        for projects in (100, 10_000):
            db = fresh_db(work, template_db, f"scale-{projects}")
            results["scale"][projects] = worker(
                "scale", str(projects), env=site_env(work, db, work / "m")
            )
            print(f"   {projects}: {results['scale'][projects]}")
        results["scale_big"] = {"sqlite": {}, "postgresql": {}}
        step(f"3. A project of {' against '.join(map(str, BIG_PROJECT))} pictures, on SQLite")
        results["scale_big"]["sqlite"] = big_project_pages(
            work, lambda name: fresh_db(work, template_db, name)
        )
        step("3. Starting a throwaway PostgreSQL (.ci/services)")
        with postgresql(work) as server:
            template = pg_database(server, "bench_template")
            site("migrate", env=site_env(work, template, "unused"))
            step(f"3. Lists at {' against '.join(map(str, LIST_PROJECTS))} projects, PostgreSQL")
            results["scale_lists"] = {}
            for projects in LIST_PROJECTS:
                db = pg_database(server, f"bench_lists_{projects}", template="bench_template")
                row = worker("lists", str(projects), env=site_env(work, db, work / "m"))
                results["scale_lists"][projects] = row
                print(f"   {projects}: {row['made_seconds']:.0f} s to make the rows")
            step(f"3. A project of {' against '.join(map(str, BIG_PROJECT))} pictures, PostgreSQL")
            results["scale_big"]["postgresql"] = big_project_pages(
                work, lambda name: pg_database(server, f"bench_{name}", template="bench_template")
            )

    if "5" in figures:
        step("5. Upload of a 24-megapixel JPEG through the upload view")
        env = site_env(work, fresh_db(work, template_db, "up"), work / "up")
        results["upload"], results["decode"] = upload(env, photos[0])
        print(f"   upload {results['upload']}, decode {results['decode']}")

    if "6" in figures:
        step("6. Judging uploads: well-formed files against their budget, hostile ones refused")
        env = site_env(work, work / "unused.sqlite3", work / "judged")
        results["judging"] = worker(photos[0], env=env, script="gate_worker.py")
        print(f"   {results['judging']}")

    if "7" in figures:
        step("7. A project downloaded as one ZIP: 16 MB against 1 GB")
        results["zip"] = {}
        for megabytes in (16, 1024):
            database = fresh_db(work, template_db, f"zip-{megabytes}")
            env = {
                **site_env(work, database, work / "zm"),
                "DJANGO_PRIVATE_MEDIA_ROOT": str(work / f"zp{megabytes}"),
            }
            results["zip"][megabytes] = worker("zip", str(megabytes), env=env)
            shutil.rmtree(work / f"zp{megabytes}", ignore_errors=True)
            print(f"   {megabytes} MB: {results['zip'][megabytes]}")

    if "9" in figures:
        step(f"9. A folder of {FOLDER_PHOTO_COUNT} photos uploaded in Chromium, against the gate")
        folder = work / "shoot"
        folder.mkdir()
        with multiprocessing.Pool(2) as pool:
            pool.starmap(
                make_photo,
                [(seed, folder, f"IMG_{seed + 1:04}.jpg") for seed in range(FOLDER_PHOTO_COUNT)],
            )
        env = site_env(work, fresh_db(work, template_db, "folder"), work / "folder-media")
        shoot = sorted(str(path) for path in folder.iterdir())
        results["folder"] = {
            "photos": photo_stats(shoot),
            "gate": worker("gate", *shoot, env=env),
            "browser": folder_upload(env, folder),
        }
        print(f"   {results['folder']}")

    if "10" in figures:
        step(f"10. /healthz and the gallery while {ZIP_READERS} clients read ZIPs slowly")
        env = site_env(work, fresh_db(work, template_db, "zips"), work / "zips-media")
        world = worker("zip_readers", str(ZIP_READERS), env=env)
        results["zip_load"] = zip_load(work, env, world)
        print(f"   {results['zip_load']}")
    return results


def renditions(work: Path, photos: list[str]) -> dict:
    """Each library in a fresh process, in two rounds, the second in reverse order."""
    results = {}
    for order in (LIBRARIES, LIBRARIES[::-1]):
        for library in order:
            output_folder = work / f"out-{library}"
            shutil.rmtree(output_folder, ignore_errors=True)
            output = subprocess.run(
                [PYTHON, BENCH / "renditions_worker.py", library, output_folder, *photos],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            row = json.loads(output.strip().splitlines()[-1])
            print(f"   {library}: {row}")
            # The faster round (less disturbed by the machine), the larger memory peak.
            best = results.setdefault(library, row)
            best["ms_per_image"] = min(best["ms_per_image"], row["ms_per_image"])
            best["cpu_ms_per_image"] = min(best["cpu_ms_per_image"], row["cpu_ms_per_image"])
            if row["peak_rss_mb"] - row["baseline_rss_mb"] > (
                best["peak_rss_mb"] - best["baseline_rss_mb"]
            ):
                best["peak_rss_mb"] = row["peak_rss_mb"]
                best["baseline_rss_mb"] = row["baseline_rss_mb"]
    return results


def make_photo(seed: int, folder: Path, name: str = "") -> None:
    sys.path.insert(0, str(BENCH))
    from photos import make_photo as draw

    if name:
        draw(seed, folder / name, FOLDER_PHOTO_SIZE)
    else:
        draw(seed, folder / f"photo{seed:02}.jpg")


def photo_stats(photos: list[str]) -> dict:
    sizes = [Path(photo).stat().st_size for photo in photos]
    return {"count": len(photos), "mean_mb": sum(sizes) / len(sizes) / 1e6}


def step(message: str) -> None:
    print(f"== {message}", flush=True)


def site_env(work: Path, database: Path | str, media) -> dict:
    return {
        **os.environ,
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-anything-else",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DATABASE_URL": database if isinstance(database, str) else f"sqlite:///{database}",
        "DJANGO_MEDIA_ROOT": str(media),
        # Originals and non-public files: in the run's folder too, never the repository's.
        "DJANGO_PRIVATE_MEDIA_ROOT": f"{media}-private",
        "DJANGO_DEBUG": "",
        # Production settings, served over plain http on the loopback, as behind a TLS proxy.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
    }


def fresh_db(work: Path, template: Path, name: str) -> Path:
    database = work / f"{name}.sqlite3"
    shutil.copyfile(template, database)
    return database


@contextmanager
def postgresql(work: Path) -> Iterator[str]:
    """A throwaway PostgreSQL server as the tests start it (.ci/services), by its URL."""
    env = {**os.environ, "SERVICES_DIR": str(work / "services")}
    services = [str(ROOT / ".ci" / "services")]
    subprocess.run([*services, "start"], env=env, check=True, capture_output=True)
    try:
        found = re.search(r"DATABASE_URL=(\S+)", (work / "services" / "env").read_text())
        yield found.group(1)
    finally:
        subprocess.run([*services, "stop"], env=env, capture_output=True)


def pg_database(server: str, name: str, template: str | None = None) -> str:
    """A new database on the server (a copy of `template`, if named): its URL."""
    import psycopg

    copied = f" TEMPLATE {template}" if template else ""
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}{copied}")
    return f"{server.rsplit('/', 1)[0]}/{name}"


def site(*arguments: str, env: dict) -> None:
    subprocess.run(
        [PYTHON, ROOT / "manage.py", *arguments],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def worker(*arguments: str, env: dict, script: str = "site_worker.py") -> dict:
    completed = subprocess.run(
        [PYTHON, BENCH / script, *arguments],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if completed.returncode:
        sys.exit(f"{script} {arguments[0]} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# Page speed ###################################################################


def load_test(env: dict, project_url: str) -> dict:
    generator = ensure_wrk()
    with gunicorn(env, GUNICORN_WORKERS) as (base, _):
        urls = {"healthz": "/healthz", "gallery": "/", "project": project_url}
        for path in urls.values():  # Warm every worker's caches, the page cache too.
            measure(generator, base + path, 1)
        rates = {name: [] for name in urls}
        for _ in range(LOAD_ROUNDS):  # Interleaved, so a noisy moment hits all three.
            for name, path in urls.items():
                rates[name].append(measure(generator, base + path, LOAD_SECONDS))
    return {
        "generator": generator,
        "workers": GUNICORN_WORKERS,
        "rounds": LOAD_ROUNDS,
        "seconds": LOAD_SECONDS,
        "rates": {name: statistics.median(values) for name, values in rates.items()},
    }


# Figure 4's window, at device pixel ratios 1 and 2.
WEIGHT_WINDOW = {"width": 1280, "height": 800}
# The images the window shows once the page has settled: those whose box meets it, each by
# the file the browser chose for it (a cover shown twice, on top and in the grid, is one).
SHOWN_IMAGES = """() => [...document.images].filter(image => {
    const box = image.getBoundingClientRect();
    return image.currentSrc && box.width > 0 && box.bottom > 0 && box.top < innerHeight;
}).map(image => [image.currentSrc, image.complete])"""


def page_weight(work: Path, env: dict) -> dict:
    """
    Figure 4: the bytes of the images a first screen shows, at DPR 1 and 2, against their
    originals'; measured in Chromium, so that what is lazy or waits for the cover counts as
    a browser loads it.
    """
    from playwright.sync_api import sync_playwright

    sources = worker("weight", env=env)
    files = sources["files"]
    result = {}
    with (
        gunicorn(env, GUNICORN_WORKERS) as (app, _),
        nginx(work, app, env) as base,
        sync_playwright() as playwright,
    ):
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        for name, path in sources["pages"].items():
            row = {}
            for dpr in (1, 2):
                context = chromium.new_context(viewport=WEIGHT_WINDOW, device_scale_factor=dpr)
                page = context.new_page()
                page.goto(base + path, wait_until="load")
                page.wait_for_function(
                    f"() => !document.querySelector('.cover-first') && ({SHOWN_IMAGES})()"
                    ".every(([_, complete]) => complete)"
                )
                shown = {
                    urllib.parse.urlsplit(url).path.removeprefix(sources["media_url"])
                    for url, _ in page.evaluate(SHOWN_IMAGES)
                }
                context.close()
                pictures = {files[file]["picture"]: files[file]["original"] for file in shown}
                row.setdefault("images", len(pictures))
                row.setdefault("originals", sum(pictures.values()))
                assert row["originals"] == sum(pictures.values()), "DPRs showed other pictures"
                row[f"dpr{dpr}"] = sum(files[file]["bytes"] for file in shown)
            result[name] = row
        chromium.close()
    return result


def lighthouse_performance(
    work: Path, env: dict, project_url: str = "", share_url: str = ""
) -> dict:
    """Lighthouse's performance score and metrics of the gallery and a project page (by
    default the gallery's first), and of that project's share page if given one."""
    reports = {}
    with gunicorn(env, GUNICORN_WORKERS) as (app, _), nginx(work, app, env) as base:
        if not project_url:
            gallery = urllib.request.urlopen(base + "/").read().decode()
            project_url = re.search(r'href="(/projects/[^"/]+/)"', gallery)[1]
        pages = {"gallery": "/", "project": project_url}
        if share_url:
            pages["share"] = share_url  # Never cached: rendered for each of Lighthouse's loads.
        for page, path in pages.items():
            urllib.request.urlopen(base + path).read()  # Kept by the page cache from now on.
            for form_factor in ("mobile", "desktop"):
                reports[f"{page} {form_factor}"] = lighthouse(base + path, form_factor)
    return reports


# Lighthouse's own advice on its variability: the median of several runs (of 5, twice as
# stable as one). Three keep figure 8 within a few minutes; a demo gallery measured 100 alone
# and 96 once in a full run.
LIGHTHOUSE_RUNS = 3


def lighthouse(url: str, form_factor: str) -> dict:
    """The median of LIGHTHOUSE_RUNS runs by score (that run's metrics), and every score."""
    runs = sorted(
        (lighthouse_once(url, form_factor) for _ in range(LIGHTHOUSE_RUNS)),
        key=lambda run: (run["score"], -run["lcp_ms"]),
    )
    return {**runs[len(runs) // 2], "scores": [run["score"] for run in runs]}


def lighthouse_once(url: str, form_factor: str) -> dict:
    command = [
        str(LIGHTHOUSE),
        url,
        "--only-categories=performance",
        "--output=json",
        "--quiet",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run "
        "--disable-background-networking --disable-component-update --disable-sync",
    ]
    if form_factor == "desktop":
        command.append("--preset=desktop")
    for _ in range(3):
        completed = subprocess.run(
            command, env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True, text=True
        )
        # A trace Chrome failed to record (NO_NAVSTART and the like): Lighthouse asks for
        # another run rather than reporting a score.
        if "Please run Lighthouse again" not in completed.stderr:
            break
    if completed.returncode:
        sys.exit(f"Lighthouse failed on {url}:\n{completed.stderr[-2000:]}")
    report = json.loads(completed.stdout)
    audits = report["audits"]
    metrics = {
        "fcp_ms": "first-contentful-paint",
        "lcp_ms": "largest-contentful-paint",
        "tbt_ms": "total-blocking-time",
        "cls": "cumulative-layout-shift",
        "speed_index_ms": "speed-index",
    }
    images = [
        request["transferSize"]
        for request in audits["network-requests"]["details"]["items"]
        if request.get("resourceType") == "Image"
    ]
    return {
        "score": report["categories"]["performance"]["score"],
        **{name: audits[audit]["numericValue"] for name, audit in metrics.items()},
        "images": len(images),
        "image_kb": sum(images) / 1000,
    }


NGINX_CONFIG = """
daemon off;
user {user};
pid {work}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    gzip on;  # The pages (text/html), as the sample in docs/production.md.
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    fastcgi_temp_path {work}/nginx-fastcgi;
    uwsgi_temp_path {work}/nginx-uwsgi;
    scgi_temp_path {work}/nginx-scgi;
    server {{
        listen 127.0.0.1:{port};
        location /media/ {{
            alias {media}/;
            add_header Cache-Control "public, max-age=31536000, immutable";
        }}
        location / {{
            proxy_pass {app};
            proxy_set_header Host $http_host;
        }}
        {zip_location}
    }}
}}
"""


@contextmanager
def nginx(work: Path, app: str, env: dict, zip_location: str = "") -> Iterator[str]:
    """nginx on a free port: media from MEDIA_ROOT, everything else from the app."""
    port = free_port()
    config = work / "nginx.conf"
    media = env["DJANGO_MEDIA_ROOT"]
    user = pwd.getpwuid(os.getuid()).pw_name  # Its workers read our temporary folder.
    config.write_text(
        NGINX_CONFIG.format(
            user=user, work=work, port=port, media=media, app=app, zip_location=zip_location
        )
    )
    log = work / "nginx-error.log"
    server = subprocess.Popen([NGINX, "-p", str(work), "-c", str(config), "-e", str(log)])
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/healthz")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextmanager
def gunicorn(env: dict, workers: int, *options: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """The site under gunicorn's workers on a free port: its address and its master."""
    port = free_port()
    server = subprocess.Popen(
        [
            Path(PYTHON).parent / "gunicorn",
            "site_config.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            *options,
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/healthz")
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def ensure_wrk() -> str:
    if shutil.which("wrk"):
        return "wrk"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("   installing wrk from Debian")
        installed = subprocess.run(["apt-get", "install", "-y", "wrk"], capture_output=True)
        if installed.returncode:
            subprocess.run(["apt-get", "update"], capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "wrk"], capture_output=True)
    return "wrk" if shutil.which("wrk") else "python"


def measure(generator: str, url: str, seconds: int) -> float:
    if generator == "wrk":
        output = subprocess.run(
            ["wrk", "-t2", "-c8", f"-d{seconds}s", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if "Non-2xx" in output:
            raise RuntimeError(f"{url} answered errors under load:\n{output}")
        return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return python_load(url, seconds)


def python_load(url: str, seconds: int, connections: int = 8) -> float:
    """Fallback load generator (no wrk): keep-alive connections in threads."""
    host_port, _, path = url.removeprefix("http://").partition("/")
    host, port = host_port.split(":")
    deadline = time.perf_counter() + seconds
    counts = [0] * connections

    def hammer(slot: int) -> None:
        connection = HTTPConnection(host, int(port))
        while time.perf_counter() < deadline:
            connection.request("GET", "/" + path)
            response = connection.getresponse()
            response.read()
            assert response.status == 200, (url, response.status)
            counts[slot] += 1

    threads = [threading.Thread(target=hammer, args=(slot,)) for slot in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str) -> None:
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} never answered")


# ZIPs under load ##############################################################


def zip_load(work: Path, env: dict, world: dict) -> dict:
    """
    Probes of /healthz and the gallery behind nginx: alone, then while ZIP_READERS clients read
    ZIPs slowly, as docs/production.md configures it (a download process beside the page
    workers); then, for comparison, as the sample did before: every ZIP on the page workers,
    nginx buffering each to a temporary file (by default up to 1 GB a response), and the same
    once a ZIP is larger than that file may grow (scaled down: ZIP_PAST_BUFFER_MB).
    """
    urls, phases = world["zip_urls"], {}
    with (
        gunicorn(env, GUNICORN_WORKERS, "--threads", "4", "--timeout", "120") as (pages, _),
        gunicorn(env, 1, *DOWNLOAD_PROCESS) as (downloads, _),
    ):
        with nginx(work, pages, env, zip_location(downloads)) as base:
            warm(base)
            phases["alone"] = probe(base)
            phases["readers"] = probe_while_reading(work, base, urls, env, PROBES)
        with nginx(work, pages, env) as base:
            phases["buffered"] = probe_while_reading(work, base, urls, env, PROBES)
        past_buffer = f"proxy_max_temp_file_size {ZIP_PAST_BUFFER_MB}m;"
        with nginx(work, pages, env, past_buffer) as base:
            phases["past buffer"] = probe_while_reading(work, base, urls, env, PAST_BUFFER_PROBES)
    return {
        "readers": ZIP_READERS,
        "reader_kb_per_second": ZIP_READER_BYTES_PER_SECOND / 1024,
        "zip_mb": world["zip_mb"],
        "past_buffer_mb": ZIP_PAST_BUFFER_MB,
        "phases": phases,
    }


def probe(base: str, count: int = PROBES) -> dict:
    """`count` of each page, one request at a time on a new connection, as a load balancer."""
    times = {"healthz": [], "gallery": []}
    failures = dict.fromkeys(times, 0)
    for _ in range(count):
        for name, path in (("healthz", "/healthz"), ("gallery", "/")):
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(base + path, timeout=PROBE_TIMEOUT_SECONDS) as answer:
                    answer.read()
            except OSError:
                failures[name] += 1
            times[name].append((time.perf_counter() - started) * 1000)
            time.sleep(PROBE_GAP_SECONDS)
    summary = {"probes": count}
    for name, values in times.items():
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        summary[name] = {"p50_ms": cuts[49], "p99_ms": cuts[98], "failures": failures[name]}
    return summary


def probe_while_reading(work: Path, base: str, urls: list[str], env: dict, count: int) -> dict:
    """
    probe() while a slow reader reads each ZIP URL, with the largest temporary files nginx
    held meanwhile; then how long the readers' slots took to go once they left.
    """
    warm(base)
    stop = threading.Event()
    readers = [SlowReader(base, url, stop) for url in urls]
    for reader in readers:
        reader.start()
    deadline = time.perf_counter() + READER_ANSWER_SECONDS
    for reader in readers:
        reader.answered.wait(timeout=max(0, deadline - time.perf_counter()))
    spooled = TempFileWatch(work)
    spooled.start()
    summary = probe(base, count)
    spooled.stop.set()
    spooled.join()
    stop.set()
    for reader in readers:
        reader.join()
    started = time.perf_counter()
    while worker("slots", env=env)["held"] and time.perf_counter() - started < 60:
        time.sleep(0.5)
    summary["slots_freed_seconds"] = time.perf_counter() - started
    summary["slots_left"] = worker("slots", env=env)["held"]
    # 0: no answer within READER_ANSWER_SECONDS.
    summary["statuses"] = sorted({reader.status for reader in readers})
    summary["read_mb"] = sum(reader.read for reader in readers) / 2**20
    summary["temp_files_mb"] = spooled.peak / 2**20
    return summary


def warm(base: str) -> None:
    """Not timed: every worker started, the gallery in the page cache."""
    for path in ("/healthz", "/", "/healthz", "/"):
        urllib.request.urlopen(base + path, timeout=60).read()


class TempFileWatch(threading.Thread):
    """The peak of the bytes nginx's workers hold in temporary files (unlinked once opened)."""

    def __init__(self, work: Path) -> None:
        super().__init__(daemon=True)
        self.master = int((work / "nginx.pid").read_text())
        self.folder = str(work / "nginx-proxy")
        self.stop, self.peak = threading.Event(), 0

    def run(self) -> None:
        while not self.stop.wait(0.25):
            children = Path(f"/proc/{self.master}/task/{self.master}/children").read_text()
            held = 0
            for pid in children.split():
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    try:
                        if os.readlink(fd).startswith(self.folder):
                            held += fd.stat().st_blocks * 512
                    except OSError:  # Closed meanwhile.
                        pass
            self.peak = max(self.peak, held)


class SlowReader(threading.Thread):
    """A client on a slow link: reads a ZIP at ZIP_READER_BYTES_PER_SECOND until told to stop."""

    def __init__(self, base: str, path: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.host, _, port = base.removeprefix("http://").partition(":")
        self.port, self.path, self.stop = int(port), path, stop
        self.answered = threading.Event()
        self.status, self.read = 0, 0

    def run(self) -> None:
        with socket.create_connection((self.host, self.port), timeout=120) as connection:
            request = f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nConnection: close\r\n\r\n"
            connection.sendall(request.encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = connection.recv(4096)
                if not chunk:
                    return  # Closed before its headers: status stays 0, "none" in the figure.
                head += chunk
            self.status = int(head.split()[1])
            self.answered.set()
            while not self.stop.is_set():
                data = connection.recv(16 * 1024)
                if not data:
                    break
                self.read += len(data)
                time.sleep(len(data) / ZIP_READER_BYTES_PER_SECOND)


# Upload #######################################################################


def big_project_pages(work: Path, database) -> dict:
    """
    Figure 3's one project of each BIG_PROJECT size, in one database that `database(name)`
    makes: their pages' first responses, timed in turn (the "big" worker).
    """
    env = site_env(work, database("big"), work / "m")
    rows = worker("big", *map(str, BIG_PROJECT), env=env)
    for pictures, row in rows.items():
        print(f"   {pictures}: {row}")
    return {int(pictures): row for pictures, row in rows.items()}


def upload(env: dict, photo: str) -> tuple[dict, dict]:
    """
    Upload the photo as an owner does, through the site's pages under gunicorn: sign in
    with the login form, open the project page, post the file with its CSRF token; and
    decode it once with Pillow in a fresh process. UPLOAD_ROUNDS of each, taken in turn so
    that a busy moment of the machine falls on both; the median of each.
    Memory: the worker's peak (VmHWM) above what it held after those pages.
    """
    owner = worker("owner", env=env)
    uploads, decodes = [], []
    with gunicorn(env, 1) as (base, server):
        worker_pid = int(Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text())
        browser = Browser(base)
        login = browser.get("/accounts/login/")
        signed_in = browser.post_form(
            "/accounts/login/",
            {
                "username": owner["username"],
                "password": owner["password"],
                "csrfmiddlewaretoken": csrf_token(login),
            },
        )
        assert signed_in.status == 302, f"signing in failed: {signed_in.status}"
        page = browser.get(owner["project_url"])
        baseline = peak_rss_mb(worker_pid)
        with open(photo, "rb") as file:
            content = file.read()
        for _ in range(UPLOAD_ROUNDS):
            started = time.perf_counter()
            response = browser.post_form(
                owner["upload_url"],
                {"csrfmiddlewaretoken": csrf_token(page)},
                files={"photos": (Path(photo).name, content)},
            )
            uploads.append(time.perf_counter() - started)
            # A plain form post that stored its picture is redirected back to the project.
            assert response.status == 302, (
                f"upload failed: {response.status} {response.body[:500]}"
            )
            decodes.append(worker("decode", photo, env=env))
        peak = peak_rss_mb(worker_pid)
    stored = worker("uploaded", env=env)
    assert stored == {"pictures": UPLOAD_ROUNDS, "with_renditions": UPLOAD_ROUNDS}, stored
    upload_row = {
        "seconds": statistics.median(uploads),
        "rounds": uploads,
        "peak_rss_mb": peak,
        "baseline_rss_mb": baseline,
    }
    decode_row = {
        "seconds": statistics.median(row["seconds"] for row in decodes),
        "rounds": [row["seconds"] for row in decodes],
        "peak_rss_mb": statistics.median(row["peak_rss_mb"] for row in decodes),
        "baseline_rss_mb": statistics.median(row["baseline_rss_mb"] for row in decodes),
    }
    return upload_row, decode_row


def folder_upload(env: dict, folder: Path) -> dict:
    """
    Choose the folder on the project page in Chromium, as an owner does, and time it until
    the page says every file is uploaded; the site under gunicorn as the README runs it.
    """
    from playwright.sync_api import sync_playwright

    owner = worker("owner", env=env)
    count = len(list(folder.iterdir()))
    options = ("--threads", "4", "--timeout", "120")
    with gunicorn(env, GUNICORN_WORKERS, *options) as (base, _), sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = chromium.new_page()
        page.goto(base + "/accounts/login/")
        page.get_by_label("Username").fill(owner["username"])
        page.get_by_label("Password").fill(owner["password"])
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Sign out").wait_for()
        page.goto(base + owner["project_url"])
        requests = []

        def count_upload(request) -> None:
            if request.method == "POST" and request.url.endswith(owner["upload_url"]):
                requests.append(request)

        page.on("request", count_upload)
        started = time.perf_counter()
        page.get_by_label("Choose a folder").set_input_files(folder)
        page.wait_for_function(
            "text => document.getElementById('upload-status').textContent === text",
            arg=f"{count} of {count} checked.",
            timeout=900_000,
        )
        seconds = time.perf_counter() - started
        refusals = page.locator("#upload-errors li").all_text_contents()
        chromium.close()
    assert not refusals, refusals
    stored = worker("uploaded", env=env)
    assert stored == {"pictures": count, "with_renditions": count}, stored
    return {"files": count, "seconds": seconds, "requests": len(requests)}


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def csrf_token(response: "Response") -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.body).group(1)


@dataclass
class Response:
    status: int
    body: str


class Browser:
    """Just enough of a browser for the upload: cookies, forms and files, no redirects."""

    def __init__(self, base: str) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port = host, int(port)
        self.cookies: dict[str, str] = {}

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict, files: dict | None = None) -> Response:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
            for name, value in fields.items()
        ]
        for name, (filename, content) in (files or {}).items():
            parts.append(
                f"--{boundary}\r\nContent-Disposition: form-data; "
                f'name="{name}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n".encode()
                + content
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        content_type = f"multipart/form-data; boundary={boundary}"
        return self.request("POST", path, body, {"Content-Type": content_type})

    def request(self, method: str, path: str, body: bytes = b"", headers=None) -> Response:
        connection = HTTPConnection(self.host, self.port, timeout=120)
        cookies = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection.request(method, path, body, {**(headers or {}), "Cookie": cookies})
        response = connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";")[0]
        result = Response(response.status, response.read().decode(errors="replace"))
        connection.close()
        return result


if __name__ == "__main__":
    main()
