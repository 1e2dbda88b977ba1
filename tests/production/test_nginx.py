"""
nginx in front of gunicorn, configured as the sample in docs/production.md: public media from
MEDIA_ROOT, private files through Django's signed URLs, whose bytes nginx sends from an
internal location (X-Accel-Redirect), and the sample's own server for hosts not ours. Runs on
SQLite and disk: the app server has a database file of its own, filled by a `manage.py shell`
of the same environment.
"""

import getpass
import io
import json
import mimetypes
import re
import subprocess
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from pathlib import Path

import pytest
import requests

from tests.production.nginx_sample import catch_all_server, zip_location
from tests.production.services import app_server, free_port, manage, production_environment

NGINX = Path("/usr/sbin/nginx")
ACCEL_PREFIX = "/_private/"

# The world the server starts from: an owner, an unlisted project with one picture (its
# renditions in the private storage, as every original), and a link that lets its holder
# download originals.
SEED = """
import getpass
import json
import mimetypes
from portfolio.models import ShareLink
from tests.helpers import make_picture, make_project, make_user
project = make_project(make_user("studio"), title="Behind nginx", visibility="unlisted")
picture = make_picture(project, name="Portrait.jpg", size=(900, 600))
link = ShareLink.objects.create(project=project, label="for Anna", downloads="originals")
print(json.dumps({
    "share_url": link.get_absolute_url(),
    "link": link.pk,
    "picture": picture.pk,
    "original": picture.photo.name,
    "renditions": picture.rendition_names,
}))
"""
PROTECTED = """
import json
from portfolio.models import ShareLink
from tests.helpers import make_picture, make_project, make_user
project = make_project(make_user("studio"), title="Behind nginx", visibility="unlisted")
make_picture(project, name="Portrait.jpg", size=(300, 200))
link = ShareLink(project=project, label="for Anna")
link.set_password("dunes-for-anna")
link.save()
print(json.dumps({"share_url": link.get_absolute_url(), "link": link.pk}))
"""
TRIES = """
import json
from portfolio.models import PasswordTries
print(json.dumps(list(PasswordTries.objects.values_list("address", "count"))))
"""
REVOKE = "from portfolio.models import ShareLink; ShareLink.objects.get(pk={pk}).revoke()"

NGINX_CONFIG = """
daemon off;
user {user};
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log info;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    {catch_all}
    server {{
        listen 127.0.0.1:{port};
        server_name 127.0.0.1;
        location /media/ {{ alias {media}/; }}
        location {accel} {{
            internal;
            alias {private}/;
            # Of the app's headers nginx keeps only a few (Cache-Control, Content-Disposition,
            # Content-Type...) when it follows X-Accel-Redirect: the others are said again here.
            add_header X-Robots-Tag "noindex, nofollow" always;
            add_header Referrer-Policy no-referrer always;
            add_header X-Content-Type-Options nosniff always;
        }}
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_set_header Host $http_host;
            # As the sample: the app takes the right-most hop (DJANGO_TRUSTED_PROXIES=1).
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
        {zip_location}
    }}
}}
"""


