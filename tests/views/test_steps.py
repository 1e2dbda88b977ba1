"""Pages whose lists come in steps: the first step, the next through its link, hostile cursors."""

import json
import re

import pytest
from django.urls import reverse

from portfolio.models import Favourite, Project, Selection, ShareLink
from tests.helpers import HTMX, make_pictures, make_project, make_user, signed_in

pytestmark = pytest.mark.django_db

STEP = 4


@pytest.fixture(autouse=True)
def small_steps(settings):
    settings.PORTFOLIO_STEP_SIZE = STEP


def captions_in(html: str) -> list[str]:
    return re.findall(r'<p class="picture-caption">([^<]*)</p>', html)


def more_link(html: str) -> str:
    """The address of the next step, from its link: "" when there is none."""
    match = re.search(r'<li class="steps-more"[^>]*><a [^>]*href="([^"]*)"', html)
    return match.group(1).replace("&amp;", "&") if match else ""


def every_step(client, url: str, **headers) -> list[str]:
    """Each step's answer, following the More links from the page at `url`."""
    answers = [client.get(url).content.decode()]
    while next_url := more_link(answers[-1]):
        response = client.get(next_url, headers=headers)
        assert response.status_code == 200
        answers.append(response.content.decode())
    return answers


@pytest.fixture
def project() -> Project:
    project = make_project(title="Wedding")
    make_pictures(project, 10)
    return project


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_the_more_links_lead_through_every_picture_once_in_order(client, project, headers):
    answers = every_step(client, project.get_absolute_url(), **headers)

    assert [len(captions_in(answer)) for answer in answers] == [4, 4, 2]
    shown = [caption for answer in answers for caption in captions_in(answer)]
    assert shown == [f"Picture {number}" for number in range(1, 11)]


def test_htmx_gets_a_step_alone_its_items_then_its_own_link(client, project):
    first = client.get(project.get_absolute_url()).content.decode()

    response = client.get(more_link(first), headers=HTMX)

    html = response.content.decode()
    assert "<html" not in html and "<ul" not in html
    assert html.strip().startswith('<li class="picture ')
    assert html.strip().endswith("</li>")
    assert more_link(html).startswith(f"{project.get_absolute_url()}?after=")
    assert 'data-hx-trigger="revealed, load-more"' in html
    assert "HX-Request" in response["Vary"]
    # Below the first screen: none is fetched eagerly.
    assert html.count('loading="lazy"') == STEP


def test_a_step_followed_without_javascript_is_a_page_with_a_way_back(client, project):
    first = client.get(project.get_absolute_url()).content.decode()
    assert "Back to the first pictures" not in first

    html = client.get(more_link(first)).content.decode()

    assert "<html" in html
    assert captions_in(html) == ["Picture 5", "Picture 6", "Picture 7", "Picture 8"]
    assert f'<a href="{project.get_absolute_url()}">Back to the first pictures</a>' in html
    # The page still opens on the project's cover, and counts every picture, and those before
    # its first (the lightbox's count, for a link that opened this step).
    assert 'id="hero-cover" class="hero-frame' in html
    assert 'data-picture-count="10"' in html
    assert 'data-first-place="4"' in html
    assert "data-from-the-start" not in html


def test_a_later_steps_page_says_how_many_pictures_come_before_it(client, project):
    pages = every_step(client, project.get_absolute_url())

    assert "data-first-place" not in pages[0]
    assert ['data-first-place="4"' in page for page in pages] == [False, True, False]
    assert 'data-first-place="8"' in pages[2]


def test_the_last_step_has_no_more_link(client, project):
    answers = every_step(client, project.get_absolute_url())

    assert more_link(answers[-1]) == ""
    assert "steps-more" not in answers[-1]


def test_the_cover_the_page_opens_on_need_not_be_in_the_first_step(client):
    project = make_project()
    pictures = make_pictures(project, 10)
    project.cover = pictures[-1]
    project.save()

    html = client.get(project.get_absolute_url()).content.decode()

    hero = html[html.index('id="hero-cover"') : html.index('id="picture-grid"')]
    assert 'alt="Picture 10"' in hero
    assert "Picture 10" not in captions_in(html)


def pages_of_pictures(client, project) -> list[tuple]:
    """The project's pages of pictures in steps, each with a client that may open it: its
    public page and a share link's (a visitor), its edit page (its owner)."""
    link = ShareLink.objects.create(project=project)
    return [
        (client, project.get_absolute_url()),
        (client, link.get_absolute_url()),
        (
            signed_in(project.owner),
            reverse("portfolio:project-update", kwargs={"slug": project.slug}),
        ),
    ]


@pytest.mark.parametrize(
    "cursor",
    ["x", "1", "1.2.3", "-1.2", f"{2**63}.1", "1." + "9" * 30, "%00", "1.2%0a", "１.２"],
)
def test_a_cursor_the_site_never_made_is_a_400_on_every_page_in_steps(client, project, cursor):
    pages = pages_of_pictures(client, project)
    pages.append((signed_in(project.owner), reverse("portfolio:studio")))
    for page_client, url in pages:
        for headers in ({}, HTMX):
            response = page_client.get(f"{url}?after={cursor}", headers=headers)
            assert response.status_code == 400, url


