"""
A project of a few hundred pictures, sent in small steps (portfolio/views/steps.py): scrolling
loads the rest once each, in order; the lightbox crosses from one step to the next and back;
a link to a picture a few steps down loads up to it, one far down opens the page at its step,
one to no picture of the page asks once and opens nothing; favourites and their count cover
every step; without JavaScript the More links lead through every picture.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from portfolio.models import Favourite, Selection, ShareLink
from tests.browser.axe import assert_accessible
from tests.browser.test_upload import sign_in
from tests.helpers import make_pictures, make_project

pytestmark = pytest.mark.django_db(transaction=True)

PICTURES = 120
STEP = 12


@pytest.fixture(autouse=True)
def small_steps(settings):
    settings.PORTFOLIO_STEP_SIZE = STEP


@pytest.fixture
def pictures():
    project = make_project(title="A Long Wedding")
    return make_pictures(project, PICTURES)


def record_steps(page: Page) -> list[str]:
    """The addresses of the steps the page asks for, in order."""
    steps = []
    page.on("request", lambda request: "after=" in request.url and steps.append(request.url))
    return steps


def captions_in_grid(page: Page) -> list[str]:
    return page.locator("#picture-grid .picture-caption").all_inner_texts()


def every_caption() -> list[str]:
    return [f"Picture {number}" for number in range(1, PICTURES + 1)]


def scroll_to_the_end(page: Page) -> None:
    """Scroll down as a visitor would until the last step is in."""
    more = page.locator("#picture-grid .steps-more")
    for _ in range(PICTURES // STEP * 3):
        if more.count() == 0:
            return
        page.mouse.wheel(0, 4000)
        page.wait_for_timeout(150)
    expect(more).to_have_count(0)


def test_scrolling_loads_every_step_once_in_order(page: Page, pictures):
    steps = record_steps(page)
    page.goto(pictures[0].project.get_absolute_url())
    assert len(captions_in_grid(page)) == STEP
    assert_accessible(page)  # Its More link too.

    scroll_to_the_end(page)

    assert captions_in_grid(page) == every_caption()
    ids = page.locator("#picture-grid .picture").evaluate_all("items => items.map(i => i.id)")
    assert ids == [f"picture-{picture.pk}" for picture in pictures]
    page.wait_for_load_state("networkidle")
    assert len(steps) == len(set(steps)) == PICTURES // STEP - 1


def lightbox_caption(page: Page):
    return page.locator("#lightbox .lightbox-caption")


def test_the_lightbox_loads_the_next_step_and_comes_back_across_it(page: Page, pictures):
    steps = record_steps(page)
    # Opened on the last picture of the first step, the grid's next step not in view.
    page.goto(f"{pictures[0].project.get_absolute_url()}#picture-{pictures[STEP - 1].pk}")
    expect(lightbox_caption(page)).to_have_text(f"Picture {STEP}")
    expect(page.locator("#lightbox .lightbox-position")).to_have_text(f"{STEP} / {PICTURES}")
    assert steps == []

    page.keyboard.press("ArrowRight")
    expect(lightbox_caption(page)).to_have_text(f"Picture {STEP + 1}")
    expect(page.locator("#lightbox .lightbox-position")).to_have_text(f"{STEP + 1} / {PICTURES}")
    assert len(steps) == 1
    page.keyboard.press("ArrowLeft")
    expect(lightbox_caption(page)).to_have_text(f"Picture {STEP}")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(lightbox_caption(page)).to_have_text(f"Picture {STEP + 2}")
    assert len(steps) == 1
    image = page.locator("#lightbox .lightbox-image")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("image => image.naturalWidth") > 0


def test_the_first_picture_does_not_wrap_to_the_last_loaded_one(page: Page, pictures):
    page.goto(f"{pictures[0].project.get_absolute_url()}#picture-{pictures[0].pk}")
    expect(lightbox_caption(page)).to_have_text("Picture 1")

    page.keyboard.press("ArrowLeft")

    # Not the last of the first step, which is no neighbour of the first picture.
    page.wait_for_timeout(300)
    expect(lightbox_caption(page)).to_have_text("Picture 1")


def test_a_link_to_the_last_picture_loads_up_to_it_and_opens_it(page: Page, pictures, settings):
    settings.PORTFOLIO_STEPS_LOADED_FOR_A_LINK = PICTURES // STEP  # Near, however far.
    steps = record_steps(page)
    page.goto(f"{pictures[0].project.get_absolute_url()}#picture-{pictures[-1].pk}")

    expect(lightbox_caption(page)).to_have_text(f"Picture {PICTURES}")
    expect(page.locator("#lightbox .lightbox-position")).to_have_text(f"{PICTURES} / {PICTURES}")
    assert captions_in_grid(page) == every_caption()
    assert len(steps) == len(set(steps)) == PICTURES // STEP - 1
    # Complete now: the next picture is the first again.
    page.keyboard.press("ArrowRight")
    expect(lightbox_caption(page)).to_have_text("Picture 1")


def record_requests(page: Page) -> list[str]:
    """The addresses of the pages and htmx requests the page makes, in order (no files)."""
    requests = []
    page.on(
        "request",
        lambda request: (
            request.resource_type in ("document", "xhr", "fetch") and requests.append(request.url)
        ),
    )
    return requests


def asked(requests: list[str], parameter: str) -> list[str]:
    return [url for url in requests if f"{parameter}=" in url]


MANY = 300  # 25 steps of 12.


@pytest.fixture
def many_pictures():
    return make_pictures(make_project(title="A Longer Wedding"), MANY)


def test_a_link_to_the_last_of_hundreds_opens_the_page_at_its_step(page: Page, many_pictures):
    requests = record_requests(page)
    last = many_pictures[-1]
    page.goto(f"{last.project.get_absolute_url()}#picture-{last.pk}")

    expect(lightbox_caption(page)).to_have_text(f"Picture {MANY}")
    expect(page.locator("#lightbox .lightbox-position")).to_have_text(f"{MANY} / {MANY}")
    assert re.search(rf"\?after=[\d.]+#picture-{last.pk}$", page.url)
    assert captions_in_grid(page) == [f"Picture {n}" for n in range(MANY - STEP + 1, MANY + 1)]
    page.wait_for_load_state("networkidle")
    # The page, where the picture is, and its step's page: no step before it.
    assert len(asked(requests, "at")) == 1
    assert asked(requests, "after") == [page.url.split("#")[0]]
    assert len(requests) == 3
    page.keyboard.press("Escape")
    expect(page.get_by_role("link", name="Back to the first pictures")).to_be_visible()


def test_a_link_a_few_steps_down_loads_the_steps_up_to_it(page: Page, many_pictures):
    requests = record_requests(page)
    linked = many_pictures[3 * STEP + 4]  # In the fourth step: three More links down.
    url = linked.project.get_absolute_url()
    page.goto(f"{url}#picture-{linked.pk}")

    expect(lightbox_caption(page)).to_have_text(f"Picture {3 * STEP + 5}")
    expect(page.locator("#lightbox .lightbox-position")).to_have_text(f"{3 * STEP + 5} / {MANY}")
    assert page.url.endswith(f"{url}#picture-{linked.pk}")
    page.wait_for_load_state("networkidle")
    assert len(asked(requests, "at")) == 1
    assert len(asked(requests, "after")) == len(set(asked(requests, "after"))) == 3
    assert len(requests) == 5


@pytest.mark.parametrize("missing", ["another-projects", "no-ones"])
def test_a_link_to_no_picture_of_the_page_asks_once_and_opens_nothing(
    page: Page, many_pictures, allow_console_error, missing
):
    allow_console_error(r"(status of|Error Code) 404")  # The browser and htmx log the answer.
    url = many_pictures[0].project.get_absolute_url()
    pk = make_pictures(make_project(), 1)[0].pk if missing == "another-projects" else 987654321
    requests = record_requests(page)

    with page.expect_response(lambda response: "at=" in response.url) as answer:
        page.goto(f"{url}#picture-{pk}")

    assert answer.value.status == 404
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    expect(page.locator("#lightbox")).not_to_have_attribute("open", "")
    assert page.url.endswith(f"{url}#picture-{pk}")
    assert len(captions_in_grid(page)) == STEP
    assert len(asked(requests, "at")) == 1
    assert asked(requests, "after") == []


@pytest.fixture
def link(pictures) -> ShareLink:
    project = pictures[0].project
    project.visibility = "unlisted"
    project.save()
    return ShareLink.objects.create(project=project, label="for Anna", allows_favourites=True)


def start_choosing(page: Page, link: ShareLink) -> Selection:
    page.goto(link.get_absolute_url())
    page.locator("#selection").get_by_text("Start", exact=True).click()
    page.get_by_label("Your name").fill("Anna")
    page.get_by_role("button", name="Start choosing").click()
    expect(page.locator("#favourite-count")).to_have_text("0 chosen")
    return Selection.objects.get(link=link)


def heart(page: Page, number: int):
    return page.locator("#picture-grid").get_by_role("button", name=f"Favourite: Picture {number}")


def test_favourites_and_their_count_cover_every_step(page: Page, pictures, link):
    selection = start_choosing(page, link)
    # Chosen in another browser, far beyond the first step.
    Favourite.objects.bulk_create(
        Favourite(selection=selection, picture=pictures[number - 1]) for number in (50, 100)
    )
    page.reload()
    expect(page.locator("#favourite-count")).to_have_text("2 chosen")
    expect(page.locator(".hero-facts")).to_contain_text(f"{PICTURES} pictures")

    scroll_to_the_end(page)
    expect(heart(page, 100)).to_have_attribute("aria-pressed", "true")
    heart(page, PICTURES).click()
    expect(heart(page, PICTURES)).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#favourite-count")).to_have_text("3 chosen")

    page.get_by_role("link", name="Only favourites").click()
    expect(page.locator(".hero-facts")).to_contain_text("3 pictures chosen")
    assert captions_in_grid(page) == ["Picture 50", "Picture 100", f"Picture {PICTURES}"]


def test_only_favourites_steps_through_favourites_beyond_a_step(page: Page, pictures, link):
    selection = start_choosing(page, link)
    chosen = list(range(2, PICTURES + 1, 4))  # More than two steps of them.
    Favourite.objects.bulk_create(
        Favourite(selection=selection, picture=pictures[number - 1]) for number in chosen
    )

    page.goto(f"{link.get_absolute_url()}?favourites=1")
    scroll_to_the_end(page)

    assert captions_in_grid(page) == [f"Picture {number}" for number in chosen]
    expect(page.locator("#favourite-count")).to_have_text(f"{len(chosen)} chosen")


def test_without_javascript_the_more_links_lead_through_every_picture(
    page_without_javascript: Page, pictures
):
    page = page_without_javascript
    page.goto(pictures[0].project.get_absolute_url())
    shown = captions_in_grid(page)

    while page.get_by_role("link", name="More pictures").count():
        page.get_by_role("link", name="More pictures").click()
        expect(page.get_by_role("link", name="Back to the first pictures")).to_be_visible()
        shown += captions_in_grid(page)

    assert shown == every_caption()
    page.get_by_role("link", name="Back to the first pictures").click()
    assert captions_in_grid(page) == every_caption()[:STEP]


def test_without_javascript_hearts_on_a_later_step_and_the_count_cover_every_step(
    page_without_javascript: Page, pictures, link
):
    page = page_without_javascript
    start_choosing(page, link)
    page.reload()  # Its send sheet, open once with the personal link, closed.
    page.get_by_role("link", name="More pictures").click()
    page.get_by_role("link", name="More pictures").click()

    heart(page, 2 * STEP + 3).click()  # A page load, back at the picture on its step.

    expect(heart(page, 2 * STEP + 3)).to_have_attribute("aria-pressed", "true")
    assert re.search(rf"after=[\d.]+#picture-{pictures[2 * STEP + 2].pk}$", page.url)
    expect(page.locator("#favourite-count")).to_have_text("1 chosen")
    page.get_by_role("link", name="Only favourites").click()
    assert captions_in_grid(page) == [f"Picture {2 * STEP + 3}"]


@pytest.fixture
def owned(pictures):
    """The project, its owner signed in on the page."""
    project = pictures[0].project
    project.owner.username = "ada"
    project.owner.save()
    return project


def captions_in_database(project) -> list[str]:
    return list(project.pictures.in_display_order().values_list("caption", flat=True))


def test_the_owner_moves_a_picture_past_the_loaded_ones(page: Page, owned, pictures):
    sign_in(page, "ada")
    page.goto(f"/projects/{owned.slug}/edit/")
    item = page.locator(f"#picture-{pictures[1].pk}")
    item.get_by_text("Move to", exact=True).click()
    item.get_by_label("Place, from 1 (the first)").fill(str(2 * STEP + 5))
    assert_accessible(page, "#picture-grid")

    with page.expect_response(lambda response: "/move-to/" in response.url) as response:
        item.get_by_role("button", name="Move", exact=True).click()

    assert response.value.status == 200
    # Beyond the first step: off the page until its step comes.
    expect(page.locator(f"#picture-{pictures[1].pk}")).to_have_count(0)
    expected = every_caption()
    expected.insert(2 * STEP + 4, expected.pop(1))
    assert captions_in_database(owned) == expected
    scroll_to_the_end(page)
    assert captions_in_grid(page) == expected


def test_moving_the_last_picture_of_a_step_later_leaves_no_gap(page: Page, owned, pictures):
    # Whether the next step came into view by then or not, the grid ends up whole, in order.
    sign_in(page, "ada")
    page.goto(owned.get_absolute_url())

    with page.expect_response(lambda response: "/move/" in response.url):
        page.locator(f"#picture-{pictures[STEP - 1].pk}").get_by_role(
            "button", name="Move later"
        ).click()

    expected = every_caption()
    expected[STEP - 1], expected[STEP] = expected[STEP], expected[STEP - 1]
    assert captions_in_database(owned) == expected
    scroll_to_the_end(page)
    assert captions_in_grid(page) == expected
