"""An owner signs in, creates a project and puts pictures online by dropping or picking them."""

import base64
import io
import random

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from portfolio.models import Picture, Project
from tests.browser.axe import assert_accessible
from tests.helpers import make_project, make_user, stored_files

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-good-test-password"
NOT_AN_IMAGE = b"Shopping list: film, batteries, a lens cloth.\n"
# Slow enough on loopback that the bytes go up in several steps, each reported as progress.
UPLOAD_BYTES_PER_SECOND = 512 * 1024

# Every htmx:xhr:progress and every value the <progress> shows, in order, kept on window.
RECORD_PROGRESS = """
window.uploadProgress = {events: [], values: []};
document.addEventListener("htmx:xhr:progress", (event) => {
  window.uploadProgress.events.push([event.detail.loaded, event.detail.total]);
});
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.getElementById("upload-progress");
  if (!bar) return;
  new MutationObserver(() => window.uploadProgress.values.push(bar.value)).observe(bar, {
    attributes: true,
    attributeFilter: ["value"],
  });
});
"""

# Build File objects from bytes inside the page and drop them on the zone as a person
# would: dragenter, dragover, drop, each carrying one DataTransfer.
DROP_FILES = """
([selector, files]) => {
  const transfer = new DataTransfer();
  for (const {name, type, base64} of files) {
    const bytes = Uint8Array.from(atob(base64), (character) => character.charCodeAt(0));
    transfer.items.add(new File([bytes], name, {type}));
  }
  const zone = document.querySelector(selector);
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(
      new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true})
    );
  }
}
"""


def photograph(image_format: str, seed: int, size=(480, 360)) -> bytes:
    """Noise, which no encoder can squeeze: a few hundred kilobytes to send."""
    from PIL import Image

    noise = random.Random(seed).randbytes(size[0] * size[1] * 3)
    image = Image.frombytes("RGB", size, noise)
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


GOOD_FILES = [
    ("harbour.jpg", "image/jpeg", "JPEG"),
    ("lighthouse.png", "image/png", "PNG"),
    ("dunes.webp", "image/webp", "WEBP"),
]


def good_files() -> list[dict]:
    return [
        {"name": name, "mimeType": mime_type, "buffer": photograph(image_format, seed)}
        for seed, (name, mime_type, image_format) in enumerate(GOOD_FILES)
    ]


def bad_file() -> dict:
    return {"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": NOT_AN_IMAGE}


def drop(page: Page, files: list[dict]) -> None:
    payload = [
        {
            "name": file["name"],
            "type": file["mimeType"],
            "base64": base64.b64encode(file["buffer"]).decode(),
        }
        for file in files
    ]
    page.evaluate(DROP_FILES, ["#drop-zone", payload])


def throttle_uploads(context: BrowserContext, page: Page) -> None:
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    session.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": UPLOAD_BYTES_PER_SECOND,
        },
    )


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def grid_pictures(page: Page):
    return page.locator("#picture-grid li.picture")


def expect_pictures_shown(page: Page, count: int) -> None:
    expect(grid_pictures(page)).to_have_count(count)
    for image in grid_pictures(page).locator("img").all():
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("image => image.naturalWidth") > 0


@pytest.fixture
def owner():
    return make_user("ada")


def test_owner_creates_a_project_and_drops_pictures_with_progress_and_inline_errors(
    context: BrowserContext, page: Page, owner, live_server
):
    context.add_init_script(RECORD_PROGRESS)
    sign_in(page, "ada")
    page.goto("/projects/new/")
    page.get_by_label("Title").fill("Winter Coast")
    page.get_by_label("Published").check()
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("status")).to_contain_text("“Winter Coast” created.")
    project = Project.objects.get(title="Winter Coast")
    assert project.owner == owner
    page.evaluate("window.loadedOnce = true")
    throttle_uploads(context, page)

    drop(page, [*good_files(), bad_file()])

    progress = page.locator("#upload-progress")
    expect(progress).to_be_visible()
    expect(page.locator("#upload-summary")).to_have_text("3 pictures added.")
    expect(page.locator("#upload-errors li")).to_have_count(1)
    error = page.locator("#upload-errors li")
    expect(error.locator(".file-name")).to_have_text("notes.jpg")
    expect(error).to_contain_text("not an image")
    expect_pictures_shown(page, 3)
    assert page.evaluate("window.loadedOnce === true"), "the page reloaded"

    recorded = page.evaluate("window.uploadProgress")
    # Events come for the bytes going up, then for the answer coming down.
    partway = [(loaded, total) for loaded, total in recorded["events"] if 0 < loaded < total]
    assert len(partway) >= 2, f"too few progress events to draw a bar: {recorded}"
    assert any(0 < value < 100 for value in recorded["values"]), recorded
    assert recorded["values"][-1] == 100
    expect(progress).to_have_js_property("value", 100)

    # Kept: the three good ones, each a stored file; nothing at all of notes.jpg.
    pictures = list(project.pictures.all())
    assert sorted(picture.original_filename for picture in pictures) == sorted(
        name for name, _, _ in GOOD_FILES
    )
    assert all(picture.photo.storage.exists(picture.photo.name) for picture in pictures)

    page.goto(project.get_absolute_url())
    expect_pictures_shown(page, 3)


