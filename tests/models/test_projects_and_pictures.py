"""The models' own rules: slugs, ordering, covers, a photo stored for good, file clean-up."""

from datetime import timedelta

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portfolio.models import Picture, Project
from portfolio.models.pictures import PhotoChangedError
from tests.helpers import (
    make_picture,
    make_project,
    make_stored_pictures,
    make_user,
    stored_files,
    uploaded_image,
)

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


def test_cover_picture_is_the_chosen_cover_else_the_first_picture(django_assert_num_queries):
    project = make_project()
    assert (project.cover_picture, project.cover_picture_id) == (None, None)
    first, second = make_picture(project, position=2), make_picture(project, position=1)

    assert (project.cover_picture, project.cover_picture_id) == (second, second.pk)

    project.cover = first
    assert project.cover_picture == first
    with django_assert_num_queries(0):
        assert project.cover_picture_id == first.pk


def test_with_cover_fetches_each_projects_first_picture_in_one_query(django_assert_num_queries):
    big, small, empty = make_project(title="Big"), make_project(title="Small"), make_project()
    pictures = make_stored_pictures(big, 30)
    pictures[17].move_to(0)
    (alone,) = make_stored_pictures(small, 1)

    with django_assert_num_queries(2):  # The projects, then every first picture.
        listed = {project.pk: project for project in Project.objects.with_cover()}
        assert listed[big.pk].first_picture == pictures[17]
        assert listed[small.pk].first_picture == alone
        assert listed[empty.pk].first_picture is None
        assert listed[big.pk].first_picture.project.title == "Big"  # Its project given.


def test_new_pictures_go_to_the_end():
    project = make_project()

    positions = [make_picture(project).position for _ in range(3)]

    assert positions == [0, 1, 2]


def counts(*projects: Project) -> list[int]:
    return [Project.objects.get(pk=project.pk).picture_count for project in projects]


def test_a_projects_picture_count_follows_every_way_pictures_come_and_go():
    wedding, portraits = make_project(), make_project()
    first = make_picture(wedding)
    assert counts(wedding, portraits) == [1, 0]
    assert wedding.picture_count == 1  # The project the picture was made with follows it.

    make_stored_pictures(wedding, 3)  # bulk_create
    make_stored_pictures(portraits, 2)
    assert counts(wedding, portraits) == [4, 2]

    first.project = portraits  # A move to another project.
    first.save()
    assert counts(wedding, portraits) == [3, 3]
    (made,) = make_stored_pictures(wedding, 1)  # As bulk_create returns it: a move counts.
    made.project = portraits
    made.save()
    assert counts(wedding, portraits) == [3, 4]

    first.delete()
    assert counts(wedding, portraits) == [3, 3]

    # A queryset's deletion across both projects, as the admin's action deletes.
    Picture.objects.filter(
        pk__in=[*wedding.pictures.values_list("pk", flat=True)[:2], portraits.pictures.first().pk]
    ).delete()
    assert counts(wedding, portraits) == [1, 2]
    assert counts(wedding, portraits) == [wedding.pictures.count(), portraits.pictures.count()]


def test_a_picture_deleted_twice_or_moved_since_it_was_loaded_is_counted_where_it_is():
    wedding, portraits = make_project(), make_project()
    kept, gone, moved = make_stored_pictures(wedding, 3)
    Picture.objects.get(pk=gone.pk).delete()  # Another tab deletes it first.
    assert gone.delete() == (0, {})  # Nothing more: no count taken twice.
    elsewhere = Picture.objects.get(pk=moved.pk)  # Another tab moves it.
    elsewhere.project = portraits
    elsewhere.save()

    moved.delete()  # This tab's instance still says the wedding.

    assert counts(wedding, portraits) == [1, 0]
    assert list(wedding.pictures.all()) == [kept]


def test_pictures_change_project_only_through_save():
    wedding, portraits = make_project(), make_project()
    make_stored_pictures(wedding, 2)

    with pytest.raises(TypeError):
        wedding.pictures.update(project=portraits)
    with pytest.raises(TypeError), transaction.atomic():  # bulk_update's own has no savepoint.
        Picture.objects.bulk_update(list(wedding.pictures.all()), ["project"])

    assert counts(wedding, portraits) == [2, 0]


def test_saving_a_project_loaded_before_its_pictures_keeps_their_count():
    project = make_project()
    edited = Project.objects.get(pk=project.pk)  # An edit form's, opened before an upload.
    make_stored_pictures(project, 2)

    edited.title = "Renamed"
    edited.save()

    assert counts(project) == [2]
    assert Project.objects.get(pk=project.pk).title == "Renamed"