def test_the_share_page_counts_and_steps_through_every_picture(client, project):
    link = ShareLink.objects.create(project=project)

    answers = every_step(client, link.get_absolute_url(), **HTMX)

    assert "10 pictures" in answers[0]
    shown = [caption for answer in answers for caption in captions_in(answer)]
    assert shown == [f"Picture {number}" for number in range(1, 11)]


def favourites_of(client, link: ShareLink, pictures) -> Selection:
    client.post(
        reverse("portfolio:share-selection-start", kwargs={"token": link.token}), {"name": "Anna"}
    )
    selection = Selection.objects.get(link=link)
    Favourite.objects.bulk_create(Favourite(selection=selection, picture=p) for p in pictures)
    return selection


def test_only_favourites_steps_through_the_favourites_of_every_step(client):
    project = make_project(visibility="unlisted")
    pictures = make_pictures(project, 20)
    link = ShareLink.objects.create(project=project, allows_favourites=True)
    favourites_of(client, link, pictures[1::3])  # 2, 5, 8, 11, 14, 17, 20: over five steps.

    answers = every_step(client, f"{link.get_absolute_url()}?favourites=1", **HTMX)

    shown = [caption for answer in answers for caption in captions_in(answer)]
    assert shown == [f"Picture {number}" for number in (2, 5, 8, 11, 14, 17, 20)]
    assert all("favourites=1" in more_link(answer) for answer in answers[:-1])
    assert "7 pictures chosen" in answers[0]
    assert "7 chosen" in answers[0]  # The bar's count.
    # Every heart of every step pressed.
    assert sum(answer.count('aria-pressed="true"') for answer in answers) == 7


def test_the_count_in_the_bar_covers_every_step(client):
    project = make_project(visibility="unlisted")
    pictures = make_pictures(project, 12)
    link = ShareLink.objects.create(project=project, allows_favourites=True)
    favourites_of(client, link, [pictures[0], pictures[11]])

    answers = every_step(client, link.get_absolute_url(), **HTMX)

    assert "2 chosen" in answers[0]
    assert f'id="favourite-{pictures[11].pk}"' not in answers[0]
    last_heart = f'id="favourite-{pictures[11].pk}" class="favourite-button" aria-pressed="true"'
    assert last_heart in answers[-1]


def test_a_heart_pressed_on_a_later_steps_page_comes_back_to_that_step(client):
    project = make_project(visibility="unlisted")
    pictures = make_pictures(project, 10)
    link = ShareLink.objects.create(project=project, allows_favourites=True)
    favourites_of(client, link, [])
    later = more_link(client.get(link.get_absolute_url()).content.decode())
    html = client.get(later).content.decode()
    after = later.split("after=")[1]
    assert f'<input type="hidden" name="after" value="{after}">' in html

    favourite = reverse(
        "portfolio:share-favourite", kwargs={"token": link.token, "picture_id": pictures[5].pk}
    )
    response = client.post(favourite, {"after": after})

    assert response.status_code == 302
    assert response["Location"] == f"{later}#picture-{pictures[5].pk}"


def test_the_studio_lists_the_owners_projects_in_steps_newest_first(client):
    owner = make_user()
    for number in range(1, 11):
        make_project(owner, title=f"Shoot {number}")
    owner_client = signed_in(owner)

    answers = every_step(owner_client, reverse("portfolio:studio"), **HTMX)

    titles = [t for answer in answers for t in re.findall(r'"tile-title">([^<]*)<', answer)]
    assert titles == [f"Shoot {number}" for number in range(10, 0, -1)]
    assert [answer.count('class="project-tile"') for answer in answers] == [4, 4, 2]
    assert more_link(answers[0]).startswith("/studio/?after=")
    assert "<html" not in answers[1]


def test_the_studio_step_page_without_javascript_has_a_way_back(client):
    owner = make_user()
    for number in range(6):
        make_project(owner, title=f"Shoot {number}")
    owner_client = signed_in(owner)
    first = owner_client.get(reverse("portfolio:studio")).content.decode()

    html = owner_client.get(more_link(first)).content.decode()

    assert "Back to your newest projects" in html
    assert html.count('class="project-tile"') == 2


# ---------------------------------------------------------------- where a picture is (?at=<id>)


def step_found(response) -> dict:
    """What an answer to ?at=<id> tells htmx: its step-found event."""
    assert response.status_code == 204
    return json.loads(response["HX-Trigger"])["step-found"]


