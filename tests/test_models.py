"""The models' own rules: slugs, ordering, covers and file clean-up."""

import pytest
from django.core.exceptions import ValidationError

from portfolio.models import Picture, Project
from tests.helpers import make_picture, make_project, make_user, stored_files

pytestmark = pytest.mark.django_db


def test_slug_is_made_from_the_title_and_kept_unique():
    owner = make_user()

    first = make_project(owner, title="Night Trains")
    second = make_project(owner, title="Night Trains")

    assert first.slug == "night-trains"
    assert second.slug == "night-trains-2"


def test_reserved_slug_is_never_generated_and_refused_by_validation():
    project = make_project(title="New")

    assert project.slug != "new"
    project.slug = "new"
    with pytest.raises(ValidationError):
        project.full_clean()


def test_cover_must_belong_to_the_project():
    project, other = make_project(), make_project()
    project.cover = make_picture(other)

    with pytest.raises(ValidationError):
        project.full_clean()


def test_new_pictures_go_to_the_end():
    project = make_project()

    positions = [make_picture(project).position for _ in range(3)]

    assert positions == [0, 1, 2]


def test_visibility_rules():
    owner, stranger, staff = make_user(), make_user(), make_user(is_staff=True)
    published, draft = make_project(owner), make_project(owner, is_published=False)

    assert set(Project.objects.published()) == {published}
    assert set(Project.objects.visible_to(owner)) == {published, draft}
    assert set(Project.objects.visible_to(stranger)) == {published}
    assert set(Project.objects.visible_to(staff)) == {published, draft}
    assert set(Project.objects.editable_by(stranger)) == set()
    assert set(Project.objects.editable_by(owner)) == {published, draft}


def test_deleting_a_picture_removes_its_file(django_capture_on_commit_callbacks):
    picture = make_picture()
    assert stored_files() == {picture.photo.name}

    with django_capture_on_commit_callbacks(execute=True):
        picture.delete()

    assert stored_files() == set()


def test_replacing_a_file_removes_the_old_one(django_capture_on_commit_callbacks):
    picture = make_picture()
    old_name = picture.photo.name
    replacement = make_picture(name="other.png")

    with django_capture_on_commit_callbacks(execute=True):
        picture.photo = replacement.photo.name
        picture.save()

    assert old_name != replacement.photo.name
    assert old_name not in stored_files()
    assert replacement.photo.name in stored_files()


def test_deleting_a_project_removes_its_pictures_files(django_capture_on_commit_callbacks):
    project = make_project()
    for _ in range(3):
        make_picture(project)
    kept = make_picture()

    with django_capture_on_commit_callbacks(execute=True):
        project.delete()

    assert stored_files() == {kept.photo.name}


def test_moving_a_picture_deleted_meanwhile_changes_nothing():
    project = make_project()
    first, second = make_picture(project), make_picture(project)
    Picture.objects.filter(pk=first.pk).delete()

    first.move(1)

    assert list(project.pictures.values_list("pk", "position")) == [(second.pk, second.position)]
