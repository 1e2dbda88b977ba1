"""An owner signs in, creates a project and puts pictures online by dropping or picking them."""

import base64
import io
import json
import random
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect

from portfolio.models import Picture, Project
from portfolio.uploads import MULTIPART_ALLOWANCE_BYTES
from tests.browser.axe import assert_accessible
from tests.helpers import image_bytes, make_picture, make_project, make_user, stored_files

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-good-test-password"
NOT_AN_IMAGE = b"Shopping list: film, batteries, a lens cloth.\n"
# Slow enough on loopback that the bytes go up in several steps, each reported as progress.
UPLOAD_BYTES_PER_SECOND = 512 * 1024

# What the upload sends and shows, kept on window: every value the <progress> takes, every
# text of the polite status line, the files of every request (name, size) as the page posts
# them, the most requests in flight at once, and how many entries each readEntries() call
# of a dropped folder handed out.
RECORD_UPLOADS = """
window.uploads = {progress: [], statuses: [], requests: [], mostInFlight: 0, directoryChunks: []};
let inFlight = 0;
const send = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.send = function (body) {
  if (body instanceof FormData) {
    window.uploads.requests.push(body.getAll("photos").map((file) => [file.name, file.size]));
    inFlight += 1;
    window.uploads.mostInFlight = Math.max(window.uploads.mostInFlight, inFlight);
    // Done before the page's own "loadend" listener sends the next file.
    this.addEventListener("readystatechange", () => this.readyState === 4 && (inFlight -= 1));
  }
  return send.call(this, body);
};
// Chromium does not name its directory reader's class: reach it through a dropped folder.
const getAsEntry = DataTransferItem.prototype.webkitGetAsEntry;
DataTransferItem.prototype.webkitGetAsEntry = function () {
  const entry = getAsEntry.call(this);
  const reader = entry && entry.isDirectory ? Object.getPrototypeOf(entry.createReader()) : null;
  if (reader && !reader.recorded) {
    const readEntries = reader.readEntries;
    reader.readEntries = function (success, failure) {
      const record = (entries) => {
        window.uploads.directoryChunks.push(entries.length);
        success(entries);
      };
      return readEntries.call(this, record, failure);
    };
    reader.recorded = true;
  }
  return entry;
};
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.getElementById("upload-progress");
  if (!bar) return;
  new MutationObserver(() => window.uploads.progress.push(bar.value)).observe(bar, {
    attributes: true,
    attributeFilter: ["value"],
  });
  const status = document.getElementById("upload-status");
  new MutationObserver(() => window.uploads.statuses.push(status.textContent)).observe(status, {
    childList: true,
    characterData: true,
    subtree: true,
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


def tiny_photo(name: str, shade: int = 0) -> dict:
    """A JPEG of a few hundred bytes: dozens of them cost the suite next to nothing."""
    return {
        "name": name,
        "mimeType": "image/jpeg",
        "buffer": image_bytes("JPEG", (8, 8), color=(shade % 256, 90, 40)),
    }


def drop(page: Page, files: list[dict]) -> None:
    """Drop files as a page-made DataTransfer: files only, no folder entries."""
    payload = [
        {
            "name": file["name"],
            "type": file["mimeType"],
            "base64": base64.b64encode(file["buffer"]).decode(),
        }
        for file in files
    ]
    page.evaluate(DROP_FILES, ["#drop-zone", payload])


def drop_from_file_manager(context: BrowserContext, page: Page, *paths: Path) -> None:
    """
    Drag files or folders from disk onto the drop zone, as a person does from a file manager.

    Chromium's own drag and drop, driven through the DevTools protocol: the drop carries
    real file-system entries, so a folder arrives as a FileSystemDirectoryEntry to walk.
    """
    zone = page.locator("#drop-zone")
    zone.scroll_into_view_if_needed()
    box = zone.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    data = {"items": [], "files": [str(path) for path in paths], "dragOperationsMask": 1}
    session = context.new_cdp_session(page)
    for kind in ("dragEnter", "dragOver", "drop"):
        session.send("Input.dispatchDragEvent", {"type": kind, "x": x, "y": y, "data": data})


def watch_upload_requests(page: Page, project: Project) -> list[Request]:
    """From now on, collect every request that posts to the project's upload URL."""
    upload_path = f"/projects/{project.slug}/pictures/"
    requests = []

    def collect(request: Request) -> None:
        if request.method == "POST" and urlsplit(request.url).path == upload_path:
            requests.append(request)

    page.on("request", collect)
    return requests


