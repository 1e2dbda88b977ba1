"""
An owner shares an unlisted project with a client through a link with a password, an expiry
and web-size downloads; the client opens it in a browser of their own, downloads the ZIP; the
owner revokes the link, and the client's page and image addresses stop working at once.
"""

import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import PurePosixPath

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from portfolio.models import ShareLink
from tests.browser.axe import assert_accessible
from tests.browser.conftest import VIEWPORT, _watched_page
from tests.browser.test_upload import sign_in
from tests.helpers import make_picture, make_project, make_user

pytestmark = pytest.mark.django_db(transaction=True)

LINK_PASSWORD = "dunes-for-anna"
# What the client's computer called the files: one is a path out of the folder, two share a name.
CLIENT_NAMES = ["../../etc/Dune at dusk.jpg", "Dune at dusk.jpg", "Ridge.jpg"]


@pytest.fixture
def client_page(browser: Browser, live_server, request) -> Iterator[Page]:
    """The client's browser: a context of its own, with none of the owner's cookies."""
    context = browser.new_context(
        base_url=live_server.url, viewport=VIEWPORT, accept_downloads=True
    )
    context.set_default_timeout(10_000)
    yield _watched_page(context, request)
    context.close()


def test_a_client_opens_a_protected_link_downloads_the_zip_and_loses_it_when_revoked(
    page: Page, client_page: Page, allow_console_error
):
    owner = make_user("studio")
    project = make_project(owner, title="Dunes", visibility="unlisted")
    for name in CLIENT_NAMES:
        make_picture(project, original_filename=name, size=(320, 240))

    # The owner makes the link on the project's edit page.
    sign_in(page, "studio")
    page.goto(f"/projects/{project.slug}/edit/")
    panel = page.locator("#sharing")
    form = panel.locator("form.share-link-form")
    form.get_by_label("Label").fill("for Anna")
    form.get_by_label("Password").fill(LINK_PASSWORD)
    expires = (timezone.localtime() + timedelta(days=7)).replace(second=0, microsecond=0)
    form.get_by_label("Expires").fill(expires.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("The client may download").select_option("web")
    form.get_by_role("button", name="Make the link").click()
    entry = panel.locator("li.share-link", has_text="for Anna")
    expect(entry).to_contain_text("password")
    expect(entry).to_contain_text("until")
    link = ShareLink.objects.get(project=project)
    assert (link.label, link.downloads, link.expires_at) == ("for Anna", "web", expires)
    assert link.check_password(LINK_PASSWORD)
    address = entry.get_by_label("Address of for Anna").input_value()
    assert address.endswith(link.get_absolute_url())

    # The client, with nothing but the address, is asked for the password.
    client_page.goto(address)
    expect(client_page.get_by_role("heading", name="These pictures are protected")).to_be_visible()
    assert not client_page.locator("#picture-grid").count()
    client_page.get_by_label("Password").fill("dunes-for-someone-else")
    allow_console_error("status of 400")  # The refused password's page comes with a 400.
    client_page.get_by_role("button", name="Show the pictures").click()
    expect(client_page.get_by_text("That is not the password of this link.")).to_be_visible()
    client_page.get_by_label("Password").fill(LINK_PASSWORD)
    client_page.get_by_role("button", name="Show the pictures").click()

    expect(client_page.get_by_role("heading", name="Dunes")).to_be_visible()
    images = client_page.locator("#picture-grid li.picture img")
    expect(images).to_have_count(len(CLIENT_NAMES))
    robots = client_page.locator('meta[name="robots"]').get_attribute("content")
    assert "noindex" in robots
    expect(client_page.get_by_text("This link works until")).to_be_visible()
    # Every picture shows, from a signed address of the private storage (the project is unlisted).
    for image in images.all():
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("image => image.naturalWidth") > 0
    seen_image = images.first.evaluate("image => image.currentSrc")
    assert "/files/" in seen_image
    assert client_page.request.get(seen_image).status == 200
    assert_accessible(client_page)

    with client_page.expect_download() as download_info:
        client_page.get_by_role("link", name="Download all (web size, ZIP)").click()
    download = download_info.value
    assert download.suggested_filename == f"{project.slug}-web.zip"
    with zipfile.ZipFile(download.path()) as archive:
        names = archive.namelist()
        assert archive.testzip() is None
    assert len(names) == len(CLIENT_NAMES)
    assert len({name.casefold() for name in names}) == len(names)
    for name in names:
        path = PurePosixPath(name)
        assert path.name == name and not name.startswith("."), name  # No folder, no way out.
        assert path.suffix == ".jpg", name  # The web size: a JPEG print labs take.
    assert sorted(names) == ["Dune at dusk (2).jpg", "Dune at dusk.jpg", "Ridge.jpg"]

    # The owner revokes it, confirming the question htmx asks.
    dialogs = []

    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    entry.get_by_role("button", name="Revoke for Anna").click()
    expect(panel.locator("li.share-link", has_text="for Anna")).to_contain_text("revoked")
    assert dialogs and "for Anna" in dialogs[0]
    link.refresh_from_db()
    assert link.is_revoked

    # At once, for the client: the page, and the image address the browser already had.
    allow_console_error("status of 404")
    response = client_page.reload()
    assert response.status == 404
    expect(client_page.get_by_role("heading", name="This link does not work")).to_be_visible()
    assert not client_page.locator("#picture-grid").count()
    assert client_page.request.get(seen_image).status == 404
