"""Where uploads are stored, what the database keeps, and how they are reached."""

import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings

from portfolio.models import Picture, picture_upload_to
from tests.helpers import (
    make_picture,
    make_project,
    private_files,
    public_files,
    public_media,
    uploaded_image,
)

pytestmark = pytest.mark.django_db


def test_upload_writes_under_the_project_folder_and_stores_a_relative_path():
    project = make_project()
    picture = make_picture(project, name="Holiday.JPG")

    picture.refresh_from_db()
    assert picture.photo.name.startswith(f"projects/{project.pk}/")
    assert picture.photo.name.endswith(".jpg")
    assert not picture.photo.name.startswith("/")
    # The original is private whatever the project; the renditions of a public one are not.
    assert private_files() == {picture.photo.name}
    assert public_files() == set(picture.rendition_names)
    assert (picture.width, picture.height) == (64, 48)


def test_a_public_rendition_url_is_media_url_and_stored_name(settings):
    picture = make_picture()

    assert public_media(picture).src == f"{settings.MEDIA_URL}{picture.rendition_names[0]}"


def test_the_nginx_sample_serves_every_public_file_a_picture_has(settings):
    # The sample's media location lets through only the names we make (docs/production.md).
    sample = (Path(settings.BASE_DIR) / "docs" / "production.md").read_text()
    pattern = re.search(r'location ~\* "\^/media/(.+?)" \{', sample)[1]
    picture = make_picture(make_project(), size=(1200, 800))

    # 480, 720, 960, the picture's own 1200, the link-preview card and the web size.
    assert len(picture.rendition_names) == 6
    assert {picture.card, picture.web_size} <= set(picture.rendition_names)
    for name in picture.rendition_names:
        assert re.fullmatch(pattern, name, re.IGNORECASE), name
    # Nor the name an original has, were one ever put there.
    assert not re.fullmatch(pattern, picture.photo.name, re.IGNORECASE)


@pytest.mark.local_media
def test_url_on_disk_is_under_media():
    picture = make_picture()

    assert public_media(picture).src == f"/media/{picture.rendition_names[0]}"


@pytest.mark.local_media
@override_settings(MEDIA_URL="https://media.example-cdn.net/")
def test_url_follows_a_cdn_media_url():
    picture = make_picture()

    assert (
        public_media(picture).src == f"https://media.example-cdn.net/{picture.rendition_names[0]}"
    )


@pytest.mark.local_media
def test_an_original_has_no_public_url():
    picture = make_picture()

    with pytest.raises(NotImplementedError):
        picture.photo.url  # noqa: B018 (the property raises)
    # What anyone but its owner is handed.
    assert public_media(picture).original_url("photo.jpg") == ""


def test_two_uploads_with_the_same_name_never_collide():
    project = make_project()
    first = make_picture(project, name="photo.jpg")
    second = make_picture(project, name="photo.jpg")

    assert first.photo.name != second.photo.name
    assert private_files() == {first.photo.name, second.photo.name}


def test_stored_name_never_uses_what_the_client_chose():
    project = make_project()
    picture = Picture(project=project)

    for client_name in ["../../etc/passwd.jpg", "a/b/c.png", "evil\x00.jpg", "name.JPEG "]:
        stored = picture_upload_to(picture, client_name)
        folder, _, filename = stored.rpartition("/")
        assert folder == f"projects/{project.pk}"
        assert ".." not in stored and "\x00" not in stored
        assert len(filename.split(".")[0]) == 32


@pytest.mark.local_media
def test_on_disk_originals_are_outside_the_media_root(media_root, settings):
    picture = make_picture()

    assert default_storage.path("projects") == str(media_root / "projects")
    assert (settings.PRIVATE_MEDIA_ROOT / picture.photo.name).is_file()
    assert not (media_root / picture.photo.name).exists()
    assert (media_root / picture.rendition_names[0]).is_file()


def test_model_form_rejects_a_file_that_is_not_an_image():
    from django import forms

    class PictureForm(forms.ModelForm):
        class Meta:
            model = Picture
            fields = ["photo"]

    fake = uploaded_image("photo.jpg")
    fake.file.seek(0)
    fake.file.write(b"this is not an image at all")
    fake.file.truncate()
    fake.file.seek(0)

    form = PictureForm(data={}, files={"photo": fake}, instance=Picture(project=make_project()))

    assert not form.is_valid()
    assert "photo" in form.errors