def assert_sent_as_htmx(requests: list[Request]) -> None:
    """Each request is marked as htmx's and posts the form, with its CSRF token."""
    assert requests
    for request in requests:
        headers = request.all_headers()
        assert headers["hx-request"] == "true"
        assert headers["content-type"].startswith("multipart/form-data; boundary=")
        assert request.response().status in (200, 400)  # Stored or refused; never a 403.


def sent_files(page: Page) -> list[list[str]]:
    """The names of the files in each upload request, in the order they were sent."""
    return [[name for name, _ in files] for files in page.evaluate("window.uploads.requests")]


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


def open_project(page: Page, project: Project) -> None:
    sign_in(page, project.owner.username)
    page.goto(project.get_absolute_url())
    page.evaluate("window.loadedOnce = true")


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


@pytest.fixture(autouse=True)
def time_to_judge():
    """
    Wait longer for what uploads show: the live server starts a thread a request, and each
    thread its own judge process (portfolio/images/sandbox.py), which a loaded machine may
    take seconds to spawn. gunicorn's threads keep theirs.
    """
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)


def test_owner_creates_a_project_and_drops_pictures_with_progress_and_inline_errors(
    context: BrowserContext, page: Page, owner, live_server, allow_console_error
):
    # The bad file's request is answered 400, which Chromium reports in the console.
    allow_console_error(r"status of 400 \(Bad Request\)")
    context.add_init_script(RECORD_UPLOADS)
    sign_in(page, "ada")
    page.goto("/projects/new/")
    page.get_by_label("Title").fill("Winter Coast")
    page.get_by_label("Visibility").select_option("public")
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
    expect(page.locator("#upload-status")).to_have_text("4 of 4 checked.")
    expect(page.locator("#upload-errors li")).to_have_count(1)
    error = page.locator("#upload-errors li")
    expect(error.locator(".file-name")).to_have_text("notes.jpg")
    expect(error).to_contain_text("not an image")
    expect_pictures_shown(page, 3)
    assert page.evaluate("window.loadedOnce === true"), "the page reloaded"

    # A request a file, whose bytes went up slowly enough to move the bar in several steps.
    recorded = page.evaluate("window.uploads")
    sent = [[name] for name, _, _ in GOOD_FILES] + [["notes.jpg"]]
    assert sorted(sent_files(page)) == sorted(sent)
    assert len([value for value in recorded["progress"] if 0 < value < 100]) >= 2, recorded
    assert recorded["progress"] == sorted(recorded["progress"]), "the bar went backwards"
    assert recorded["progress"][-1] == 100
    expect(progress).to_have_js_property("value", 100)

    # Kept: the three good ones, each a stored file; nothing at all of notes.jpg.
    pictures = list(project.pictures.all())
    assert sorted(picture.original_filename for picture in pictures) == sorted(
        name for name, _, _ in GOOD_FILES
    )
    assert all(picture.photo.storage.exists(picture.photo.name) for picture in pictures)

    page.goto(project.get_absolute_url())
    expect_pictures_shown(page, 3)


