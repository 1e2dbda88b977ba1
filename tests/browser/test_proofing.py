"""
Client proofing in two browsers: the owner makes a link that takes at most three favourites;
the client, in a fresh browser context, opens it, types their name, hearts pictures in the
grid (by mouse and by keyboard) and in the lightbox, meets the limit, filters, and sends the
selection with a note; the owner sees it on the project's edit page, copies the file names
and the catalogue filter, and locks it, which freezes it for the client.
"""

import csv
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from portfolio.models import Selection, ShareLink
from tests.browser.axe import assert_accessible
from tests.browser.conftest import VIEWPORT, _watched_page
from tests.browser.test_upload import sign_in
from tests.helpers import make_picture, make_project, make_user

pytestmark = pytest.mark.django_db(transaction=True)

PICTURES = [
    ("DSC_0101.jpg", "The rings"),
    ("DSC_0102.jpg", "First dance"),
    ("DSC_0103.NEF.jpg", "The cake"),
    ("Kiss at the door.jpg", "At the door"),
]


@pytest.fixture
def client_page(browser: Browser, live_server, request) -> Iterator[Page]:
    """The client's browser: a context of its own, with none of the owner's cookies."""
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    yield _watched_page(context, request)
    context.close()


def heart(page: Page, caption: str):
    return page.locator("#picture-grid").get_by_role("button", name=f"Favourite: {caption}")


def test_a_client_chooses_favourites_and_the_owner_copies_their_file_names(
    page: Page,
    context: BrowserContext,
    client_page: Page,
    live_server,
    mailoutbox,
    allow_console_error,
):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    owner = make_user("studio", email="studio@example.com")
    project = make_project(owner, title="Wedding", visibility="unlisted")
    for name, caption in PICTURES:
        make_picture(project, original_filename=name, caption=caption, size=(320, 240))

    # The owner makes a link that takes favourites, three at most.
    sign_in(page, "studio")
    page.goto(f"/projects/{project.slug}/edit/")
    panel = page.locator("#sharing")
    form = panel.locator("form.share-link-form")
    form.get_by_label("Label").fill("for Anna and Ben")
    form.get_by_label("The client may choose favourites").check()
    form.get_by_label("At most this many favourites").fill("3")
    form.get_by_role("button", name="Make the link").click()
    entry = panel.locator("li.share-link", has_text="for Anna and Ben")
    expect(entry).to_contain_text("Favourites: up to 3 a selection")
    link = ShareLink.objects.get(project=project)
    assert (link.allows_favourites, link.favourite_limit) == (True, 3)
    address = entry.get_by_label("Address of for Anna and Ben").input_value()

    # The client types their name before any heart shows.
    client_page.goto(address)
    selection_panel = client_page.locator("#selection")
    expect(selection_panel).to_contain_text("up to 3")
    expect(client_page.locator(".favourite-button")).to_have_count(0)
    selection_panel.get_by_text("Start", exact=True).click()  # The bar's sheet.
    client_page.get_by_label("Your name").fill("Anna")
    client_page.get_by_role("button", name="Start choosing").click()
    expect(selection_panel).to_contain_text("Choosing as Anna")
    count = client_page.locator("#favourite-count")
    expect(count).to_have_text("0 of 3 chosen")
    assert_accessible(client_page)

    # A heart by mouse; another by keyboard alone. htmx swaps the heart and the count.
    heart(client_page, "The rings").click()
    expect(heart(client_page, "The rings")).to_have_attribute("aria-pressed", "true")
    expect(count).to_have_text("1 of 3 chosen")
    heart(client_page, "The rings").focus()
    for _ in range(3):  # Past the second picture's link, to its heart.
        client_page.keyboard.press("Tab")
        if client_page.evaluate("document.activeElement.id") == (
            heart(client_page, "First dance").get_attribute("id")
        ):
            break
    expect(heart(client_page, "First dance")).to_be_focused()
    client_page.keyboard.press("Enter")
    expect(heart(client_page, "First dance")).to_have_attribute("aria-pressed", "true")
    expect(count).to_have_text("2 of 3 chosen")
    assert client_page.evaluate("window.performance.getEntriesByType('navigation').length") == 1

    # In the lightbox: its heart follows the picture shown, and F presses it too.
    client_page.locator("#picture-grid").get_by_role("link", name="The cake").click()
    lightbox = client_page.locator("#lightbox")
    lightbox_heart = lightbox.get_by_role("button", name="Favourite")
    expect(lightbox_heart).to_be_visible()
    expect(lightbox_heart).to_have_attribute("aria-pressed", "false")
    lightbox_heart.click()
    expect(lightbox_heart).to_have_attribute("aria-pressed", "true")
    expect(heart(client_page, "The cake")).to_have_attribute("aria-pressed", "true")
    expect(count).to_have_text("3 of 3 chosen: the most these pictures allow")
    client_page.keyboard.press("ArrowRight")
    expect(lightbox.locator(".lightbox-caption")).to_have_text("At the door")
    expect(lightbox_heart).to_have_attribute("aria-pressed", "false")
    assert_accessible(client_page, "#lightbox")
    # One more is refused, and the page says why.
    allow_console_error(r"(status of|Error Code) 409")  # The browser and htmx log the refusal.
    client_page.keyboard.press("f")
    expect(client_page.locator("#selection-status")).to_contain_text(
        "You have chosen 3, the most these pictures allow"
    )
    expect(lightbox_heart).to_have_attribute("aria-pressed", "false")
    client_page.keyboard.press("ArrowLeft")
    expect(lightbox_heart).to_have_attribute("aria-pressed", "true")
    client_page.keyboard.press("Escape")
    expect(lightbox).not_to_be_visible()

    # Only the favourites, then sending them with a note.
    client_page.get_by_role("link", name="Only favourites").click()
    expect(client_page.locator("#picture-grid li.picture")).to_have_count(3)
    expect(client_page.get_by_role("link", name="Only favourites")).to_have_attribute(
        "aria-current", "page"
    )
    selection_panel.get_by_text("Send", exact=True).click()
    client_page.get_by_label("A note for the photographer").fill("The cake for the album")
    client_page.get_by_role("button", name="Send my selection").click()
    expect(client_page.get_by_text("Sent: 3 pictures. Thank you!")).to_be_visible()
    expect(heart(client_page, "The rings")).to_be_disabled()
    assert_accessible(client_page)
    (mail,) = mailoutbox
    assert mail.to == ["studio@example.com"]
    assert "DSC_0103.NEF.jpg" in mail.body

    # The owner sees who chose what, and copies the names in one click each.
    page.reload()
    chosen = page.locator("article.selection", has_text="Anna")
    expect(chosen).to_contain_text("3 pictures")
    expect(chosen).to_contain_text("The cake for the album")
    expect(chosen.locator(".selection-thumbnails img")).to_have_count(3)
    for image in chosen.locator(".selection-thumbnails img").all():
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("image => image.naturalWidth") > 0
    chosen.get_by_role("button", name="Copy names of Anna").click()
    expect(chosen.locator(".copy-status").first).to_have_text("Copied.")
    names = page.evaluate("navigator.clipboard.readText()")
    assert names == "DSC_0101.jpg\nDSC_0102.jpg\nDSC_0103.NEF.jpg"
    chosen.get_by_role("button", name="Copy the filter of Anna").click()
    assert page.evaluate("navigator.clipboard.readText()") == "DSC_0101, DSC_0102, DSC_0103.NEF"
    with page.expect_download() as download_info:
        chosen.get_by_role("link", name="Download CSV of Anna").click()
    download = download_info.value
    assert download.suggested_filename == f"{project.slug}-Anna.csv"
    with open(download.path(), encoding="utf-8", newline="") as csv_file:
        # Every cell quoted: no spreadsheet reads one as a formula, whatever it splits on.
        rows = list(csv.reader(csv_file))
    assert rows[1] == ["DSC_0101.jpg", "DSC_0101", "The rings", "Anna"]
    assert (
        download.path().read_text(encoding="utf-8").splitlines()[1].startswith('"DSC_0101.jpg",')
    )
    assert_accessible(page, "#sharing")

    # Locked by the owner, the client's selection no longer changes. (The owner resized the
    # list of names first: htmx must not copy that style attribute across the swap, CSP bars it.)
    chosen.get_by_label("File names, one a line").evaluate("area => area.style.height = '9rem'")
    chosen.get_by_role("button", name="Lock Anna’s selection").click()
    expect(page.locator("article.selection", has_text="Anna")).to_contain_text("locked")
    assert Selection.objects.get().is_locked
    client_page.reload()
    expect(client_page.locator("#selection")).to_contain_text("locked your selection")
    expect(client_page.get_by_role("button", name="Reopen to change it")).to_have_count(0)
    expect(heart(client_page, "The rings")).to_be_disabled()