def test_owner_picks_files_on_the_project_page(page: Page, owner):
    project = make_project(owner, title="Desert Lines")
    sign_in(page, "ada")
    page.goto(project.get_absolute_url())
    page.evaluate("window.loadedOnce = true")

    page.get_by_label("Choose pictures or drop them here").set_input_files(good_files()[:2])
    page.get_by_role("button", name="Upload").click()

    expect(page.locator("#upload-summary")).to_have_text("2 pictures added.")
    expect(page.locator("#upload-errors li")).to_have_count(0)
    expect_pictures_shown(page, 2)
    assert page.evaluate("window.loadedOnce === true"), "the page reloaded"
    assert project.pictures.count() == 2
    # The form is ready for the next batch.
    assert page.get_by_label("Choose pictures or drop them here").input_value() == ""


def test_a_batch_of_only_bad_files_is_refused_inline(page: Page, owner, allow_console_error):
    # Nothing could be stored: the server answers 400, which Chromium reports in the console.
    allow_console_error(r"status of 400 \(Bad Request\)")
    project = make_project(owner, title="Desert Lines")
    sign_in(page, "ada")
    page.goto(project.get_absolute_url())

    drop(page, [bad_file(), {**bad_file(), "name": "page.png", "buffer": b"<html>hi</html>"}])

    errors = page.locator("#upload-errors li")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("notes.jpg")
    expect(errors.nth(1)).to_contain_text("page.png")
    expect(page.locator("#upload-summary")).to_have_count(0)
    expect(grid_pictures(page)).to_have_count(0)
    assert not Picture.objects.exists()
    assert stored_files() == set()


def test_too_many_files_at_once_are_refused_with_the_reason(
    page: Page, owner, allow_console_error, settings
):
    # Django refuses the request before the view: a 400 that htmx reports as an error too,
    # and upload.js turns into the message a person reads.
    allow_console_error(r"status of 400 \(Bad Request\)")
    allow_console_error(r"Response Status Error Code 400 from /projects/desert-lines/pictures/")
    project = make_project(owner, title="Desert Lines")
    sign_in(page, "ada")
    page.goto(project.get_absolute_url())
    too_many = settings.PORTFOLIO_UPLOAD_MAX_FILES + 1
    tiny = {"mimeType": "image/jpeg", "buffer": photograph("JPEG", 0, size=(8, 8))}

    drop(page, [{**tiny, "name": f"photo-{number}.jpg"} for number in range(too_many)])

    expect(page.locator("#upload-errors li")).to_contain_text("Too many files")
    expect(grid_pictures(page)).to_have_count(0)
    assert not Picture.objects.exists()
    assert stored_files() == set()


def test_without_javascript_the_upload_form_posts_and_redirects(
    page_without_javascript: Page, owner, live_server
):
    page = page_without_javascript
    project = make_project(owner, title="Desert Lines")
    sign_in(page, "ada")
    page.goto(project.get_absolute_url())

    page.get_by_label("Choose pictures or drop them here").set_input_files(
        [good_files()[0], bad_file()]
    )
    page.get_by_role("button", name="Upload").click()

    expect(page).to_have_url(f"{live_server.url}{project.get_absolute_url()}")
    expect(page.get_by_role("status")).to_contain_text("1 picture added.")
    expect(page.get_by_role("status")).to_contain_text("notes.jpg: not an image")
    expect_pictures_shown(page, 1)


def test_upload_pages_are_accessible(page: Page, owner):
    project = make_project(owner, title="Desert Lines")
    sign_in(page, "ada")

    page.goto("/projects/new/")
    assert_accessible(page)

    page.goto(project.get_absolute_url())
    page.get_by_label("Choose pictures or drop them here").set_input_files(
        [good_files()[0], bad_file()]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#upload-errors li")).to_have_count(1)
    expect_pictures_shown(page, 1)
    # The project page as its owner sees it: upload form, feedback, picture tools.
    assert_accessible(page)

    page.goto(f"/projects/{project.slug}/edit/")
    assert_accessible(page)
