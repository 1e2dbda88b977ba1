"""What owners do: studio, create, edit, delete, and arranging pictures with and without htmx."""

import re

import pytest
from django.db.models.signals import pre_save
from django.test import Client
from django.urls import reverse

from portfolio.models import Picture, Project
from tests.helpers import (
    HTMX,
    make_category,
    make_picture,
    make_project,
    make_user,
    picture_url,
    private_files,
    signed_in,
    stored_files,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(project):
    for caption in ["first", "second", "third"]:
        make_picture(project, caption=caption)
    return project


# What studio.js sends with each change: the page shows every picture.
EVERY_PICTURE_SHOWN = {"shown_through": ""}


def captions(project) -> list[str]:
    return list(project.pictures.in_display_order().values_list("caption", flat=True))


# Studio and navigation -----------------------------------------------------------------


def test_studio_lists_own_projects_with_drafts_and_nobody_elses(owner_client, owner):
    mine = make_project(owner, title="Mine, published")
    draft = make_project(owner, title="Mine, a draft", visibility="private")
    make_project(make_user(), title="Someone else's")

    response = owner_client.get(reverse("portfolio:studio"))

    assert set(response.context["project_list"]) == {mine, draft}
    html = response.content.decode()
    assert (
        "Mine, a draft" in html
        and 'value="private" class="visibility-option" aria-pressed="true"' in html
    )
    assert "Someone else" not in html
    assert reverse("portfolio:project-update", kwargs={"slug": draft.slug}) in html


def test_staff_studio_shows_their_own_projects(owner):
    staff = make_user(is_staff=True)
    theirs = make_project(staff, visibility="private")
    make_project(owner)

    response = signed_in(staff).get(reverse("portfolio:studio"))

    assert list(response.context["project_list"]) == [theirs]


def test_signed_in_navigation_links_to_studio_and_new_project(owner_client):
    html = owner_client.get("/").content.decode()

    assert f'href="{reverse("portfolio:studio")}"' in html
    assert f'href="{reverse("portfolio:project-create")}"' in html


def test_visitors_get_no_owner_links():
    html = Client().get("/").content.decode()

    assert reverse("portfolio:studio") not in html


def test_studio_lists_newest_first(owner_client, owner):
    oldest, middle, newest = (make_project(owner, title=f"Project {n}") for n in range(3))

    response = owner_client.get(reverse("portfolio:studio"))

    assert list(response.context["project_list"]) == [newest, middle, oldest]


def test_studio_query_count_is_constant(owner_client, owner, django_assert_num_queries):
    for _ in range(2):
        make_picture(make_project(owner))

    # Session, user, projects with counts, first pictures, the site identity.
    with django_assert_num_queries(5):
        owner_client.get(reverse("portfolio:studio"))
    for _ in range(5):
        make_picture(make_project(owner))
    with django_assert_num_queries(5):
        owner_client.get(reverse("portfolio:studio"))


# Create, edit, delete ------------------------------------------------------------------


def test_create_project_makes_the_owner_its_owner_and_goes_to_its_edit_page(owner_client, owner):
    category = make_category("Travel")

    response = owner_client.post(
        reverse("portfolio:project-create"),
        {
            "title": "Lisbon Light",
            "slug": "",
            "category": category.pk,
            "description": "Trams.",
            "visibility": "private",
            "downloads": "none",
        },
    )

    project = Project.objects.get(title="Lisbon Light")
    assert project.owner == owner
    assert project.slug == "lisbon-light"
    assert project.visibility == "private"
    assert response.url == reverse("portfolio:project-update", kwargs={"slug": "lisbon-light"})


def test_new_is_not_a_slug_anyone_can_take(owner_client):
    response = owner_client.post(
        reverse("portfolio:project-create"), {"title": "X", "slug": "new"}
    )

    assert response.status_code == 200
    assert "is reserved" in response.content.decode()
    assert not Project.objects.exists()


def test_projects_new_is_the_create_page_not_a_project(owner_client):
    response = owner_client.get("/projects/new/")

    assert response.status_code == 200
    assert response.templates[0].name == "portfolio/project_form.html"
    assert 'id="upload-form"' not in response.content.decode()


def test_edit_page_has_the_form_the_uploader_and_the_pictures(owner_client, project):
    html = owner_client.get(reverse("portfolio:project-update", kwargs={"slug": project.slug}))
    html = html.content.decode()

    assert f'name="title" value="{project.title}"' in html
    assert 'id="upload-form"' in html
    assert 'id="picture-grid"' in html
    assert html.count('class="picture-tools"') == 3
    edit_url = reverse("portfolio:project-update", kwargs={"slug": project.slug})
    # Plain posts from the edit page come back to it.
    assert f'name="next" value="{edit_url}"' in html


def test_edit_changes_the_slug_and_follows_it(owner_client, project):
    response = owner_client.post(
        reverse("portfolio:project-update", kwargs={"slug": project.slug}),
        {
            "title": "Highlands",
            "slug": "scottish-highlands",
            "visibility": "public",
            "downloads": "none",
        },
    )

    assert response.url == reverse(
        "portfolio:project-update", kwargs={"slug": "scottish-highlands"}
    )
    assert Project.objects.get(pk=project.pk).slug == "scottish-highlands"


def test_an_edit_of_a_project_deleted_meanwhile_is_a_404_not_a_500(owner_client, project):
    def deleted_in_another_tab(sender, instance, **kwargs):
        # Between the view's read of the project and its save, as a second tab deletes it.
        Project.objects.filter(pk=instance.pk).delete()

    pre_save.connect(deleted_in_another_tab, sender=Project)
    try:
        response = owner_client.post(
            reverse("portfolio:project-update", kwargs={"slug": project.slug}),
            {
                "title": "Renamed",
                "slug": project.slug,
                "visibility": "public",
                "downloads": "none",
            },
        )
    finally:
        pre_save.disconnect(deleted_in_another_tab, sender=Project)

    assert response.status_code == 404
    # The request's transaction undone whole (here the deletion too, made inside it).
    assert Project.objects.get(pk=project.pk).title == project.title


def test_invalid_edit_keeps_working_links_to_the_saved_slug(owner_client, project):
    response = owner_client.post(
        reverse("portfolio:project-update", kwargs={"slug": project.slug}),
        {"title": "", "slug": "new"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("portfolio:picture-upload", kwargs={"slug": project.slug}) in html
    assert "/projects/new/pictures/" not in html


def test_delete_asks_first_then_removes_the_project_its_pictures_and_files(
    owner_client, project, django_capture_on_commit_callbacks
):
    url = reverse("portfolio:project-delete", kwargs={"slug": project.slug})
    assert "its 3 pictures will be deleted" in owner_client.get(url).content.decode()
    assert len(private_files()) == 3

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(url)

    assert response.url == reverse("portfolio:studio")
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Picture.objects.exists()
    assert stored_files() == set()


def test_deleting_a_project_with_a_chosen_cover(
    owner_client, project, django_capture_on_commit_callbacks
):
    project.cover = project.pictures.last()
    project.save()

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("portfolio:project-delete", kwargs={"slug": project.slug}))

    assert not Project.objects.exists()


# Arranging pictures: htmx fragments and plain fallbacks ---------------------------------


def test_project_page_shows_tools_to_its_editor(owner_client, project):
    html = owner_client.get(project.get_absolute_url()).content.decode()

    assert html.count('class="picture-tools"') == 3
    assert html.count("cover-badge") == 1


def test_caption_edit_with_htmx_returns_only_that_picture(owner_client, project):
    picture = project.pictures.first()

    response = owner_client.post(
        picture_url("picture-update", picture), {"caption": "Dawn mist"}, headers=HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert re.match(f'<li class="picture [^"]*" id="picture-{picture.pk}"', html.strip())
    assert "Dawn mist" in html
    assert html.count('<li class="picture ') == 1
    picture.refresh_from_db()
    assert picture.caption == "Dawn mist"


def test_caption_edit_without_javascript_redirects_to_the_picture(owner_client, project):
    picture = project.pictures.first()

    response = owner_client.post(picture_url("picture-update", picture), {"caption": "Dawn"})

    assert response.status_code == 302
    assert response.url == f"{project.get_absolute_url()}#picture-{picture.pk}"
    assert owner_client.get(picture_url("picture-update", picture)).status_code == 200


def test_too_long_caption_is_refused_inline_with_htmx(owner_client, project):
    picture = project.pictures.first()

    response = owner_client.post(
        picture_url("picture-update", picture), {"caption": "x" * 301}, headers=HTMX
    )

    assert response["HX-Retarget"] == f"#caption-errors-{picture.pk}"
    assert "at most 300 characters" in response.content.decode()
    picture.refresh_from_db()
    assert picture.caption == "first"


def test_set_cover_with_htmx_answers_the_new_cover_and_the_old_one(owner_client, project):
    first, _, third = project.pictures.in_display_order()

    response = owner_client.post(
        picture_url("picture-cover", third), EVERY_PICTURE_SHOWN, headers=HTMX
    )

    html = response.content.decode()
    assert "<html" not in html
    # The new cover and the one that was (the first picture), by their ids.
    assert html.strip().startswith("<template>")
    assert html.count('<li class="picture ') == 2
    assert f'id="picture-{third.pk}" data-hx-swap-oob="true"' in html
    assert f'id="picture-{first.pk}" data-hx-swap-oob="true"' in html
    project.refresh_from_db()
    assert project.cover == third
    assert html.count("cover-badge") == 1
    assert f'id="cover-{third.pk}"' not in html
    assert f'id="cover-{first.pk}"' in html


def test_set_cover_with_htmx_leaves_alone_an_old_cover_the_page_does_not_show(
    owner_client, project, settings
):
    settings.PORTFOLIO_STEP_SIZE = 1
    first, second, third = project.pictures.in_display_order()
    project.cover = third
    project.save()
    # The page shows the first picture alone: its More link names it.
    shown_through = project.pictures.cursor_of(first)

    response = owner_client.post(
        picture_url("picture-cover", first), {"shown_through": shown_through}, headers=HTMX
    )

    html = response.content.decode()
    assert html.count('<li class="picture ') == 1  # No swap to an element not on the page.
    assert f'id="picture-{third.pk}"' not in html


def test_set_cover_without_javascript_redirects(owner_client, project):
    third = project.pictures.last()

    response = owner_client.post(picture_url("picture-cover", third))

    assert response.status_code == 302
    project.refresh_from_db()
    assert project.cover == third


@pytest.mark.parametrize(
    ("index", "direction", "expected"),
    [
        (0, "down", ["second", "first", "third"]),
        (2, "up", ["first", "third", "second"]),
        (0, "up", ["first", "second", "third"]),
        (2, "down", ["first", "second", "third"]),
    ],
)
def test_move(owner_client, project, index, direction, expected):
    picture = list(project.pictures.in_display_order())[index]

    response = owner_client.post(picture_url("picture-move", picture), {"direction": direction})

    assert response.status_code == 302
    assert captions(project) == expected


def test_move_with_htmx_puts_the_picture_back_at_its_new_place(owner_client, project):
    first, second, third = project.pictures.in_display_order()

    response = owner_client.post(
        picture_url("picture-move", first),
        {"direction": "down", **EVERY_PICTURE_SHOWN},
        headers=HTMX,
    )

    html = response.content.decode()
    assert "<html" not in html
    # Its item goes (hx-swap="delete"); it comes back before the third, out of band.
    assert html.strip().startswith(f'<ul data-hx-swap-oob="beforebegin:#picture-{third.pk}">')
    assert html.count('<li class="picture ') == 2  # It, and the second: its cover badge now.
    assert html.index(f'id="picture-{first.pk}"') < html.index(f'id="picture-{second.pk}"')
    assert f'id="picture-{second.pk}" data-hx-swap-oob="true"' in html
    assert captions(project) == ["second", "first", "third"]


def test_move_without_a_direction_is_a_400(owner_client, project):
    response = owner_client.post(picture_url("picture-move", project.pictures.first()))

    assert response.status_code == 400


def test_delete_picture_asks_first_without_javascript(
    owner_client, project, django_capture_on_commit_callbacks
):
    picture = project.pictures.first()
    url = picture_url("picture-delete", picture)
    edit_url = reverse("portfolio:project-update", kwargs={"slug": project.slug})

    page = owner_client.get(f"{url}?next={edit_url}")
    assert page.status_code == 200
    assert f'name="next" value="{edit_url}"' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(url, {"next": edit_url})

    assert response.url == edit_url
    assert captions(project) == ["second", "third"]
    assert picture.photo.name not in stored_files()
    assert len(private_files()) == 2


def test_delete_picture_with_htmx_answers_the_new_cover_alone(
    owner_client, project, django_capture_on_commit_callbacks
):
    picture, second, _ = project.pictures.in_display_order()
    project.cover = picture
    project.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            picture_url("picture-delete", picture), EVERY_PICTURE_SHOWN, headers=HTMX
        )

    html = response.content.decode()
    assert "<html" not in html
    assert f'id="picture-{picture.pk}"' not in html
    # The cover is gone: the first remaining picture stands in, as in the gallery; its badge.
    assert html.count('<li class="picture ') == 1
    assert f'id="picture-{second.pk}" data-hx-swap-oob="true"' in html
    project.refresh_from_db()
    assert project.cover is None
    assert html.count("cover-badge") == 1
    assert len(private_files()) == 2


# The project page opens on its cover (_project_hero.html): a change in its grid sends the cover
# too, out of band, as the page shows it after the change.


def from_the_project_page(project) -> dict:
    """htmx's headers on a request from the project's own page."""
    return {**HTMX, "HX-Current-URL": f"http://testserver{project.get_absolute_url()}"}


def out_of_band_hero(html: str) -> str:
    """The cover sent out of band, the last element of the answer."""
    start = html.index('<div id="hero-cover"')
    assert 'data-hx-swap-oob="true"' in html[start:].split(">", 1)[0]
    return html[start:].strip()


def hero_on_the_page(client, project) -> str:
    html = client.get(project.get_absolute_url()).content.decode()
    start = html.index('<div id="hero-cover"')
    return html[start : html.index('<div class="hero-text">', start)].strip()


def shows(hero: str, picture: Picture) -> bool:
    """Whether the hero shows this picture: its renditions in the srcset (the largest is the
    lightbox's)."""
    srcset = re.search(r' srcset="([^"]*)"', hero).group(1)
    shown = picture.renditions[:-1] or picture.renditions
    return all(rendition["name"] in srcset for rendition in shown)


def test_make_cover_sends_the_new_cover_out_of_band(owner_client, project):
    first, _, third = project.pictures.in_display_order()

    response = owner_client.post(
        picture_url("picture-cover", third),
        EVERY_PICTURE_SHOWN,
        headers=from_the_project_page(project),
    )

    html = response.content.decode()
    assert f'id="picture-{third.pk}" data-hx-swap-oob="true"' in html
    hero = out_of_band_hero(html)
    assert shows(hero, third) and not shows(hero, first)
    assert hero.replace(' data-hx-swap-oob="true"', "") == hero_on_the_page(owner_client, project)


def test_moving_a_picture_first_sends_it_as_the_cover_when_none_is_chosen(owner_client, project):
    first, second, _ = project.pictures.in_display_order()

    response = owner_client.post(
        picture_url("picture-move", second),
        {"direction": "up"},
        headers=from_the_project_page(project),
    )

    hero = out_of_band_hero(response.content.decode())
    assert shows(hero, second) and not shows(hero, first)


def test_deleting_the_cover_sends_the_next_picture_out_of_band(
    owner_client, project, django_capture_on_commit_callbacks
):
    first, second, third = project.pictures.in_display_order()
    project.cover = third
    project.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            picture_url("picture-delete", third), headers=from_the_project_page(project)
        )

    hero = out_of_band_hero(response.content.decode())
    assert shows(hero, first) and not shows(hero, third)
    assert hero.replace(' data-hx-swap-oob="true"', "") == hero_on_the_page(owner_client, project)


def test_deleting_the_last_picture_sends_an_empty_cover(owner_client, owner):
    project = make_project(owner)
    picture = make_picture(project)

    response = owner_client.post(
        picture_url("picture-delete", picture), headers=from_the_project_page(project)
    )

    assert out_of_band_hero(response.content.decode()) == (
        '<div id="hero-cover" data-hx-swap-oob="true"></div>'
    )


def test_a_new_focal_point_of_the_cover_sends_it_with_the_picture(owner_client, project):
    first = project.pictures.first()

    response = owner_client.post(
        picture_url("picture-focus", first),
        {"focal_x": "0.10", "focal_y": "0.90"},
        headers=from_the_project_page(project),
    )

    html = response.content.decode()
    assert re.match(f'<li class="picture [^"]*" id="picture-{first.pk}"', html.strip())
    hero = out_of_band_hero(html)
    assert hero.replace(' data-hx-swap-oob="true"', "") == hero_on_the_page(owner_client, project)


def test_the_edit_page_gets_no_cover_it_does_not_show(owner_client, project):
    edit_url = reverse("portfolio:project-update", kwargs={"slug": project.slug})

    response = owner_client.post(
        picture_url("picture-cover", project.pictures.last()),
        headers={**HTMX, "HX-Current-URL": f"http://testserver{edit_url}"},
    )

    assert "hero-cover" not in owner_client.get(edit_url).content.decode()
    assert "hero-cover" not in response.content.decode()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_every_answer_to_arranging_varies_on_htmx(owner_client, project, headers):
    # The same address answers htmx with a fragment and a plain post with a page or redirect.
    picture = project.pictures.first()
    too_long = {"caption": "x" * 301}

    answers = [
        owner_client.post(picture_url("picture-cover", picture), headers=headers),
        owner_client.post(picture_url("picture-update", picture), too_long, headers=headers),
        Client().post(picture_url("picture-move", picture), headers=headers),
    ]

    assert [response.status_code for response in answers] == [200 if headers else 302, 200, 302]
    for response in answers:
        assert "HX-Request" in response["Vary"]


def test_project_page_query_count_for_editors_is_constant(
    owner_client, owner, django_assert_num_queries
):
    small, large = make_project(owner), make_project(owner)
    make_picture(small)
    for _ in range(12):
        make_picture(large)

    # Session, user, project, may-edit check, the first step of pictures, the site identity.
    with django_assert_num_queries(6):
        owner_client.get(small.get_absolute_url())
    with django_assert_num_queries(6):
        owner_client.get(large.get_absolute_url())


# Django's own refusals -----------------------------------------------------------------


def test_django_refusal_for_htmx_is_a_fragment_with_the_reason(owner_client, project, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = owner_client.post(
        picture_url("picture-update", project.pictures.first()),
        {"caption": "x" * 500},
        headers=HTMX,
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "<html" not in html
    assert '<p class="request-error" role="alert">Too much form data' in html
    assert "HX-Request" in response["Vary"]


def test_refusal_before_htmx_middleware_ran_is_a_fragment_too(owner_client):
    response = owner_client.get("/", headers={**HTMX, "Host": "elsewhere.example"})

    assert response.status_code == 400
    assert response.content.decode().startswith('<p class="request-error" role="alert">')


# Drag and drop: a picture moved to a position ------------------------------------------


def test_move_to_puts_the_picture_at_the_position_and_returns_to_its_page(owner_client, project):
    third = project.pictures.in_display_order().last()

    response = owner_client.post(
        picture_url("picture-move-to", third),
        {"position": "0", "next": project.get_absolute_url()},
    )

    assert response.status_code == 302
    assert response.url == f"{project.get_absolute_url()}#picture-{third.pk}"
    assert captions(project) == ["third", "first", "second"]


def test_move_to_with_htmx_puts_the_picture_back_at_its_new_place(owner_client, project):
    first, second, third = project.pictures.in_display_order()

    response = owner_client.post(
        picture_url("picture-move-to", first),
        {"position": "2", **EVERY_PICTURE_SHOWN},
        headers=HTMX,
    )

    html = response.content.decode()
    assert "<html" not in html
    assert html.strip().startswith('<ul data-hx-swap-oob="beforeend:#picture-grid">')
    assert captions(project) == ["second", "third", "first"]


def test_move_to_a_place_counted_from_one(owner_client, project):
    first = project.pictures.first()

    response = owner_client.post(picture_url("picture-move-to", first), {"place": "2"})

    assert response.status_code == 302
    assert captions(project) == ["second", "first", "third"]


def test_moving_past_the_pictures_shown_takes_it_off_the_page(owner_client, project, settings):
    first, second, third = project.pictures.in_display_order()
    shown_through = project.pictures.cursor_of(second)  # The page shows two.

    response = owner_client.post(
        picture_url("picture-move-to", first),
        {"place": "3", "shown_through": shown_through},
        headers=HTMX,
    )

    # Its item goes; the next step brings it (after the second, which is still the last shown).
    html = response.content.decode()
    assert 'id="picture-' not in html.replace(f'id="picture-{second.pk}" data-hx-swap-oob', "")
    assert "steps-more" not in html
    assert captions(project) == ["second", "third", "first"]


def test_moving_the_last_picture_shown_sends_the_more_link_again(owner_client, project):
    first, second, third = project.pictures.in_display_order()
    shown_through = project.pictures.cursor_of(second)  # The page shows two.

    response = owner_client.post(
        picture_url("picture-move", second),
        {"direction": "down", "shown_through": shown_through},
        headers={**HTMX, "HX-Current-URL": f"http://testserver/projects/{project.slug}/edit/"},
    )

    # The second goes past the third: the page's next step now starts after the first.
    html = response.content.decode()
    assert captions(project) == ["first", "third", "second"]
    more = f"/projects/{project.slug}/edit/?after={project.pictures.cursor_of(first)}"
    link = re.search(
        r'<li class="steps-more" id="steps-more" data-hx-swap-oob="true">.*?</li>', html
    )
    assert f'href="{more}"' in link.group(0)
    assert f'id="picture-{second.pk}"' not in html


@pytest.mark.parametrize("position", ["", "two", "1.5"])
def test_move_to_refuses_a_position_that_is_no_whole_number(owner_client, project, position):
    first = project.pictures.first()

    response = owner_client.post(picture_url("picture-move-to", first), {"position": position})

    assert response.status_code == 400
    assert captions(project) == ["first", "second", "third"]


# Focal point --------------------------------------------------------------------------


def test_focus_form_page_shows_the_current_point(owner_client, project):
    picture = project.pictures.first()

    response = owner_client.get(picture_url("picture-focus", picture))

    assert response.status_code == 200
    assert 'name="focal_x" value="0.5"' in response.content.decode()


@pytest.mark.parametrize("name", ["picture-focus", "picture-update", "picture-delete"])
def test_a_pictures_own_pages_show_it_to_its_owner_in_a_private_project(owner, name):
    picture = make_picture(make_project(owner, visibility="private"), caption="Unseen")

    html = signed_in(owner).get(picture_url(name, picture)).content.decode()

    # Its renditions, signed for the owner, not the frame strangers would see.
    assert 'class="picture-pending' not in html
    assert '<img src="/files/' in html and "srcset=" in html


def test_focus_with_htmx_saves_and_returns_only_that_picture_with_its_classes(
    owner_client, project
):
    picture = project.pictures.first()

    response = owner_client.post(
        picture_url("picture-focus", picture), {"focal_x": "0.33", "focal_y": "0.9"}, headers=HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert re.match(
        f'<li class="picture ar-[0-9]+ fx-35 fy-90" id="picture-{picture.pk}"', html.strip()
    )
    assert html.count('<li class="picture ') == 1
    picture.refresh_from_db()
    assert (picture.focal_x, picture.focal_y) == (0.33, 0.9)


@pytest.mark.parametrize(
    "data", [{"focal_x": "1.2", "focal_y": "0.5"}, {"focal_x": "-0.1", "focal_y": "0.5"}, {}]
)
def test_focus_outside_the_picture_is_refused_with_the_reason(owner_client, project, data):
    picture = project.pictures.first()

    response = owner_client.post(picture_url("picture-focus", picture), data, headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#focal-errors-{picture.pk}"
    assert "errorlist" in response.content.decode()
    picture.refresh_from_db()
    assert (picture.focal_x, picture.focal_y) == (0.5, 0.5)