def test_count_pictures_sets_the_count_from_the_rows():
    project = make_project()
    make_stored_pictures(project, 3)
    Project.objects.filter(pk=project.pk).update(picture_count=99)  # Rows written around it.

    Project.objects.count_pictures(changed=False)

    assert counts(project) == [3]


def test_a_project_is_dated_by_every_way_its_pictures_come_and_go():
    project = make_project()
    long_ago = timezone.now() - timedelta(days=30)

    def dated_now(change) -> bool:
        Project.objects.filter(pk=project.pk).update(updated=long_ago)
        change()
        return Project.objects.get(pk=project.pk).updated > long_ago

    assert dated_now(lambda: make_picture(project))
    assert dated_now(lambda: make_stored_pictures(project, 2))  # bulk_create
    assert dated_now(lambda: project.pictures.first().delete())
    assert dated_now(lambda: project.pictures.all().delete())  # The admin's action.
    # Counted afresh after writes around Picture (settle_media): nothing came or went.
    assert not dated_now(lambda: Project.objects.count_pictures(changed=False))


def test_visibility_rules():
    owner, stranger, staff = make_user(), make_user(), make_user(is_staff=True)
    published, draft = make_project(owner), make_project(owner, visibility="private")

    assert set(Project.objects.public()) == {published}
    assert set(Project.objects.visible_to(owner)) == {published, draft}
    assert set(Project.objects.visible_to(stranger)) == {published}
    assert set(Project.objects.visible_to(staff)) == {published, draft}
    assert set(Project.objects.editable_by(stranger)) == set()
    assert set(Project.objects.editable_by(owner)) == {published, draft}


def test_deleting_a_picture_removes_its_file(django_capture_on_commit_callbacks):
    picture = make_picture()
    assert stored_files() == {picture.photo.name, *picture.rendition_names}

    with django_capture_on_commit_callbacks(execute=True):
        picture.delete()

    assert stored_files() == set()


def test_a_stored_picture_keeps_its_photo_for_good():
    picture = make_picture()
    other = make_picture(name="other.png")
    before = stored_files()

    picture.photo = uploaded_image("replacement.jpg")
    with pytest.raises(PhotoChangedError, match="add the new file as a new picture"):
        picture.save()
    picture.photo = other.photo.name
    with pytest.raises(PhotoChangedError):
        picture.save()

    assert stored_files() == before
    assert Picture.objects.get(pk=picture.pk).photo.name not in (other.photo.name, "")


def test_a_stored_picture_saves_what_may_change():
    picture = make_picture()

    picture.caption = "At dawn"
    picture.save()
    loaded_without_its_photo = Picture.objects.only("id", "caption").get(pk=picture.pk)
    loaded_without_its_photo.caption = "At dusk"
    loaded_without_its_photo.save()

    assert Picture.objects.get(pk=picture.pk).caption == "At dusk"


def test_a_form_that_offers_the_photo_refuses_another_for_a_stored_picture():
    class PictureForm(forms.ModelForm):
        class Meta:
            model = Picture
            fields = ["photo", "caption"]

    picture = make_picture()
    form = PictureForm(
        data={"caption": "New"}, files={"photo": uploaded_image("new.jpg")}, instance=picture
    )

    assert not form.is_valid()
    assert form.errors["photo"] == [
        "A stored picture's photo cannot be replaced: add the new file as a new picture "
        "and delete this one."
    ]


def test_deleting_a_project_removes_its_pictures_files(django_capture_on_commit_callbacks):
    project = make_project()
    for _ in range(3):
        make_picture(project)
    kept = make_picture()

    with django_capture_on_commit_callbacks(execute=True):
        project.delete()

    assert stored_files() == {kept.photo.name, *kept.rendition_names}


def test_moving_a_picture_deleted_meanwhile_changes_nothing():
    project = make_project()
    first, second = make_picture(project), make_picture(project)
    Picture.objects.filter(pk=first.pk).delete()

    first.move(1)

    assert list(project.pictures.values_list("pk", "position")) == [(second.pk, second.position)]


@pytest.mark.parametrize(
    ("index", "position", "expected"),
    [
        (0, 2, [1, 2, 0, 3]),
        (3, 0, [3, 0, 1, 2]),
        (1, 1, [0, 1, 2, 3]),
        (0, 99, [1, 2, 3, 0]),  # Past the end: last.
        (2, -5, [2, 0, 1, 3]),  # Before the start: first.
    ],
)
def test_move_to_puts_a_picture_at_a_position_and_renumbers_the_rest(index, position, expected):
    project = make_project()
    pictures = [make_picture(project) for _ in range(4)]

    pictures[index].move_to(position)

    order = list(project.pictures.in_display_order().values_list("pk", "position"))
    assert order == [(pictures[number].pk, place) for place, number in enumerate(expected)]
    assert pictures[index].position == expected.index(index)