def run_in_app(code: str, env: dict[str, str]) -> str:
    done = manage("shell", "--no-imports", "-c", code, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def app_environment(tmp_path) -> dict[str, str]:
    env = production_environment(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
        DJANGO_PRIVATE_MEDIA_ROOT=str(tmp_path / "private-media"),
        DJANGO_PRIVATE_MEDIA_ACCEL_PREFIX=ACCEL_PREFIX,
        DJANGO_TRUSTED_PROXIES="1",
    )
    env.pop("AWS_STORAGE_BUCKET_NAME", None)  # Media on disk, whatever this run's shell says.
    for arguments in (("migrate", "--no-input"), ("collectstatic", "--no-input", "-v", "0")):
        done = manage(*arguments, env=env)
        assert done.returncode == 0, done.stderr
    return env


@contextmanager
def nginx(
    tmp_path: Path, app_url: str, env: dict[str, str], downloads_url: str = ""
) -> Iterator[str]:
    """
    A throwaway nginx on a free loopback port, in front of app_url (and of downloads_url with
    the sample's ZIP location, if given); yield its base URL.
    """
    if not NGINX.exists():
        pytest.fail(
            f"{NGINX} is missing: `make test` installs Debian's nginx-light "
            "(.ci/install-system-packages).",
            pytrace=False,
        )
    port = free_port()
    config = tmp_path / "nginx.conf"
    config.write_text(
        NGINX_CONFIG.format(
            tmp=tmp_path,
            # Run as root, nginx's workers would otherwise drop to nobody, who may not read
            # tmp_path; run as anyone else, nginx ignores the directive.
            user=getpass.getuser(),
            port=port,
            media=env["DJANGO_MEDIA_ROOT"],
            private=env["DJANGO_PRIVATE_MEDIA_ROOT"],
            accel=ACCEL_PREFIX,
            app_port=app_url.rpartition(":")[2],
            catch_all=catch_all_server(port),
            zip_location=zip_location(downloads_url) if downloads_url else "",
        )
    )
    log = tmp_path / "nginx-error.log"
    process = subprocess.Popen(
        [str(NGINX), "-p", str(tmp_path), "-c", str(config), "-e", str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                pytest.fail(f"nginx exited with {process.returncode}:\n{log.read_text()}")
            try:
                requests.get(f"{base_url}/healthz", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, f"nginx did not start:\n{log.read_text()}"
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def site(app_environment, tmp_path) -> Iterator[str]:
    with (
        app_server(app_environment, tmp_path / "gunicorn.log") as app_url,
        nginx(tmp_path, app_url, app_environment) as base_url,
    ):
        yield base_url


def test_nginx_sends_the_private_files_django_grants_and_nothing_else(site, app_environment):
    world = json.loads(run_in_app(SEED, app_environment))
    private_root = Path(app_environment["DJANGO_PRIVATE_MEDIA_ROOT"])
    visitor = requests.Session()

    page = visitor.get(f"{site}{world['share_url']}", timeout=10)
    assert page.status_code == 200, page.text
    image_urls = sorted(set(re.findall(r'(/files/[^"\s,]+/[^"\s,/]+\.webp)', page.text)))
    assert image_urls, page.text
    # The original, as a download: a redirect to a signed URL of our file view.
    download = visitor.get(
        f"{site}{world['share_url']}pictures/{world['picture']}/download/?size=original",
        allow_redirects=False,
        timeout=10,
    )
    assert download.status_code == 302, download.text
    original_url = download.headers["Location"]
    assert original_url.startswith("/files/")

    for url in image_urls:
        served = visitor.get(f"{site}{url}", timeout=10)
        assert served.status_code == 200, (url, served.text)
        stored = list(private_root.rglob(url.rpartition("/")[2]))
        assert len(stored) == 1, (url, stored)
        # nginx sent the file itself: its bytes, dated by nginx from the file (Django's
        # FileResponse sends no Last-Modified), and Django's instruction kept to itself.
        assert served.content == stored[0].read_bytes()
        assert "X-Accel-Redirect" not in served.headers
        last_modified = formatdate(stored[0].stat().st_mtime, usegmt=True)
        assert served.headers["Last-Modified"] == last_modified
        # Kept by this browser only (Django's header, passed on), never indexed (nginx's).
        assert "private" in served.headers["Cache-Control"]
        assert served.headers["X-Robots-Tag"] == "noindex, nofollow"
        assert served.headers["Referrer-Policy"] == "no-referrer"
        assert served.headers["Content-Type"] == mimetypes.guess_type(url)[0]
    # The original is sent by the app itself, its metadata rewritten: an attachment, never
    # sniffed, never through the internal location.
    original = visitor.get(f"{site}{original_url}", timeout=10)
    assert original.status_code == 200
    assert original.headers["Content-Disposition"].startswith("attachment")
    assert original.headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Accel-Redirect" not in original.headers

    # The internal location answers only Django's redirects; originals are never public media.
    for name in [world["original"], *world["renditions"]]:
        assert requests.get(f"{site}{ACCEL_PREFIX}{name}", timeout=10).status_code == 404
        assert requests.get(f"{site}/media/{name}", timeout=10).status_code == 404

    run_in_app(REVOKE.format(pk=world["link"]), app_environment)
    # At once on disk: the file view checks the grant again on every request.
    for url in [*image_urls, original_url]:
        assert visitor.get(f"{site}{url}", timeout=10).status_code == 404
    assert visitor.get(f"{site}{world['share_url']}", timeout=10).status_code == 404


def test_nginx_closes_a_request_for_a_host_not_ours(site):
    assert requests.get(f"{site}/healthz", timeout=10).status_code == 200

    # The sample's catch-all server answers nothing (444): Django never sees the request.
    for host in ("portfolio.evil.example", "127.0.0.2"):
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{site}/healthz", headers={"Host": host}, timeout=10)


class FromAddress(requests.adapters.HTTPAdapter):
    """Connections from one loopback address of the many Linux answers on (127.0.0.0/8)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def browser_at(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session


def give_password(browser: requests.Session, url: str, password: str, **headers) -> int:
    form = browser.get(url, timeout=10)
    if form.status_code != 200:
        return form.status_code
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)[1]
    answer = browser.post(
        url,
        {"csrfmiddlewaretoken": token, "password": password},
        headers=headers,
        allow_redirects=False,
        timeout=10,
    )
    return answer.status_code


def test_behind_nginx_password_tries_count_the_clients_address_not_nginxs(site, app_environment):
    world = json.loads(run_in_app(PROTECTED, app_environment))
    url = f"{site}{world['share_url']}"
    stranger = browser_at("127.0.0.2")
    answers = [
        # Whatever it writes in X-Forwarded-For, nginx appends the address it saw.
        give_password(stranger, url, f"guess-{n}", **{"X-Forwarded-For": f"10.0.0.{n}"})
        for n in range(8)
    ]
    assert answers == [400] * 4 + [429] * 4
    # Counted at the stranger's address: not nginx's (127.0.0.1), which every client shares.
    assert json.loads(run_in_app(TRIES, app_environment)) == [["127.0.0.2", 5]]
    client = browser_at("127.0.0.3")
    assert give_password(client, url, "dunes-for-anna") == 302
    assert client.get(url, timeout=10).status_code == 200


# A project of 32 MB of originals, more than the socket buffers between a reader and the app
# hold, so a reader who stops reading holds its stream; a share link for each client; a
# public project for the gallery. The web sizes are written straight to the private storage:
# the ZIP reads stored files, whatever made them (an original would go through the metadata
# policy, which these bytes would not pass).
ZIP_SEED = """
import json
from django.core.files.base import ContentFile
from portfolio.access import private_storage
from portfolio.models import Picture, ShareLink
from tests.helpers import make_picture, make_project, make_user
owner = make_user("studio")
make_picture(make_project(owner, title="In the gallery"))
project = make_project(owner, title="A big shoot", visibility="unlisted")
original = bytes(range(256)) * 32768
for number in range(4):
    stem = f"projects/{project.pk}/{number}"
    photo = private_storage().save(f"{stem}.jpg", ContentFile(b"never read"))
    web_size = private_storage().save(f"{stem}_web.jpg", ContentFile(original))
    rendition = {"width": 1, "height": 1, "name": f"{stem}_w480.webp"}
    Picture.objects.bulk_create([
        Picture(project=project, photo=photo, web_size=web_size, renditions=[rendition],
                width=1, height=1, position=number)
    ])
links = [
    ShareLink.objects.create(project=project, label=f"client {n}", downloads="web")
    for n in range(7)
]
print(json.dumps({
    "zips": [link.get_absolute_url() + "download/?size=web" for link in links],
    "share_page": links[0].get_absolute_url(),
}))
"""
SLOTS_HELD = (
    "from portfolio.models import DownloadSlot; print(DownloadSlot.objects.held().count())"
)
ZIP_BYTES = 4 * 8 * 2**20


def slots_held(env: dict[str, str]) -> int:
    return int(run_in_app(SLOTS_HELD, env))


def wait_for_slots(env: dict[str, str], count: int) -> None:
    """The app closes a stream just after its last bytes or its client left: a few looks."""
    for _ in range(10):
        if slots_held(env) == count:
            return
    assert slots_held(env) == count


def test_slow_zip_readers_hold_the_download_process_never_the_pages(app_environment, tmp_path):
    """
    Twelve clients start ZIPs and stop reading: more than the page workers have threads. As
    the sample configures it, their streams wait in the download process, each holding its
    slot, while pages answer; beyond the limits nginx passes on the app's 429.
    """
    env = {**app_environment, "PORTFOLIO_ZIP_DOWNLOADS_TOTAL": "12"}
    world = json.loads(run_in_app(ZIP_SEED, env))
    zips = world["zips"]
    with (
        app_server(env, tmp_path / "pages.log", workers=2, threads=4) as pages_url,
        app_server(env, tmp_path / "downloads.log", workers=1, threads=20) as downloads_url,
        nginx(tmp_path, pages_url, env, downloads_url) as site,
    ):
        # Two readers on each of six links (two per client, from this one address): twelve.
        readers = [
            requests.get(f"{site}{url}", stream=True, timeout=60)
            for url in zips[:6]
            for _ in (1, 2)
        ]
        assert {reader.status_code for reader in readers} == {200}
        readers[0].raw.read(2**20)  # One reads a little and goes away.
        readers.pop(0).close()
        wait_for_slots(env, 11)

        # The pages answer while eleven streams wait on their readers.
        for path in ("/healthz", "/", world["share_page"]):
            assert requests.get(f"{site}{path}", timeout=10).status_code == 200
        # A third ZIP for the same client, then the twelfth for another: refused, with when to
        # try again, and a page that says so.
        readers.append(requests.get(f"{site}{zips[0]}", stream=True, timeout=60))
        assert readers[-1].status_code == 200
        for url, says in ((zips[1], "2 ZIPs at once already"), (zips[6], "Many people")):
            refused = requests.get(f"{site}{url}", timeout=10)
            assert refused.status_code == 429
            assert refused.headers["Retry-After"] == "60"
            assert refused.headers["Content-Type"].startswith("text/html")
            assert says in refused.text
        assert slots_held(env) == 12

        # Read on, the streams are whole ZIPs; read to their ends, their slots are free.
        for reader in readers:
            with zipfile.ZipFile(io.BytesIO(reader.content)) as archive:
                assert archive.testzip() is None
                assert sum(info.file_size for info in archive.infolist()) == ZIP_BYTES
        wait_for_slots(env, 0)
        assert requests.get(f"{site}{zips[6]}", timeout=60).status_code == 200
