"""
Owners uploading at once, as production runs: gunicorn with several workers, debug off, media on
disk, real multipart posts through the upload view. On a file SQLite database, and on PostgreSQL
when DATABASE_URL names one: no 5xx, every picture stored once with its file, positions unique.
"""

import json
import os
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection, transaction
from django.test import Client

from portfolio.models import Picture, Project
from tests.helpers import (
    files_under,
    image_bytes,
    make_picture,
    make_project,
    stored_files,
    uploaded_image,
)
from tests.production.services import app_server, manage, needs_postgres, production_environment

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))

OWNERS = 4
BATCHES = 3
BATCH_SIZE = 10
SEEDED = 3  # Pictures each project has before the rush: what the small requests change.
CSRF_SECRET = "concurrencytestcsrfsecret0123456"  # Any 32 letters and digits will do.

# Run inside the site (manage.py shell): owners signed in (sessions as a login makes them),
# each with a published project of SEEDED pictures; one more owner whose project is deleted
# while it uploads.
SETUP = f"""
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.base import ContentFile
from portfolio.models import Project
from tests.helpers import image_bytes

owners = {{}}
for name in [*(f"owner{{number}}" for number in range({OWNERS})), "doomed"]:
    user = get_user_model().objects.create_user(name)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    project = Project.objects.create(owner=user, title=f"Work of {{name}}", visibility="public")
    pictures = [
        project.add_picture(
            ContentFile(image_bytes(size=(80, 60)), name="seed.jpg"),
            original_filename=f"seed{{number}}.jpg",
        )
        for number in range({SEEDED})
    ]
    owners[name] = {{
        "session": session.session_key,
        "project": project.pk,
        "slug": project.slug,
        "pictures": [picture.pk for picture in pictures],
    }}
print(json.dumps(owners))
"""

# What the database holds afterwards, for the test to compare with the disk.
REPORT = """
import json
from portfolio.models import Picture
print(json.dumps([
    {"project": picture.project_id, "position": picture.position, "photo": picture.photo.name,
     "renditions": picture.rendition_names, "name": picture.original_filename}
    for picture in Picture.objects.all()
]))
"""
# Each project's count as its row keeps it (Project.picture_count).
COUNTS = """
import json
from portfolio.models import Project
print(json.dumps(dict(Project.objects.values_list("pk", "picture_count"))))
"""