def test_move_to_leaves_other_projects_alone():
    project, other = make_project(), make_project()
    first, second = make_picture(project), make_picture(project)
    elsewhere = [make_picture(other), make_picture(other)]

    second.move_to(0)

    assert list(project.pictures.in_display_order()) == [second, first]
    assert list(other.pictures.in_display_order()) == elsewhere


def test_moving_to_a_position_a_picture_deleted_meanwhile_changes_nothing():
    project = make_project()
    first, second = make_picture(project), make_picture(project)
    Picture.objects.filter(pk=first.pk).delete()

    first.move_to(1)

    assert list(project.pictures.values_list("pk", "position")) == [(second.pk, second.position)]


def test_arrange_gives_the_places_the_pictures_hold_out_in_the_order_given():
    # Three pictures of an upload stored out of the order they were sent (c, a, b), after
    # two already there, and one added after them.
    project = make_project()
    before = [make_picture(project, name=f"old-{number}.jpg") for number in range(2)]
    c, a, b = (make_picture(project, name=f"{name}.jpg") for name in "cab")
    after = make_picture(project, name="later.jpg")
    places = sorted(picture.position for picture in (c, a, b))
    others = {picture.pk: picture.position for picture in (*before, after)}

    project.arrange([a.pk, b.pk, c.pk])

    assert list(project.pictures.in_display_order()) == [*before, a, b, c, after]
    stored = dict(project.pictures.values_list("pk", "position"))
    assert [stored[picture.pk] for picture in (a, b, c)] == places
    assert {pk: stored[pk] for pk in others} == others


def test_arrange_keeps_the_places_when_others_are_between_them():
    project = make_project()
    first, middle, last = (make_picture(project) for _ in range(3))
    places = {picture.pk: picture.position for picture in (first, middle, last)}

    project.arrange([last.pk, first.pk])

    stored = dict(project.pictures.values_list("pk", "position"))
    assert stored == {
        last.pk: places[first.pk],
        middle.pk: places[middle.pk],
        first.pk: places[last.pk],
    }


@pytest.mark.parametrize("foreign", ["another project's", "deleted", "repeated"])
def test_arrange_refuses_ids_not_of_the_project_and_changes_nothing(foreign):
    project, other = make_project(), make_project()
    first, second = make_picture(project), make_picture(project)
    elsewhere = make_picture(other)
    if foreign == "deleted":
        gone = make_picture(project)
        gone_id = gone.pk
        gone.delete()
        ids = [second.pk, gone_id, first.pk]
    elif foreign == "repeated":
        ids = [second.pk, first.pk, second.pk]
    else:
        ids = [second.pk, elsewhere.pk, first.pk]
    before = list(Picture.objects.order_by("pk").values_list("pk", "position"))

    with pytest.raises(ValueError):
        project.arrange(ids)

    assert list(Picture.objects.order_by("pk").values_list("pk", "position")) == before


def test_arrange_changes_the_content_version_only_when_something_moved():
    from portfolio.cache import content_version

    project = make_project()
    first, second = make_picture(project), make_picture(project)
    version = content_version()

    project.arrange([first.pk, second.pk])
    assert content_version() == version

    project.arrange([second.pk, first.pk])
    assert content_version() != version
    assert list(project.pictures.in_display_order()) == [second, first]


def test_saving_another_file_into_a_stored_picture_writes_nothing():
    picture = make_picture()
    before = stored_files()

    with pytest.raises(PhotoChangedError, match="add the new file as a new picture"):
        picture.photo.save("replacement.jpg", uploaded_image("replacement.jpg"))

    assert stored_files() == before
    assert Picture.objects.get(pk=picture.pk).photo.name == picture.photo.name


@pytest.mark.parametrize("rows_per_query", [1, 2, 3, 7, 8])
def test_pictures_read_a_batch_a_query_come_in_display_order_once_each(rows_per_query):
    project = make_project()
    pictures = make_stored_pictures(project, 7)
    # Ties in position, and positions out of id order: the keyset goes by both.
    for picture, position in zip(pictures, [3, 1, 1, 0, 3, 1, 2], strict=True):
        picture.position = position
    Picture.objects.bulk_update(pictures, ["position"])

    read = list(project.pictures.iterate_in_display_order(rows_per_query))

    assert read == list(project.pictures.in_display_order())