def test_a_dropped_folder_of_a_shoot_goes_up_a_file_a_request_a_few_at_a_time(
    context: BrowserContext, page: Page, owner, tmp_path, allow_console_error
):
    allow_console_error(r"status of 400 \(Bad Request\)")  # The sidecar's answer.
    # A card copied by a Mac: every photo has its "._" twin, and there is a .DS_Store.
    # With a Lightroom sidecar, a subfolder of selects and a hidden folder of thumbnails,
    # the folder holds more entries than one readEntries() call hands out.
    shoot = tmp_path / "Harbour shoot"
    shoot.mkdir()
    photos = [f"IMG_{number:04}.jpg" for number in range(1, 56)]
    for shade, name in enumerate(photos):
        (shoot / name).write_bytes(tiny_photo(name, shade)["buffer"])
        (shoot / f"._{name}").write_bytes(b"\x00\x05\x16\x07 Mac OS X resource fork")
    (shoot / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    # Sorted right after IMG_0025.jpg.
    (shoot / "IMG_0025.xmp").write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>')
    (shoot / "selects").mkdir()
    for name in ("best-1.jpg", "best-2.jpg"):
        (shoot / "selects" / name).write_bytes(tiny_photo(name, 200)["buffer"])
    (shoot / ".thumbnails").mkdir()
    (shoot / ".thumbnails" / "IMG_0001.jpg").write_bytes(tiny_photo("thumb")["buffer"])
    pictures_expected = [*photos, "best-1.jpg", "best-2.jpg"]
    context.add_init_script(RECORD_UPLOADS)
    project = make_project(owner, title="Harbour")
    open_project(page, project)
    requests = watch_upload_requests(page, project)

    drop_from_file_manager(context, page, shoot)

    expect(page.locator("#upload-status")).to_have_text("58 of 58 checked.")
    expect(page.locator("#upload-summary")).to_have_text("57 pictures added.")
    errors = page.locator("#upload-errors li")
    expect(errors).to_have_count(1)
    expect(errors.locator(".file-name")).to_have_text("IMG_0025.xmp")
    expect(errors).to_contain_text("not an image")
    expect(grid_pictures(page)).to_have_count(57)
    expect(page.locator("#upload-progress")).to_have_js_property("value", 100)
    assert page.evaluate("window.loadedOnce === true"), "the page reloaded"

    recorded = page.evaluate("window.uploads")
    assert max(recorded["directoryChunks"]) < 114, "the folder came in one chunk: test it bigger"
    # Every file went up once, alone in its request, in name order; nothing hidden.
    in_order = [*photos[:25], "IMG_0025.xmp", *photos[25:], "best-1.jpg", "best-2.jpg"]
    assert sent_files(page) == [[name] for name in in_order]
    # A few at a time, never more.
    assert 2 <= recorded["mostInFlight"] <= 3, recorded["mostInFlight"]
    assert len(requests) == 58
    assert_sent_as_htmx(requests)
    # The bar never went back; the status line counted up, changing at most once a second.
    assert any(0 < value < 100 for value in recorded["progress"]), recorded
    assert recorded["progress"] == sorted(recorded["progress"])
    counts = [int(text.split(" of ")[0]) for text in recorded["statuses"] if text]
    assert counts == sorted(counts)
    assert len(counts) < 58

    assert sorted(Picture.objects.values_list("original_filename", flat=True)) == sorted(
        pictures_expected
    )
    assert Picture.objects.filter(photo="").count() == 0


def grid_ids(page: Page) -> list[str]:
    return grid_pictures(page).evaluate_all("items => items.map((item) => item.id)")


def test_a_selection_ends_in_name_order_however_its_requests_finish(
    context: BrowserContext, page: Page, owner
):
    # The first file by name is much the largest: the files after it finish first, and so
    # take their places in the project first, while it is still going up.
    project = make_project(owner, title="Harbour at dawn")
    earlier = make_picture(project, name="earlier.jpg")
    open_project(page, project)
    uploads = watch_upload_requests(page, project)
    arranging = []
    page.on(
        "request",
        lambda request: "/pictures/arrange/" in request.url and arranging.append(request),
    )
    throttle_uploads(context, page)
    big = {
        "name": "IMG_1.png",
        "mimeType": "image/png",
        "buffer": photograph("PNG", 1, (640, 480)),
    }
    photos = [big, *(tiny_photo(f"IMG_{number}.jpg", number) for number in range(2, 7))]
    names = [photo["name"] for photo in photos]

    drop(page, list(reversed(photos)))

    expect(page.locator("#upload-status")).to_have_text("6 of 6 checked.")
    stored = dict(project.pictures.values_list("original_filename", "pk"))
    in_name_order = [f"picture-{earlier.pk}", *(f"picture-{stored[name]}" for name in names)]
    # Their requests did finish out of name order: the places their answers say they took.
    places = {}
    for request in uploads:
        judged = json.loads(request.response().header_value("hx-trigger"))["upload-judged"]
        [picture] = judged["pictures"]
        places[picture["id"]] = picture["position"]
    taken = [places[stored[name]] for name in names]
    assert taken != sorted(taken), taken

    # The grid ends in name order, after the earlier picture; so does the project.
    for index, item_id in enumerate(in_name_order):
        expect(grid_pictures(page).nth(index)).to_have_id(item_id)
    assert grid_ids(page) == in_name_order
    assert len(arranging) == 1
    request = arranging[0]
    assert request.method == "POST"
    assert request.response().status == 204
    headers = request.all_headers()
    assert headers["hx-request"] == "true" and headers["x-csrftoken"]
    assert [
        f"picture-{pk}" for pk in project.pictures.in_display_order().values_list("pk", flat=True)
    ] == in_name_order

    page.reload()
    assert grid_ids(page) == in_name_order


def test_owner_chooses_a_folder(context: BrowserContext, page: Page, owner, tmp_path):
    trip = tmp_path / "trip"
    for folder in ("day 1", "day 2", ".hidden"):
        (trip / folder).mkdir(parents=True)
    (trip / "day 1" / "dawn.jpg").write_bytes(tiny_photo("dawn.jpg")["buffer"])
    (trip / "day 1" / "._dawn.jpg").write_bytes(b"resource fork")
    (trip / "day 2" / "dusk.png").write_bytes(image_bytes("PNG", (8, 8)))
    (trip / ".hidden" / "secret.jpg").write_bytes(tiny_photo("secret.jpg")["buffer"])
    (trip / ".DS_Store").write_bytes(b"Bud1")
    context.add_init_script(RECORD_UPLOADS)
    open_project(page, make_project(owner, title="Trip"))

    # Chosen, the folder goes up at once: the browser has already asked for confirmation.
    page.get_by_label("Choose a folder").set_input_files(trip)

    expect(page.locator("#upload-status")).to_have_text("2 of 2 checked.")
    expect(page.locator("#upload-summary")).to_have_text("2 pictures added.")
    expect(page.locator("#upload-errors li")).to_have_count(0)
    expect_pictures_shown(page, 2)
    assert sent_files(page) == [["dawn.jpg"], ["dusk.png"]]
    assert sorted(Picture.objects.values_list("original_filename", flat=True)) == [
        "dawn.jpg",
        "dusk.png",
    ]
    assert page.get_by_label("Choose a folder").input_value() == ""


def test_a_file_over_the_size_limit_is_refused_before_it_is_sent(
    context: BrowserContext, page: Page, owner, settings
):
    settings.PORTFOLIO_UPLOAD_MAX_BYTES = 4 * 1024
    big = {"name": "big.png", "mimeType": "image/png", "buffer": photograph("PNG", 1, (64, 64))}
    assert len(big["buffer"]) > settings.PORTFOLIO_UPLOAD_MAX_BYTES
    context.add_init_script(RECORD_UPLOADS)
    open_project(page, make_project(owner, title="Sizes"))

    drop(page, [big, tiny_photo("small.jpg")])

    expect(page.locator("#upload-status")).to_have_text("1 of 1 checked.")
    expect(page.locator("#upload-summary")).to_have_text("1 picture added.")
    error = page.locator("#upload-errors li")
    expect(error).to_have_count(1)
    # The server's own words for it.
    expect(error).to_have_text("big.png: larger than 4 KB")
    assert sent_files(page) == [["small.jpg"]]
    assert list(Picture.objects.values_list("original_filename", flat=True)) == ["small.jpg"]


FAILURES = [
    # A proxy in front with a smaller body limit than ours (nginx's client_max_body_size).
    pytest.param(
        lambda route: route.fulfill(status=413, body="<h1>413 Request Entity Too Large</h1>"),
        "The upload stopped: the server refused a file this large (error 413).",
        r"status of 413",
        id="proxy-413",
    ),
    pytest.param(
        lambda route: route.fulfill(status=502, body="<h1>502 Bad Gateway</h1>"),
        "The upload stopped: the server failed (error 502).",
        r"status of 502",
        id="bad-gateway-502",
    ),
    pytest.param(
        lambda route: route.abort("internetdisconnected"),
        "The upload stopped: the connection to the server was lost.",
        r"ERR_INTERNET_DISCONNECTED",
        id="offline",
    ),
]


@pytest.mark.parametrize(("fail", "message", "console_error"), FAILURES)
def test_a_request_that_fails_stops_the_upload_and_names_what_did_not_go_up(
    context: BrowserContext,
    page: Page,
    owner,
    allow_console_error,
    fail,
    message,
    console_error,
):
    # Faults of the network or of what stands in front of the site: the only way to cause
    # them against the live server is to intercept a request, here the fifth file's.
    allow_console_error(console_error)
    project = make_project(owner, title="Night Walk")
    upload_url = f"**/projects/{project.slug}/pictures/"
    requests = []

    def fifth_file_fails(route):
        requests.append(route.request)
        if b'filename="walk-05.jpg"' in route.request.post_data_buffer:
            fail(route)
        else:
            route.continue_()

    page.route(upload_url, fifth_file_fails)
    open_project(page, project)
    photos = [tiny_photo(f"walk-{number:02}.jpg", number) for number in range(1, 11)]
    names = [photo["name"] for photo in photos]

    drop(page, photos)

    error = page.locator("#upload-errors li")
    expect(error).to_have_count(1)
    expect(error).to_contain_text(message)
    # The requests in flight when it failed end as they would; then it says it stopped.
    expect(page.locator("#upload-status")).to_have_text(
        re.compile(rf"^{len(requests) - 1} of 10 checked; stopped\.$")
    )
    stored = sorted(Picture.objects.values_list("original_filename", flat=True))
    # The failed file and those never sent, by name and in order: what to drop again.
    unsent = [name for name in names if name not in stored]
    assert "walk-05.jpg" in unsent and stored[:4] == names[:4]
    expect(error.locator(".file-name")).to_have_text(unsent)
    expect(error).to_contain_text(f"Not uploaded ({len(unsent)}):")
    expect(grid_pictures(page)).to_have_count(len(stored))
    assert len(requests) == len(stored) + 1, "it went on after a failed request"

    # Still usable: drop the named files again once the way to the server is clear.
    page.unroute(upload_url)
    drop(page, [photo for photo in photos if photo["name"] in unsent])

    expect(page.locator("#upload-status")).to_have_text(f"{len(unsent)} of {len(unsent)} checked.")
    expect(page.locator("#upload-errors li")).to_have_count(0)
    expect(grid_pictures(page)).to_have_count(10)
    assert Picture.objects.count() == 10


def test_a_request_refused_as_a_whole_stops_the_upload_with_its_reason(
    page: Page, owner, allow_console_error, settings
):
    # The page allows 25 MB a file; since a deploy the server takes less in one request.
    allow_console_error(r"status of 413")
    open_project(page, make_project(owner, title="Desert Lines"))
    settings.PORTFOLIO_UPLOAD_MAX_REQUEST_BYTES = 0
    photos = [
        {
            "name": f"photo-{number}.png",
            "mimeType": "image/png",
            "buffer": photograph("PNG", number, (640, 640)),
        }
        for number in range(3)
    ]
    assert all(len(photo["buffer"]) > MULTIPART_ALLOWANCE_BYTES for photo in photos)

    drop(page, photos)

    error = page.locator("#upload-errors li")
    expect(error).to_have_count(1)
    expect(error).to_contain_text(
        "The upload stopped: Too much in one upload: at most 0 KB at a time"
    )
    expect(error.locator(".file-name")).to_have_text([photo["name"] for photo in photos])
    expect(page.locator("#upload-status")).to_have_text("0 of 3 checked; stopped.")
    expect(grid_pictures(page)).to_have_count(0)
    assert not Picture.objects.exists()
    assert stored_files() == set()


def test_an_upload_after_the_session_ended_stops_and_stays_on_the_page(
    context: BrowserContext, page: Page, owner, settings
):
    # Signed out in another tab, or the session expired: the server answers htmx with a
    # redirect to sign in, which would leave behind the page and what it says was not sent.
    project = make_project(owner, title="Night Walk")
    open_project(page, project)
    context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    photos = [tiny_photo(f"walk-{number}.jpg", number) for number in range(1, 3)]

    drop(page, photos)

    error = page.locator("#upload-errors li")
    expect(error).to_contain_text(
        "The upload stopped: You are no longer signed in. Reload the page, sign in"
    )
    expect(error.locator(".file-name")).to_have_text([photo["name"] for photo in photos])
    expect(page.locator("#upload-status")).to_have_text("0 of 2 checked; stopped.")
    assert page.evaluate("window.loadedOnce === true"), "the page was left"
    assert not Picture.objects.exists()


def test_owner_picks_files_on_the_project_page(page: Page, owner):
    project = make_project(owner, title="Desert Lines")
    open_project(page, project)
    requests = watch_upload_requests(page, project)

    page.get_by_label("Choose pictures or drop them here").set_input_files(good_files()[:2])
    page.get_by_role("button", name="Upload").click()

    expect(page.locator("#upload-summary")).to_have_text("2 pictures added.")
    expect(page.locator("#upload-errors li")).to_have_count(0)
    expect_pictures_shown(page, 2)
    assert page.evaluate("window.loadedOnce === true"), "the page reloaded"
    assert project.pictures.count() == 2
    assert len(requests) == 2
    assert_sent_as_htmx(requests)
    # The form is ready for the next files.
    assert page.get_by_label("Choose pictures or drop them here").input_value() == ""


def test_owner_uploads_on_the_upload_page_itself(page: Page, owner):
    # The form's own page: reached without JavaScript, or by its address.
    project = make_project(owner, title="Desert Lines")
    sign_in(page, owner.username)
    page.goto(f"{project.get_absolute_url()}pictures/")
    page.evaluate("window.loadedOnce = true")

    page.get_by_label("Choose pictures or drop them here").set_input_files(good_files()[:2])
    page.get_by_role("button", name="Upload").click()

    expect(page.locator("#upload-summary")).to_have_text("2 pictures added.")
    # The pictures just added are shown here too, with their tools.
    expect_pictures_shown(page, 2)
    expect(grid_pictures(page).get_by_role("link", name="Delete").first).to_be_visible()
    assert page.evaluate("window.loadedOnce === true"), "the page reloaded"
    assert project.pictures.count() == 2


def test_bad_files_are_refused_inline_each_with_its_reason(page: Page, owner, allow_console_error):
    # Each refused: the server answers 400, which Chromium reports in the console.
    allow_console_error(r"status of 400 \(Bad Request\)")
    open_project(page, make_project(owner, title="Desert Lines"))

    drop(page, [bad_file(), {**bad_file(), "name": "page.png", "buffer": b"<html>hi</html>"}])

    errors = page.locator("#upload-errors li")
    expect(page.locator("#upload-status")).to_have_text("2 of 2 checked.")
    # In the order their answers came.
    refusals = sorted(errors.all_text_contents())
    assert refusals == ["notes.jpg: not an image", "page.png: not an image"]
    expect(page.locator("#upload-summary")).to_have_count(0)
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
    # Only the script can send a folder's files: without it, no folder to choose.
    expect(page.get_by_label("Choose a folder")).to_be_hidden()

    page.get_by_label("Choose pictures or drop them here").set_input_files(
        [good_files()[0], bad_file()]
    )
    page.get_by_role("button", name="Upload").click()

    expect(page).to_have_url(f"{live_server.url}{project.get_absolute_url()}")
    expect(page.get_by_role("status")).to_contain_text("1 picture added.")
    expect(page.get_by_role("status")).to_contain_text("notes.jpg: not an image")
    expect_pictures_shown(page, 1)


def test_upload_pages_are_accessible(page: Page, owner, allow_console_error):
    allow_console_error(r"status of 400 \(Bad Request\)")  # The bad file's answer.
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
    expect(page.locator("#upload-status")).to_have_text("2 of 2 checked.")
    expect_pictures_shown(page, 1)
    # The project page as its owner sees it: upload form, folder choice, progress, feedback.
    assert_accessible(page)

    page.goto(f"/projects/{project.slug}/edit/")
    assert_accessible(page)
