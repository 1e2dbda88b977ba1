"""Lists read in steps by keyset: every item once, in order, whatever moves meanwhile."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolio.models import InvalidCursor, Picture, Project
from tests.helpers import make_pictures, make_project, make_user

pytestmark = pytest.mark.django_db


def captions(pictures) -> list[str]:
    return [picture.caption for picture in pictures]


def every_step(queryset, size: int) -> list:
    """The steps of a list, followed from the first by their cursors."""
    steps = [queryset.step("", size)]
    while steps[-1].next_cursor:
        steps.append(queryset.step(steps[-1].next_cursor, size))
    return steps


def test_following_the_cursors_gives_every_picture_once_in_display_order():
    project = make_project()
    make_pictures(project, 11)
    Picture.objects.filter(caption="Picture 11").first().move_to(0)

    steps = every_step(project.pictures.all(), 4)

    assert [len(step.items) for step in steps] == [4, 4, 3]
    assert [step.is_first for step in steps] == [True, False, False]
    shown = [picture for step in steps for picture in step.items]
    assert captions(shown) == captions(project.pictures.in_display_order())
    assert captions(shown)[0] == "Picture 11"


def test_a_list_of_exactly_one_step_has_no_next():
    project = make_project()
    make_pictures(project, 4)

    step = project.pictures.all().step("", 4)

    assert len(step.items) == 4
    assert step.next_cursor == ""


def test_a_later_step_is_one_query_by_keyset_not_offset():
    project = make_project()
    make_pictures(project, 9)
    first = project.pictures.all().step("", 3)

    with CaptureQueriesContext(connection) as queries:
        project.pictures.all().step(first.next_cursor, 3)

    (query,) = queries.captured_queries
    assert "OFFSET" not in query["sql"].upper()
    assert "LIMIT 4" in query["sql"].upper()  # One more than the step: is there another?


def test_the_next_step_starts_after_the_last_shown_wherever_the_owner_moved_pictures():
    project = make_project()
    pictures = make_pictures(project, 8)
    pictures[7].move_to(3)  # The last one shown is a later upload: its id is the larger.
    first = project.pictures.all().step("", 4)
    assert captions(first.items) == ["Picture 1", "Picture 2", "Picture 3", "Picture 8"]

    # Picture 2 goes to the end: every picture after it moves up one place, the last one shown
    # too. From the places the cursor holds, Picture 4 (now where Picture 8 was, with a
    # smaller id) would be skipped.
    pictures[1].move_to(7)
    second = project.pictures.all().step(first.next_cursor, 4)

    assert captions(second.items) == ["Picture 4", "Picture 5", "Picture 6", "Picture 7"]
    assert captions(project.pictures.all().step(second.next_cursor, 4).items) == ["Picture 2"]


def test_after_the_last_shown_picture_is_deleted_the_next_step_starts_from_its_place():
    project = make_project()
    pictures = make_pictures(project, 6)
    first = project.pictures.all().step("", 3)

    pictures[2].delete()

    assert captions(project.pictures.all().step(first.next_cursor, 3).items) == [
        "Picture 4",
        "Picture 5",
        "Picture 6",
    ]


@pytest.mark.parametrize(
    "cursor",
    [
        "1",
        "1.2.3",
        "a.2",
        "-1.2",
        "1.-2",
        " 1.2",
        "1.2 ",
        "١.٢",  # Digits, but not ASCII ones.
        "1.²",
        f"{2**63}.1",  # Beyond any row: SQLite would overflow.
        "1." + "9" * 40,
        ".",
    ],
)
def test_a_cursor_this_site_never_made_is_refused(cursor):
    project = make_project()

    with pytest.raises(InvalidCursor):
        project.pictures.all().step(cursor, 3)


def test_projects_come_newest_first_in_steps_with_their_dates_as_cursors():
    owner = make_user()
    projects = [make_project(owner, title=f"Project {number}") for number in range(7)]
    # Two made in the same microsecond: the id decides, as Meta.ordering says.
    same = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    Project.objects.filter(pk__in=[projects[2].pk, projects[3].pk]).update(created=same)

    steps = every_step(Project.objects.filter(owner=owner), 3)

    shown = [project.title for step in steps for project in step.items]
    assert shown == [project.title for project in Project.objects.filter(owner=owner)]
    assert len(shown) == len(set(shown)) == 7


@pytest.mark.parametrize("cursor", [f"{2**62}.1", "253402300800000000.1"])
def test_a_date_beyond_any_date_is_refused(cursor):
    with pytest.raises(InvalidCursor):
        Project.objects.all().step(cursor, 3)


def test_before_reads_back_from_a_cursor_nearest_first_with_ties_settled_by_id():
    owner = make_user("archive")
    same_time = datetime(2025, 5, 1, tzinfo=UTC)
    projects = [make_project(owner, title=f"Project {number}") for number in range(6)]
    # Three share a creation time: the id orders them.
    Project.objects.filter(pk__in=[project.pk for project in projects[1:4]]).update(
        created=same_time
    )
    newest_first = list(Project.objects.order_by("-created", "-id"))
    middle = newest_first[3]

    before = list(Project.objects.before(middle.cursor))
    after = list(Project.objects.after(middle.cursor))

    assert before == newest_first[:3][::-1]
    assert after == newest_first[4:]


def test_an_items_place_names_the_step_its_cursors_lead_to():
    project = make_project()
    make_pictures(project, 11)
    Picture.objects.filter(caption="Picture 11").first().move_to(5)
    pictures = project.pictures.all()
    steps = every_step(pictures, 4)

    for number, step in enumerate(steps):
        for index_in_step, picture in enumerate(step.items):
            place = pictures.place_of(picture.pk, 4)
            assert (place.index, place.step, place.after) == (
                4 * number + index_in_step,
                number,
                step.after,
            )
            assert pictures.count_before(picture) == place.index


def test_an_item_the_list_does_not_hold_has_no_place():
    project = make_project()
    pictures = make_pictures(project, 6)
    other = make_pictures(make_project(), 1)[0]

    assert project.pictures.all().place_of(other.pk, 4) is None
    assert project.pictures.filter(caption="Picture 1").place_of(pictures[5].pk, 4) is None
    assert project.pictures.all().place_of(2**63 - 1, 4) is None


def test_a_place_costs_three_queries_reading_at_most_a_step_back_by_keyset():
    project = make_project()
    pictures = make_pictures(project, 50)

    with CaptureQueriesContext(connection) as queries:
        place = project.pictures.all().place_of(pictures[-1].pk, 4)

    assert (place.index, place.step) == (49, 12)
    the_item, count, step_before = (query["sql"].upper() for query in queries.captured_queries)
    assert "COUNT(" in count
    assert "LIMIT 1 OFFSET 1" in step_before  # The 49th is the second back from the 50th.


def test_a_projects_place_among_the_newest_first_with_ties_on_their_dates():
    owner = make_user()
    projects = [make_project(owner, title=f"Project {number}") for number in range(7)]
    # Two made in the same microsecond, the oldest: either side of the second step's end.
    same = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    Project.objects.filter(pk__in=[projects[3].pk, projects[4].pk]).update(created=same)
    listed = Project.objects.filter(owner=owner)
    steps = every_step(listed, 3)

    for number, step in enumerate(steps):
        for project in step.items:
            assert listed.place_of(project.pk, 3).step == number
            assert listed.place_of(project.pk, 3).after == step.after