def test_without_javascript_the_hearts_and_sending_are_plain_forms(
    page_without_javascript, allow_console_error
):
    page = page_without_javascript
    project = make_project(make_user("studio"), title="Wedding", visibility="unlisted")
    for name, caption in PICTURES:
        make_picture(project, original_filename=name, caption=caption, size=(320, 240))
    link = ShareLink.objects.create(
        project=project, label="for Anna", allows_favourites=True, favourite_limit=2
    )

    page.goto(link.get_absolute_url())
    page.get_by_text("Start", exact=True).click()  # The bar's sheet: a <details>, no script.
    page.get_by_label("Your name").fill("Anna")
    page.get_by_role("button", name="Start choosing").click()
    count = page.locator("#favourite-count")
    expect(count).to_have_text("0 of 2 chosen")
    for caption in ["The cake", "The rings"]:
        heart(page, caption).click()  # A page load each, back at the picture.
        expect(heart(page, caption)).to_have_attribute("aria-pressed", "true")
    assert page.url.endswith(f"#picture-{project.pictures.get(caption='The rings').pk}")
    expect(count).to_have_text("2 of 2 chosen: the most these pictures allow")
    # Beyond the limit: the page again, saying why (a 409), and nothing chosen.
    allow_console_error("status of 409")
    heart(page, "At the door").click()
    expect(page.get_by_text("You have chosen 2, the most these pictures allow")).to_be_visible()
    expect(heart(page, "At the door")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#lightbox .lightbox-favourite")).to_be_hidden()

    page.get_by_role("link", name="Only favourites").click()
    expect(page.locator("#picture-grid li.picture")).to_have_count(2)
    page.get_by_text("Send", exact=True).click()
    page.get_by_role("button", name="Send my selection").click()
    expect(page.get_by_text("Sent: 2 pictures. Thank you!")).to_be_visible()
    selection = Selection.objects.get()
    assert selection.is_sent
    assert selection.file_names() == ["DSC_0101.jpg", "DSC_0103.NEF.jpg"]