@pytest.fixture
def site_environment(tmp_path) -> dict[str, str]:
    """
    Production variables: this test's database, media on disk, static files collected. On
    PostgreSQL, the test database pytest-django made; else a SQLite file of this test's.
    """
    if ON_POSTGRES:
        env = production_environment()
    else:
        env = production_environment(DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite3'}")
    env["DJANGO_MEDIA_ROOT"] = str(tmp_path / "media")
    env["DJANGO_PRIVATE_MEDIA_ROOT"] = str(tmp_path / "private-media")
    for name in [name for name in env if name.startswith("AWS_")]:
        del env[name]
    for arguments in (["migrate", "--no-input"], ["collectstatic", "--no-input"]):
        if ON_POSTGRES and arguments[0] == "migrate":
            continue  # pytest-django made and migrated the test database.
        done = manage(*arguments, "--verbosity", "0", env=env)
        assert done.returncode == 0, done.stderr
    return env


def run_in_site(code: str, env: dict[str, str]):
    done = manage("shell", "--no-imports", "--command", code, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_and_edits_lose_nothing(site_environment, tmp_path):
    owners = run_in_site(SETUP, site_environment)
    with app_server(site_environment, tmp_path / "gunicorn.log", workers=3) as server:
        answers = rush(server, owners)
    report = run_in_site(REPORT, site_environment)

    log = (tmp_path / "gunicorn.log").read_text()
    failed = [answer for answer in answers if answer[1] >= 500]
    assert not failed, f"{failed[:5]}\n{log[-3000:]}"
    assert "Traceback" not in log, log[-3000:]
    unexpected = [answer for answer in answers if answer[1] not in answer[2]]
    assert not unexpected, unexpected[:5]

    by_project = {owner["project"]: name for name, owner in owners.items()}
    pictures = Counter(by_project[row["project"]] for row in report)
    assert "doomed" not in pictures
    assert pictures == {
        f"owner{number}": SEEDED + BATCHES * BATCH_SIZE for number in range(OWNERS)
    }
    for number in range(OWNERS):
        names = sorted(
            row["name"] for row in report if by_project[row["project"]] == f"owner{number}"
        )
        assert names == sorted(
            [f"seed{index}.jpg" for index in range(SEEDED)]
            + [f"b{batch}-{index}.jpg" for batch in range(BATCHES) for index in range(BATCH_SIZE)]
        )
    for project in by_project:
        positions = [row["position"] for row in report if row["project"] == project]
        assert len(positions) == len(set(positions)), f"positions repeat in project {project}"
    # Added and deleted at once, each project's kept count is its rows'.
    counts = {int(pk): count for pk, count in run_in_site(COUNTS, site_environment).items()}
    rows = Counter(row["project"] for row in report)
    assert counts == {pk: rows[pk] for pk in counts}

    # Every row has its file and every file its row: nothing half-stored, nothing left over.
    stored = files_under(tmp_path / "media") | files_under(tmp_path / "private-media")
    recorded = {row["photo"] for row in report} | {
        name for row in report for name in row["renditions"]
    }
    assert stored == recorded


def rush(server: str, owners: dict) -> list[tuple[str, int, set[int]]]:
    """
    Every owner's batches (from two tabs) and small edits at once, anonymous visits between
    them, and the doomed project deleted once a batch of its is in: (what, status, statuses
    allowed) of every answer.
    """
    first_batch_in = threading.Event()

    def call(what, allowed, method, path, owner=None, **kwargs):
        headers = {"HX-Request": "true"} if kwargs.pop("htmx", False) else {}
        cookies = {}
        if owner:
            cookies = {"sessionid": owner["session"], "csrftoken": CSRF_SECRET}
            headers["X-CSRFToken"] = CSRF_SECRET
        response = requests.request(
            method,
            f"{server}{path}",
            headers=headers,
            cookies=cookies,
            allow_redirects=False,
            timeout=60,
            **kwargs,
        )
        if what == "upload" and response.status_code == 200:
            added = re.search(r"(\d+) pictures? added", response.text)
            assert added and int(added[1]) == BATCH_SIZE, response.text[:500]
        return what, response.status_code, allowed

    def upload_batches(owner, batches, allowed):
        answers = []
        for batch in batches:
            files = [
                ("photos", (f"b{batch}-{index}.jpg", image_bytes(size=(320, 240)), "image/jpeg"))
                for index in range(BATCH_SIZE)
            ]
            path = f"/projects/{owner['slug']}/pictures/"
            answers.append(call("upload", allowed, "POST", path, owner, files=files, htmx=True))
            if owner is owners["doomed"]:
                first_batch_in.set()
        return answers

    def delete_doomed():
        first_batch_in.wait(timeout=60)
        doomed = owners["doomed"]
        return [call("delete", {302}, "POST", f"/projects/{doomed['slug']}/delete/", doomed)]

    def small_requests(owner):
        slug = owner["slug"]
        answers = []
        for round_number in range(6):
            for picture in owner["pictures"]:
                base = f"/projects/{slug}/pictures/{picture}"
                caption = {"caption": f"Edit {round_number}"}
                direction = {"direction": "up" if round_number % 2 else "down"}
                answers.append(
                    call("edit", {200}, "POST", f"{base}/edit/", owner, data=caption, htmx=True)
                )
                answers.append(
                    call("move", {200}, "POST", f"{base}/move/", owner, data=direction, htmx=True)
                )
            answers.append(call("gallery", {200}, "GET", "/"))
            answers.append(call("project", {200}, "GET", f"/projects/{slug}/"))
            answers.append(call("healthz", {200}, "GET", "/healthz"))
        return answers

    live = [owner for name, owner in owners.items() if name != "doomed"]
    with ThreadPoolExecutor(max_workers=3 * len(owners) + 1) as pool:
        # Each owner's batches in two tabs at once: two uploads race for the next position.
        futures = [
            pool.submit(upload_batches, owner, range(tab, BATCHES, 2), allowed)
            for owner, allowed in [
                *((owner, {200}) for owner in live),
                (owners["doomed"], {200, 404}),
            ]
            for tab in (0, 1)
        ]
        futures.append(pool.submit(delete_doomed))
        futures += [pool.submit(small_requests, owner) for owner in live]
        return [answer for future in futures for answer in future.result()]


@pytest.mark.parametrize("deleted_before", [1, 2], ids=["first picture", "second picture"])
@pytest.mark.django_db(transaction=True)
def test_a_project_deleted_during_its_upload_answers_404_and_keeps_nothing(
    deleted_before, monkeypatch
):
    project = make_project()
    client = Client()
    client.force_login(project.owner)
    add_picture, calls = Project.add_picture, []

    def deleted_meanwhile(self, *args, **kwargs):
        """The owner deletes the project in another tab while the batch is being stored."""
        calls.append(self.pk)
        if len(calls) == deleted_before:
            Project.objects.get(pk=self.pk).delete()
        return add_picture(self, *args, **kwargs)

    monkeypatch.setattr(Project, "add_picture", deleted_meanwhile)
    response = client.post(
        f"/projects/{project.slug}/pictures/",
        {"photos": [uploaded_image("one.jpg"), uploaded_image("two.jpg")]},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 404
    assert not Project.objects.exists()
    assert not Picture.objects.exists()
    assert stored_files() == set()


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_position_read_is_kept_until_its_transaction_ends():
    """SQLite's immediate transactions do this by themselves; PostgreSQL needs the lock."""
    project = make_project()
    make_picture(project)
    read, added = threading.Event(), []

    def slow_upload():
        try:
            with transaction.atomic():
                position = project.next_picture_position()
                read.set()
                time.sleep(0.5)  # Meanwhile another upload reads its position.
                added.append(make_picture(project, position=position))
        finally:
            connection.close()

    first = threading.Thread(target=slow_upload)
    first.start()
    assert read.wait(timeout=10)
    second = project.add_picture(uploaded_image())
    first.join()

    assert [picture.position for picture in project.pictures.all()] == [0, 1, 2]
    assert (added[0].position, second.position) == (1, 2)


# Two writers of one project's pictures at once, on PostgreSQL: the second waits for the
# project's lock (Project.lock()) and works from what the first committed.


def in_another_transaction(write, then=lambda: None) -> threading.Thread:
    """
    Run write() in a transaction of another connection, then hold on 0.5 s (meanwhile this
    thread's writer starts) and run then() before it commits.
    """
    written = threading.Event()

    def run():
        try:
            with transaction.atomic():
                write()
                written.set()
                time.sleep(0.5)
                then()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert written.wait(timeout=10)
    return thread


def display_order(project) -> list[tuple[int, int]]:
    return list(project.pictures.in_display_order().values_list("pk", "position"))


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_moves_at_once_end_as_one_after_the_other():
    project = make_project()
    first, second, third, fourth = (make_picture(project, renditions=False) for _ in range(4))

    other = in_another_transaction(lambda: first.move_to(3))
    fourth.move_to(0)
    other.join()

    assert display_order(project) == [
        (fourth.pk, 0),
        (second.pk, 1),
        (third.pk, 2),
        (first.pk, 3),
    ]


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_move_during_a_deletion_works_from_what_is_left():
    project = make_project()
    first, second, third, fourth = (make_picture(project, renditions=False) for _ in range(4))

    other = in_another_transaction(second.delete)
    first.move_to(3)  # The last place: third after the deletion.
    other.join()

    assert display_order(project) == [(third.pk, 0), (fourth.pk, 1), (first.pk, 2)]


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_project_edited_while_a_picture_is_added_waits_and_both_are_kept(client):
    """Its lock first, the page cache's row last, whoever writes: no deadlock, a fresh page."""
    project = make_project(visibility="public")
    client.get(project.get_absolute_url())

    other = in_another_transaction(
        project.lock, then=lambda: make_picture(project, position=1, renditions=False)
    )
    project.title = "Renamed meanwhile"
    project.save()
    other.join()

    assert project.pictures.count() == 1
    assert Project.objects.get(pk=project.pk).picture_count == 1  # Not the stale 0 it held.
    assert "Renamed meanwhile" in client.get(project.get_absolute_url()).content.decode()
