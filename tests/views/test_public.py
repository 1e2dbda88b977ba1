"""What visitors see: the gallery, the category filter and project pages."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from portfolio.models import Project
from tests.helpers import HTMX, make_category, make_picture, make_project, make_user, public_media

pytestmark = pytest.mark.django_db


def test_gallery_lists_published_projects_only(client):
    published = make_project(title="Published Work")
    make_project(title="Secret Draft", visibility="private")

    response = client.get("/")

    assert response.status_code == 200
    assert list(response.context["project_list"]) == [published]
    assert b"Published Work" in response.content
    assert b"Secret Draft" not in response.content


def test_gallery_shows_each_cover_with_its_size_and_alt_text(client):
    project = make_project()
    make_picture(project, caption="Fog over the loch")

    html = client.get("/").content.decode()

    cover = project.cover_picture
    assert f'src="{public_media(cover).src}"' in html
    assert cover.photo.name not in html
    assert 'alt="Fog over the loch"' in html
    assert f'width="{cover.width}" height="{cover.height}"' in html


def test_chosen_cover_wins_over_the_first_picture(client):
    project = make_project()
    make_picture(project, caption="first")
    chosen = make_picture(project, caption="chosen")
    project.cover = chosen
    project.save()

    response = client.get("/")

    assert response.context["project_list"][0].cover_picture == chosen


def test_without_a_chosen_cover_each_tile_shows_its_first_picture_in_display_order(client):
    projects = [make_project(title=f"Project {number}") for number in range(3)]
    for project in projects:
        make_picture(project, caption=f"{project.title} later", position=7)
        make_picture(project, caption=f"{project.title} first", position=3)
    # Equal positions fall back to the order of upload.
    tied = make_project(title="Tied")
    make_picture(tied, caption="Tied first", position=5)
    make_picture(tied, caption="Tied second", position=5)

    response = client.get("/")

    covers = {project.title: project.cover_picture for project in response.context["project_list"]}
    assert {title: cover.caption for title, cover in covers.items()} == {
        "Project 0": "Project 0 first",
        "Project 1": "Project 1 first",
        "Project 2": "Project 2 first",
        "Tied": "Tied first",
    }
    assert 'alt="Project 1 first"' in response.content.decode()


def test_category_filter_filters(client):
    landscape, portrait = make_category("Landscape"), make_category("Portrait")
    hills = make_project(title="Hills", category=landscape)
    make_project(title="Faces", category=portrait)

    response = client.get("/?category=landscape")

    assert response.status_code == 200
    assert list(response.context["project_list"]) == [hills]
    assert response.context["selected_category"] == landscape


def test_unknown_category_is_a_404(client):
    make_project(category=make_category("Landscape"))

    assert client.get("/?category=nonsense").status_code == 404


def test_category_without_published_projects_shows_an_empty_grid(client):
    make_category("Empty")
    make_project()

    response = client.get("/?category=empty")

    assert response.status_code == 200
    assert list(response.context["project_list"]) == []
    assert b"No published projects in Empty yet." in response.content


def test_filter_links_work_without_javascript_and_upgrade_with_htmx(client):
    make_project(category=make_category("Landscape"))

    html = client.get("/").content.decode()

    assert 'href="/?category=landscape" data-hx-get="/?category=landscape"' in html
    assert 'data-hx-push-url="true"' in html


def test_htmx_request_gets_only_the_gallery_fragment(client):
    make_project(title="Hills", category=make_category("Landscape"))

    response = client.get("/?category=landscape", headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="gallery"')
    assert "<html" not in html and "<header" not in html
    assert "Hills" in html
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(client):
    make_project()

    response = client.get("/", headers={**HTMX, "HX-History-Restore-Request": "true"})

    assert "<html" in response.content.decode()


def gallery_of(count: int, *, same_time: int = 1, category=None) -> list:
    """`count` public projects, newest first as the gallery lists them; `same_time` share each
    creation time (ties the gallery's order settles by id)."""
    owner = make_user()
    projects = [make_project(owner, title=f"Project {number:03}") for number in range(count)]
    start = timezone.now() - timedelta(days=1)
    for number, project in enumerate(projects):
        project.created = start + timedelta(seconds=number // same_time)
        project.category = category
    Project.objects.bulk_update(projects, ["created", "category"])
    return sorted(projects, key=lambda project: (project.created, project.pk), reverse=True)


def walk(client, url: str, link: str) -> list[list]:
    """The pages met following `link` (newer or older) from `url`, as a visitor would."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(list(response.context["project_list"]))
        url = response.context["page_obj"].links.get(link)
    return pages


@pytest.mark.parametrize("same_time", [1, 7], ids=["distinct-times", "shared-times"])
def test_gallery_pages_24_at_a_time_through_older_links_to_the_end(client, same_time):
    projects = gallery_of(60, same_time=same_time)

    pages = walk(client, "/", "older")

    assert [len(page) for page in pages] == [24, 24, 12]
    # Every project once, in the gallery's order: no gap, no duplicate at the boundaries.
    assert [project for page in pages for project in page] == projects


@pytest.mark.parametrize("same_time", [1, 7], ids=["distinct-times", "shared-times"])
def test_the_last_page_holds_the_oldest_and_newer_links_lead_back_to_the_first(client, same_time):
    projects = gallery_of(60, same_time=same_time)

    pages = walk(client, "/?page=last", "newer")

    assert pages[0] == projects[-24:]
    # Back up from the oldest: the first page is the gallery's own, whole.
    assert [len(page) for page in pages] == [24, 24, 24]
    assert pages[-1] == projects[:24]
    assert [project for page in reversed(pages) for project in page][24:] == projects[12:]


def test_gallery_links_work_without_javascript_and_upgrade_with_htmx(client):
    projects = gallery_of(30)

    first = client.get("/")
    last = client.get("/?page=last")

    older = f"/?after={projects[23].cursor}"
    assert f'rel="next" href="{older}" data-hx-get="{older}"' in first.content.decode()
    assert 'href="/?page=last" data-hx-get="/?page=last"' in first.content.decode()
    assert b'rel="prev"' not in first.content
    newer = f"/?before={projects[-24].cursor}"
    assert f'rel="prev" href="{newer}" data-hx-get="{newer}"' in last.content.decode()
    assert 'href="/" data-hx-get="/"' in last.content.decode()
    assert b'rel="next"' not in last.content
    # Followed with htmx: the grid alone, its links along.
    fragment = client.get(older, headers=HTMX).content.decode()
    assert fragment.lstrip().startswith('<section id="gallery"')
    assert 'rel="prev"' in fragment


def test_a_categorys_pages_stay_in_the_category(client):
    landscape = make_category("Landscape")
    projects = gallery_of(30, category=landscape)
    make_project(title="Elsewhere")

    response = client.get("/?category=landscape")
    older = response.context["page_obj"].links["older"]

    assert older == f"/?category=landscape&after={projects[23].cursor}"
    assert list(client.get(older).context["project_list"]) == projects[24:]
    assert response.context["page_obj"].links["oldest"] == "/?category=landscape&page=last"


def test_a_page_past_the_end_is_empty_and_leads_back(client):
    projects = gallery_of(3)

    response = client.get(f"/?after={projects[-1].cursor}")

    assert response.status_code == 200
    assert list(response.context["project_list"]) == []
    newer = client.get(response.context["page_obj"].links["newer"])
    assert list(newer.context["project_list"]) == projects


@pytest.mark.parametrize(
    "query",
    [
        "page=2",
        "page=abc",
        "after=abc",
        "after=1.",
        "before=99999999999999999999.1",
        "after=1.1&before=1.1",
        "after=1.1&page=last",
    ],
)
def test_a_page_that_is_none_is_a_404(client, query):
    gallery_of(30)

    assert client.get(f"/?{query}").status_code == 404


def test_project_page_shows_pictures_in_order_with_lazy_sized_images(client):
    project = make_project()
    pictures = [make_picture(project, caption=f"Frame {number}") for number in range(5)]

    response = client.get(project.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["pictures"]) == pictures
    positions = [html.index(f'alt="Frame {number}"') for number in range(5)]
    assert positions == sorted(positions)
    for picture in pictures:
        # Its own page; the lightbox opens the largest rendition.
        assert f'href="{picture.get_absolute_url()}"' in html
        assert f'data-large="{public_media(picture).large_url}"' in html
        assert picture.photo.name not in html  # No original on a public page.
        assert f'width="{picture.width}" height="{picture.height}"' in html
    assert 'loading="lazy"' in html
    assert '<dialog id="lightbox"' in html


def test_project_page_opens_on_its_cover_then_the_pictures_then_the_words(client):
    project = make_project(title="Harbour", description="Boats before sunrise.", downloads="web")
    pictures = [make_picture(project, caption=f"Frame {number}") for number in range(4)]
    # The cover wide enough for four renditions (480, 720, 960 and its own 1000).
    pictures[2] = make_picture(project, caption="Frame 2", size=(1000, 750))
    pictures[2].move_to(2)
    project.cover = pictures[2]
    project.save()

    html = client.get(project.get_absolute_url()).content.decode()

    hero = html.index('class="project-hero cover-first"')
    title = html.index('<h1 class="page-title hero-title">Harbour</h1>')
    grid = html.index('id="picture-grid"')
    assert hero < html.index('alt="Frame 2"') < title < grid
    main = html.index("<main")
    for words in ("Boats before sunrise.", "Download all"):
        assert words in html[grid:] and words not in html[main:grid]
    # The cover is the one picture fetched first; its box is always the window's width.
    assert html.count('fetchpriority="high"') == 1
    assert html.index('fetchpriority="high"') < grid
    assert 'sizes="(min-width: 1600px) 1600px, 100vw"' in html[hero:grid]
    # Up to the rendition below the largest: the largest is the lightbox's.
    cover_srcset = re.search(r' srcset="([^"]*)"', html[hero:grid]).group(1)
    *shown, largest = public_media(pictures[2]).rendition_urls
    assert [width for width, _ in shown] == [480, 720, 960]
    assert cover_srcset == ", ".join(f"{url} {width}w" for width, url in shown)
    # In the grid, the cover again with the hero's srcset and sizes: one file for both. Every
    # picture there loads lazily, once the cover has (cover_first.js); the lightbox's is the
    # largest.
    hero_image = f'srcset="{cover_srcset}" sizes="(min-width: 1600px) 1600px, 100vw"'
    assert html[grid:].count(hero_image) == 1
    assert html[grid:].count("<img ") == html[grid:].count('loading="lazy"') == 5
    assert f'data-large="{largest[1]}"' in html[grid:]


def test_a_picture_page_links_the_previous_and_next_in_display_order(client):
    project = make_project(title="Harbour")
    first, second, third = (make_picture(project, caption=f"Frame {n}") for n in range(3))
    third.move_to(0)  # Display order: third, first, second.

    def pager(picture) -> tuple[str, str]:
        html = client.get(picture.get_absolute_url()).content.decode()
        return tuple(
            match.group(1) if (match := re.search(f'rel="{rel}" href="([^"]+)"', html)) else ""
            for rel in ("prev", "next")
        )

    assert pager(third) == ("", first.get_absolute_url())
    assert pager(first) == (third.get_absolute_url(), second.get_absolute_url())
    assert pager(second) == (first.get_absolute_url(), "")
    html = client.get(first.get_absolute_url()).content.decode()
    assert 'aria-keyshortcuts="ArrowRight"' in html
    # Alone in its project, a picture links nowhere and loads no script for it.
    alone = make_picture(make_project(), caption="Alone")
    html = client.get(alone.get_absolute_url()).content.decode()
    assert "picture-pager" not in html and "picture_pager" not in html


def test_picture_without_caption_still_has_alt_text(client):
    project = make_project(title="Harbour")
    make_picture(project)

    html = client.get(project.get_absolute_url()).content.decode()

    assert 'alt="Picture from Harbour"' in html


def test_draft_is_404_for_visitors_and_other_owners(client):
    draft = make_project(visibility="private")

    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(make_user())
    assert client.get(draft.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("viewer", ["owner", "staff"])
def test_draft_is_visible_to_its_owner_and_staff(client, viewer):
    owner = make_user()
    draft = make_project(owner, visibility="private")
    client.force_login(owner if viewer == "owner" else make_user(is_staff=True))

    response = client.get(draft.get_absolute_url())

    assert response.status_code == 200
    assert b"Private" in response.content


def test_unknown_project_is_404(client):
    assert client.get("/projects/does-not-exist/").status_code == 404


def test_gallery_query_count_is_constant(django_assert_num_queries):
    categories = [make_category("Landscape"), make_category("Portrait")]
    owner = make_user()

    def add_projects(count: int) -> None:
        for number in range(count):
            project = make_project(owner, category=categories[number % 2])
            make_picture(project)
            make_picture(project)

    add_projects(2)
    # Rendered (tests/views/test_query_counts.py counts kept pages): the content version, then
    # three, then the site identity.
    with django_assert_num_queries(5):
        Client().get("/")
    add_projects(10)
    with django_assert_num_queries(5):
        Client().get("/")
    with django_assert_num_queries(5):
        Client().get("/?category=landscape")


def test_project_page_query_count_is_constant(django_assert_num_queries):
    small, large = make_project(), make_project()
    make_picture(small)
    for _ in range(12):
        make_picture(large)

    # The content version, the project, its first step of pictures, the site identity.
    with django_assert_num_queries(4):
        Client().get(small.get_absolute_url())
    with django_assert_num_queries(4):
        Client().get(large.get_absolute_url())