def test_asked_where_a_picture_is_the_page_names_its_step_as_the_more_links_do(client, project):
    url = project.get_absolute_url()
    steps = [url] + [more_link(answer) for answer in every_step(client, url, **HTMX)[:-1]]
    pictures = list(project.pictures.in_display_order())

    for index, picture in enumerate(pictures):
        found = step_found(client.get(f"{url}?at={picture.pk}", headers=HTMX))

        assert found == {
            "url": f"{steps[index // STEP]}#picture-{picture.pk}",
            "step": index // STEP,
            "near": True,
        }
        step = client.get(found["url"].split("#")[0], headers=HTMX).content.decode()
        assert picture.caption in captions_in(step)


def test_a_step_beyond_those_a_link_loads_is_not_near(client, settings):
    settings.PORTFOLIO_STEPS_LOADED_FOR_A_LINK = 2
    project = make_project()
    pictures = make_pictures(project, 4 * STEP)
    url = project.get_absolute_url()

    near, far = (
        step_found(client.get(f"{url}?at={pictures[index].pk}", headers=HTMX))
        for index in (3 * STEP - 1, 3 * STEP)
    )

    assert (near["step"], near["near"]) == (2, True)
    assert (far["step"], far["near"]) == (3, False)


def test_without_htmx_the_page_asked_where_a_picture_is_goes_there(client, project):
    asked = f"{project.get_absolute_url()}?at={project.pictures.in_display_order().last().pk}"

    response = client.get(asked)

    assert response.status_code == 302
    assert response["Location"] == step_found(client.get(asked, headers=HTMX))["url"]
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_picture_of_another_project_is_not_on_the_page(client, project, headers):
    other = make_pictures(make_project(), 1)[0]
    hidden = make_pictures(make_project(visibility="private"), 1)[0]

    for picture in (other, hidden):
        response = client.get(f"{project.get_absolute_url()}?at={picture.pk}", headers=headers)
        assert response.status_code == 404
        assert "HX-Trigger" not in response


def test_a_private_projects_pictures_are_placed_only_for_those_who_may_see_it(client):
    project = make_project(visibility="private")
    picture = make_pictures(project, 6)[5]
    asked = f"{project.get_absolute_url()}?at={picture.pk}"

    assert client.get(asked, headers=HTMX).status_code == 404
    assert signed_in(make_user()).get(asked, headers=HTMX).status_code == 404
    found = step_found(signed_in(project.owner).get(asked, headers=HTMX))
    assert found["step"] == 1


@pytest.mark.parametrize(
    "asked", ["", "x", "-1", "1.5", "1e3", "１２", "%00", "1%0a", "9" * 30, f"{2**63}"]
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_what_is_no_id_is_a_400_on_every_page_of_pictures(client, project, asked, headers):
    for page_client, url in pages_of_pictures(client, project):
        response = page_client.get(f"{url}?at={asked}", headers=headers)
        assert response.status_code == 400, url


def test_an_id_no_row_has_is_a_404(client, project):
    response = client.get(f"{project.get_absolute_url()}?at={2**63 - 1}", headers=HTMX)

    assert response.status_code == 404


def test_the_edit_page_places_a_picture_for_its_editors_alone(project):
    picture = project.pictures.in_display_order().last()
    edit_url = reverse("portfolio:project-update", kwargs={"slug": project.slug})
    asked = f"{edit_url}?at={picture.pk}"

    assert signed_in(make_user()).get(asked, headers=HTMX).status_code == 404
    found = step_found(signed_in(project.owner).get(asked, headers=HTMX))
    assert found["url"].startswith(f"{edit_url}?after=")


def test_the_share_page_places_a_picture_among_those_it_shows(client):
    project = make_project(visibility="unlisted")
    pictures = make_pictures(project, 20)
    link = ShareLink.objects.create(project=project, allows_favourites=True)
    favourites_of(client, link, pictures[1::3])  # 2, 5, 8, 11, 14, 17, 20: over two steps.
    share_url = link.get_absolute_url()

    found = step_found(client.get(f"{share_url}?at={pictures[19].pk}", headers=HTMX))
    favourite = client.get(f"{share_url}?favourites=1&at={pictures[19].pk}", headers=HTMX)
    not_chosen = client.get(f"{share_url}?favourites=1&at={pictures[0].pk}", headers=HTMX)

    assert found["step"] == 4
    # Among the favourites, the next step's address as the More link names it.
    favourites = every_step(client, f"{share_url}?favourites=1", **HTMX)
    assert step_found(favourite)["url"] == f"{more_link(favourites[0])}#picture-{pictures[19].pk}"
    assert "at=" not in step_found(favourite)["url"]
    assert not_chosen.status_code == 404
    # Neither the project's page, where the unlisted project is not shown.
    assert client.get(f"{project.get_absolute_url()}?at={pictures[19].pk}").status_code == 404


def test_a_share_link_asks_its_password_before_placing_anything(client):
    project = make_project(visibility="unlisted")
    picture = make_pictures(project, 6)[5]
    link = ShareLink(project=project)
    link.set_password("secret")
    link.save()

    response = client.get(f"{link.get_absolute_url()}?at={picture.pk}", headers=HTMX)

    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert b'name="password"' in response.content
