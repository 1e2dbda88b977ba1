"""Renditions: made after the upload commits, used by the pages, gone with their picture."""

import io
import signal
import sys
from contextlib import ExitStack, contextmanager
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import transaction
from django.tasks.signals import task_started
from PIL import ExifTags, Image

from portfolio.access import public_storage
from portfolio.images import renditions as images
from portfolio.images.renditions import store_renditions
from portfolio.models import Picture
from portfolio.models.pictures import PhotoChangedError
from portfolio.tasks import make_renditions
from portfolio.templatetags.presentation import shape_class
from tests.helpers import (
    make_picture,
    make_project,
    open_stored_image,
    public_media,
    read_stored,
    rendition_files,
    replace_stored,
    signed_in,
    stored_files,
    uploaded_image,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Save a picture as the upload view does, running what waits for the commit."""

    def upload(project=None, **image_options) -> Picture:
        with django_capture_on_commit_callbacks(execute=True):
            picture = Picture(project=project or make_project())
            photo = uploaded_image(**image_options)
            picture.photo.save(photo.name, photo, save=True)
        picture.refresh_from_db()
        return picture

    return upload


def test_upload_makes_renditions_beside_the_original(upload):
    picture = upload(size=(2000, 1000))

    stem = picture.photo.name.removesuffix(".jpg")
    assert picture.renditions == [
        {"width": 480, "height": 240, "name": f"{stem}_w480.webp"},
        {"width": 720, "height": 360, "name": f"{stem}_w720.webp"},
        {"width": 960, "height": 480, "name": f"{stem}_w960.webp"},
        {"width": 1200, "height": 600, "name": f"{stem}_w1200.webp"},
        {"width": 1600, "height": 800, "name": f"{stem}_w1600.webp"},
        {"width": 2000, "height": 1000, "name": f"{stem}_w2000.webp"},  # Its own width.
    ]
    assert picture.renditions_spec == "webp 480 720 960 1200 1600 2400 card placeholder web2048"
    for record in picture.renditions:
        with open_stored_image(record["name"]) as rendition:
            assert rendition.format == "WEBP"
            assert rendition.size == (record["width"], record["height"])


def test_upload_makes_a_card_and_a_placeholder_from_the_same_pass(upload):
    picture = upload(size=(2000, 1000), color=(200, 40, 10))  # Flat: the cells are equal.

    stem = picture.photo.name.removesuffix(".jpg")
    assert picture.card == f"{stem}_card.jpg"
    assert public_media(picture).card_url() == public_storage().url(picture.card)
    with open_stored_image(picture.card) as card:
        assert (card.format, card.size) == ("JPEG", (1200, 630))
    preview = picture.placeholder_preview
    assert (preview.columns, preview.rows) == (5, 2)
    red, green, blue = (int(preview.colour[i : i + 2], 16) for i in (1, 3, 5))
    assert abs(red - 200) <= 4 and abs(green - 40) <= 4 and abs(blue - 10) <= 4
    assert rendition_files() == set(picture.rendition_names)
    assert picture.card in picture.rendition_names


def test_moving_the_focal_point_remakes_the_card(upload, django_capture_on_commit_callbacks):
    picture = upload(size=(2000, 1000))
    Picture.objects.filter(pk=picture.pk).update(card="", placeholder="")
    picture = Picture.objects.get(pk=picture.pk)

    picture.caption = "Only the caption"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        picture.save()
    assert callbacks == []

    picture.focal_x, picture.focal_y = 0.1, 0.9
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        picture.save()
    assert len(callbacks) == 1
    picture.refresh_from_db()
    assert picture.card and picture.placeholder
    assert rendition_files() == set(picture.rendition_names)


def test_set_focal_point_clamps_saves_and_remakes_the_card(django_capture_on_commit_callbacks):
    # Dark at the top, light at the bottom: a crop at the top is darker than the centre's.
    gradient = io.BytesIO()
    Image.linear_gradient("L").resize((1000, 2000)).convert("RGB").save(gradient, "JPEG")
    with django_capture_on_commit_callbacks(execute=True):
        picture = Picture(project=make_project())
        picture.photo.save("gradient.jpg", ContentFile(gradient.getvalue()), save=True)
    picture.refresh_from_db()
    with open_stored_image(picture.card) as card:
        centred = card.convert("L").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))

    with django_capture_on_commit_callbacks(execute=True):
        Picture.objects.get(pk=picture.pk).set_focal_point(1.5, -2)

    picture.refresh_from_db()
    assert picture.focal_point == (1.0, 0.0)
    with open_stored_image(picture.card) as card:
        assert (
            card.convert("L").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0)) < centred - 20
        )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        picture.set_focal_point(1.0, 0.0)  # Where it is already: nothing to remake.
    assert callbacks == []


def test_a_card_recorded_after_the_deleting_request_loaded_it_is_deleted(
    upload, django_capture_on_commit_callbacks
):
    picture = upload(size=(600, 400))
    loaded = Picture.objects.get(pk=picture.pk)
    loaded.card = ""  # As loaded before the task recorded it.

    with django_capture_on_commit_callbacks(execute=True):
        loaded.delete()

    assert rendition_files() == set()


def test_avif_is_an_option(upload, settings):
    settings.PORTFOLIO_RENDITION_FORMAT = "avif"

    picture = upload(size=(1000, 800))

    assert [record["width"] for record in picture.renditions] == [480, 720, 960, 1000]
    assert all(record["name"].endswith(".avif") for record in picture.renditions)
    with open_stored_image(picture.renditions[0]["name"]) as rendition:
        assert rendition.format == "AVIF"
    assert picture.renditions_spec == "avif 480 720 960 1200 1600 2400 card placeholder web2048"


@pytest.mark.parametrize(
    ("size", "expected_widths"),
    [
        ((700, 500), [480, 700]),  # Its own width is the largest: full resolution, not more.
        ((960, 640), [480, 720, 960]),
        ((300, 200), [300]),  # Narrower than every width: one rendition, its own size.
        ((2000, 1500), [480, 720, 960, 1200, 1600, 2000]),
        ((4000, 3000), [480, 720, 960, 1200, 1600, 2400]),
    ],
)
def test_renditions_are_never_upscaled(upload, size, expected_widths):
    picture = upload(size=size)

    assert [record["width"] for record in picture.renditions] == expected_widths


def test_orientation_is_applied_and_no_metadata_is_kept(upload):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # Stored on its side: turn 90° clockwise to show.
    exif[ExifTags.Base.Make] = "Camera Maker"
    exif[ExifTags.Base.Model] = "Secret Model"
    picture = upload(size=(1200, 800), exif=exif.tobytes())

    assert (picture.width, picture.height) == (800, 1200)  # Stored upright by the gate.
    assert [(record["width"], record["height"]) for record in picture.renditions] == [
        (480, 720),
        (720, 1080),
        (800, 1200),
    ]
    assert (picture.display_width, picture.display_height) == (800, 1200)
    for record in picture.renditions:
        with open_stored_image(record["name"]) as rendition:
            assert not rendition.getexif()
            assert "exif" not in rendition.info and "icc_profile" not in rendition.info
            assert "xmp" not in rendition.info
        assert b"Secret Model" not in read_stored(record["name"])


def test_orientation_turns_the_pixels_too(upload):
    # Left half red, right half blue, stored with orientation 6 (90° clockwise to show):
    # shown upright, the red half is on top.
    image = Image.new("RGB", (800, 600), (220, 20, 20))
    image.paste((20, 20, 220), (400, 0, 800, 600))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    project = make_project()
    picture = Picture(project=project)

    with transaction.atomic():
        picture.photo.save("turned.jpg", ContentFile(buffer.getvalue(), name="turned.jpg"))
    make_renditions.call(picture.pk)
    picture.refresh_from_db()

    with open_stored_image(picture.renditions[-1]["name"]) as rendition:
        rendition = rendition.convert("RGB")
        assert rendition.size == (600, 800)
        top, bottom = rendition.getpixel((300, 100)), rendition.getpixel((300, 700))
    assert top[0] > 150 and top[2] < 100
    assert bottom[2] > 150 and bottom[0] < 100


def test_a_picture_with_transparency_keeps_it(upload):
    picture = upload(name="logo.png", image_format="PNG", size=(600, 400), color=(0, 0, 0, 0))

    with open_stored_image(picture.renditions[0]["name"]) as rendition:
        assert rendition.mode == "RGBA"
        assert rendition.getpixel((10, 10))[3] == 0


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_upload_makes_no_renditions():
    project = make_project()

    with pytest.raises(RuntimeError), transaction.atomic():
        make_picture(project, name="photo.jpg", renditions=False)
        raise RuntimeError("the upload failed after the picture was saved")

    assert not Picture.objects.exists()
    assert rendition_files() == set()


@pytest.mark.django_db(transaction=True)
def test_a_committed_upload_has_its_renditions_at_once():
    with transaction.atomic():
        picture = make_picture(make_project(), renditions=False)  # The commit makes them.

    picture.refresh_from_db()
    assert picture.renditions
    assert rendition_files() == set(picture.rendition_names)


def test_deleting_a_picture_deletes_its_renditions(upload, django_capture_on_commit_callbacks):
    keep = upload(size=(600, 400))
    picture = upload(project=keep.project, size=(600, 400))

    with django_capture_on_commit_callbacks(execute=True):
        picture.delete()

    assert rendition_files() == set(keep.rendition_names)


def test_deleting_a_project_deletes_every_rendition(upload, django_capture_on_commit_callbacks):
    project = make_project()
    upload(project=project, size=(600, 400))
    upload(project=project, size=(1000, 400))
    other = upload(size=(600, 400))

    with django_capture_on_commit_callbacks(execute=True):
        project.delete()

    assert rendition_files() == set(other.rendition_names)


def test_a_stored_picture_refuses_another_photo_and_keeps_its_renditions(upload):
    picture = upload(size=(1000, 800))
    before = stored_files()

    picture.photo = uploaded_image("new.jpg", size=(600, 400))
    with pytest.raises(PhotoChangedError, match="add the new file as a new picture"):
        picture.save()

    assert stored_files() == before
    stored = Picture.objects.get(pk=picture.pk)
    assert stored.renditions == picture.renditions
    assert rendition_files() == set(stored.rendition_names)


def test_a_new_picture_replaces_a_photo(upload, django_capture_on_commit_callbacks):
    old = upload(size=(1000, 800))

    new = upload(project=old.project, size=(600, 400))
    with django_capture_on_commit_callbacks(execute=True):
        old.delete()

    assert [record["width"] for record in new.renditions] == [480, 600]
    assert stored_files() == {new.photo.name, *new.rendition_names}


def test_saving_an_instance_loaded_before_the_renditions_keeps_them(upload):
    picture = upload(size=(600, 400))
    stale = Picture.objects.get(pk=picture.pk)
    Picture.objects.filter(pk=picture.pk).update(renditions=[], renditions_spec="")
    make_renditions.call(picture.pk)

    stale.caption = "An edited caption"
    stale.save()

    picture.refresh_from_db()
    assert picture.caption == "An edited caption"
    assert picture.renditions


def test_task_is_idempotent_and_ignores_deleted_pictures(upload):
    picture = upload(size=(600, 400))
    # Marked: a task that wrote them again would replace the marks.
    for name in picture.rendition_names:
        replace_stored(name, b"left as it was")

    assert make_renditions.call(picture.pk) is False
    assert make_renditions.call(picture.pk + 1000) is False
    assert rendition_files() == set(picture.rendition_names)
    assert {read_stored(name) for name in picture.rendition_names} == {b"left as it was"}


@pytest.mark.parametrize(
    "meanwhile",
    [
        pytest.param(lambda picture: picture.delete(), id="deleted"),
        # Not through the model, which refuses it: as another process's raw update would.
        pytest.param(
            lambda picture: Picture.objects.filter(pk=picture.pk).update(photo="other.jpg"),
            id="photo-changed-by-update",
        ),
    ],
)
def test_renditions_of_a_picture_changed_while_they_were_made_are_not_kept(monkeypatch, meanwhile):
    picture = make_picture(make_project(), renditions=False)

    def store_then_change(source, name, spec, **options):
        records = store_renditions(source, name, spec, **options)
        meanwhile(picture)  # Another request, while this worker was encoding.
        return records

    # The only fault injected: which of two processes gets there first.
    monkeypatch.setattr("portfolio.tasks.store_renditions", store_then_change)

    assert make_renditions.call(picture.pk) is False

    assert [row.renditions for row in Picture.objects.filter(pk=picture.pk)] in ([], [[]])
    assert rendition_files() == set()


def test_until_its_renditions_exist_a_picture_is_a_frame_to_everyone_its_owner_too(client):
    picture = make_picture(make_project(), name="photo.jpg", renditions=False)

    visitor = client.get("/").content.decode()
    owner = signed_in(picture.project.owner).get("/studio/").content.decode()

    # The original is the upload as it came: never shown in a page, only downloaded.
    for html in (visitor, owner):
        assert picture.photo.name.rsplit("/", 1)[1] not in html
        assert "<img " not in html
        assert f'class="picture-pending {shape_class(picture)}"' in html


def test_gallery_images_use_srcset_sizes_and_load_the_first_row_first(upload, client):
    for _ in range(6):
        upload(size=(2000, 1500))

    html = client.get("/").content.decode()

    project = Picture.objects.first().project
    picture = project.cover_picture
    stem = public_storage().url(picture.photo.name).removesuffix(".jpg")
    srcset = (
        f"{stem}_w480.webp 480w, {stem}_w720.webp 720w, {stem}_w960.webp 960w, "
        f"{stem}_w1200.webp 1200w, {stem}_w1600.webp 1600w, {stem}_w2000.webp 2000w"
    )
    assert f'<img src="{stem}_w960.webp" srcset="{srcset}"' in html
    assert 'sizes="(max-width: 639px) calc(100vw - 24px), (max-width: 999px) 47vw' in html
    assert 'width="2000" height="1500"' in html
    assert html.count("<img ") == 6
    # The first row of four loads at once, the first cover before the three others.
    assert html.count('fetchpriority="high"') == 1
    assert html.count('fetchpriority="low"') == 3
    assert html.count('loading="lazy"') == 2
    assert html.count('decoding="async"') == 6


def test_project_page_links_the_largest_rendition_and_never_the_original(upload, client):
    picture = upload(size=(2000, 1500))

    html = client.get(picture.project.get_absolute_url()).content.decode()

    media = public_media(picture)
    largest = media.large_url
    assert largest.endswith("_w2000.webp")
    # The project's one picture is its cover: in the grid too it is the cover's file (the
    # window's width), and the lightbox gets every size, the largest too, from the link.
    assert (
        f'<a href="{picture.get_absolute_url()}" class="picture-frame"'
        f' aria-label="{picture.alt_text}" data-lightbox data-large="{largest}"'
        f' data-srcset="{media.srcset}"' in html
    )
    assert f"{largest} 2000w" in media.srcset
    assert html.count('sizes="(min-width: 1600px) 1600px, 100vw"') == 2
    assert picture.photo.name not in html
    assert "Open original" not in html
    assert html.count('fetchpriority="high"') == 1  # The first picture, the largest paint.


def test_src_is_the_middle_rendition(upload):
    picture = upload(size=(2000, 1500))

    assert public_media(picture).src.endswith("_w960.webp")


def test_pages_make_no_storage_call_but_url(upload, client):
    project = make_project()
    upload(project=project, size=(800, 600))
    upload(project=project, size=(800, 600))

    # The media storages only: static files have a storage of their own, with its manifest.
    photo = project.pictures.first().photo
    with ExitStack() as stack:
        for media_storage in (storages["default"], storages["private"]):
            for method in ("exists", "open", "size", "listdir", "path", "get_modified_time"):
                stack.enter_context(
                    mock.patch.object(
                        media_storage,
                        method,
                        side_effect=AssertionError("a page touched the storage"),
                    )
                )
        # The trap is set on the storage the pictures use.
        with pytest.raises(AssertionError, match="touched the storage"):
            photo.storage.exists(photo.name)

        assert client.get("/").status_code == 200
        assert client.get(project.get_absolute_url()).status_code == 200


def test_rendition_widths_come_from_the_settings(settings):
    settings.PORTFOLIO_RENDITION_WIDTHS = (1200, 300)

    assert images.rendition_spec() == "webp 300 1200 card placeholder web2048"
    assert images.rendition_widths(5000, settings.PORTFOLIO_RENDITION_WIDTHS) == [300, 1200]
    assert images.rendition_widths(800, settings.PORTFOLIO_RENDITION_WIDTHS) == [300, 800]


def test_a_file_that_is_not_an_image_fails_the_task_cleanly():
    picture = make_picture(make_project(), renditions=False)
    replace_stored(picture.photo.name, b"not an image at all")

    result = make_renditions.enqueue(picture.pk)

    assert result.status == "FAILED"
    assert Picture.objects.get(pk=picture.pk).renditions == []
    assert rendition_files() == set()


@pytest.fixture
def worker_stopped_during_a_task():
    """
    Stop the process 10 ms into the next task, as gunicorn stops a worker past its timeout:
    a signal whose handler calls sys.exit(1) wherever the worker is (its handle_abort).
    """

    def stop(signum, frame):
        # Python swallows an exception raised in a finaliser (__del__); gunicorn's arbiter
        # would follow with SIGKILL, so here the signal comes again 10 ms later instead.
        caller = frame
        while caller is not None:
            if caller.f_code.co_name == "__del__":
                signal.setitimer(signal.ITIMER_REAL, 0.01)
                return
            caller = caller.f_back
        sys.exit(1)

    def stop_soon(sender, task_result, **kwargs):
        signal.setitimer(signal.ITIMER_REAL, 0.01)

    @contextmanager
    def armed():
        # Armed only around the task the test means: the upload that made its picture ran
        # tasks of its own (on commit), which must not take the signal.
        previous = signal.signal(signal.SIGALRM, stop)
        task_started.connect(stop_soon, dispatch_uid="stop_soon")
        try:
            yield
        finally:
            task_started.disconnect(dispatch_uid="stop_soon")
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    return armed


@pytest.mark.django_db(transaction=True)
def test_a_worker_stopped_during_the_renditions_stops_and_build_renditions_picks_it_up(
    worker_stopped_during_a_task, settings
):
    # Large enough that remaking its renditions takes well over 10 ms. Its first ones come
    # from the upload's own decode; new widths are the task's to make.
    picture = make_picture(make_project(), name="large.jpg", size=(4000, 3000))
    settings.PORTFOLIO_RENDITION_WIDTHS = (640, 1280)

    with worker_stopped_during_a_task(), pytest.raises(SystemExit):
        make_renditions.enqueue(picture.pk)

    picture.refresh_from_db()
    assert picture.renditions_outdated

    call_command("build_renditions", stdout=io.StringIO())

    picture.refresh_from_db()
    assert [record["width"] for record in picture.renditions] == [640, 1280]
    assert stored_files() == {picture.photo.name, *picture.rendition_names}


def test_a_public_page_never_shows_an_original_even_where_visitors_may_download_it(client):
    project = make_project(downloads="originals")
    picture = make_picture(project, renditions=False)

    html = client.get(project.get_absolute_url()).content.decode()

    # Kept pages hold no URL that expires, and originals come only from the download view.
    assert picture.photo.name.rsplit("/", 1)[1] not in html
    assert "/files/" not in html and 'class="picture-pending' in html
