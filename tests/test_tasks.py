"""
Renditions through a real queue: django-tasks-db's database backend and its worker command,
as production runs them (DJANGO_TASKS_BACKEND=database).
"""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from portfolio.models import Picture
from portfolio.templatetags.presentation import shape_class
from tests.helpers import public_media, signed_in, stored_files, uploaded_image

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def upload(project, *files) -> None:
    response = signed_in(project.owner).post(
        reverse("portfolio:picture-upload", kwargs={"slug": project.slug}),
        {"photos": list(files)},
    )
    assert response.status_code == 302, response.content.decode()


def run_worker() -> None:
    """The worker command production runs, until the queue is empty."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--verbosity", "0")


def test_an_upload_returns_with_its_renditions_queued_not_made(project):
    upload(project, uploaded_image("first.jpg", size=(1200, 800)))

    picture = Picture.objects.get(project=project)
    assert picture.renditions == []
    assert stored_files() == {picture.photo.name}
    task = DBTaskResult.objects.get()
    assert task.task_path == "portfolio.tasks.make_renditions"
    assert task.args_kwargs == {"args": [picture.pk], "kwargs": {}}
    assert task.status == "READY"


def test_until_its_renditions_exist_a_visitor_sees_a_frame_and_never_the_original(project):
    upload(project, uploaded_image("first.jpg", size=(1200, 800)))
    picture = Picture.objects.get(project=project)

    html = Client().get(project.get_absolute_url()).content.decode()

    assert picture.photo.name not in html
    # The frame has the picture's shape in the justified rows, as its image will (3:2).
    assert shape_class(picture) == "ar-1504"
    assert 'class="picture-pending ar-1504"' in html
    assert "srcset" not in html


def test_the_worker_makes_them_and_the_page_uses_them(project):
    upload(project, uploaded_image("first.jpg", size=(1200, 800)))

    run_worker()

    picture = Picture.objects.get(project=project)
    assert [rendition["width"] for rendition in picture.renditions] == [480, 720, 960, 1200]
    assert stored_files() == {picture.photo.name, *picture.rendition_names}
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    html = Client().get(project.get_absolute_url()).content.decode()
    assert f'srcset="{public_media(picture).srcset}"' in html


def test_a_picture_deleted_before_the_worker_ran_leaves_nothing(project):
    upload(project, uploaded_image("first.jpg"))
    Picture.objects.get(project=project).delete()

    run_worker()

    assert stored_files() == set()
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_failed_task_is_recorded_and_build_renditions_repairs_it(project):
    upload(project, uploaded_image("first.jpg"))
    picture = Picture.objects.get(project=project)
    storage = picture.photo.storage
    with storage.open(picture.photo.name, "rb") as stored:
        good_bytes = stored.read()
    # The original turns unreadable before the worker gets to it (a storage glitch).
    storage.delete(picture.photo.name)

    run_worker()

    failed = DBTaskResult.objects.get()
    assert failed.status == "FAILED"
    assert Picture.objects.get().renditions == []

    restored = storage.save(picture.photo.name, ContentFile(good_bytes))
    assert restored == picture.photo.name
    call_command("build_renditions", stdout=io.StringIO())
    assert len(Picture.objects.get().renditions) == 1


def test_a_picture_deleted_by_a_request_that_loaded_it_before_the_worker_ran_leaves_nothing(
    project,
):
    upload(project, uploaded_image("first.jpg", size=(1200, 800)))
    # The owner's delete request loads the picture; meanwhile the worker records renditions.
    loaded_by_the_delete_view = Picture.objects.get(project=project)
    run_worker()
    assert len(stored_files()) == 7  # The photo, four renditions, the card, the web size.

    loaded_by_the_delete_view.delete()

    assert stored_files() == set()


def test_a_task_whose_worker_was_killed_is_picked_up_by_build_renditions(project):
    upload(project, uploaded_image("first.jpg", size=(1200, 800)))
    # What a worker killed mid-task (SIGKILL, a lost machine) leaves: its claim, forever.
    DBTaskResult.objects.get().claim("a-worker-that-died")

    run_worker()
    assert Picture.objects.get().renditions == []

    call_command("build_renditions", stdout=io.StringIO())

    picture = Picture.objects.get()
    assert [rendition["width"] for rendition in picture.renditions] == [480, 720, 960, 1200]
    assert stored_files() == {picture.photo.name, *picture.rendition_names}


def test_a_queue_that_refuses_the_task_leaves_the_picture_to_build_renditions(
    project, settings, caplog
):
    # A misconfigured queue: the task's queue ("default") is not one the backend serves.
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["elsewhere"]}
    }

    upload(project, uploaded_image("first.jpg", size=(1200, 800)))

    picture = Picture.objects.get(project=project)
    assert stored_files() == {picture.photo.name}
    assert not DBTaskResult.objects.exists()
    assert "on_commit" in caplog.text
    call_command("build_renditions", stdout=io.StringIO())
    assert len(Picture.objects.get().renditions) == 4
