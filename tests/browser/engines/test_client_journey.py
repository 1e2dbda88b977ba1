"""
A client's journey on a phone, in Chromium and in WebKit: a share link with a password, the
grid, the lightbox and a swipe, favourites, sending them, and downloading a picture and a ZIP.

What the test finds on the page lives in SharePage, by id, label, role-like text or a stable
attribute, never by layout: the favourites bar's forms open in its sheets, as a client opens them.
"""

import base64
import io
import json
import zipfile

import pytest
from django.test import Client
from PIL import Image
from selenium.webdriver.common.actions import interaction
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.pointer_input import PointerInput
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from portfolio.models import Picture, Selection, ShareLink
from tests.browser.engines.conftest import Phone
from tests.helpers import make_picture, make_project, make_user, signed_in

pytestmark = pytest.mark.django_db(transaction=True)


class SharePage:
    """What the client sees of a share link, found as a person would find it."""

    def __init__(self, phone: Phone):
        self.phone = phone
        self.driver = phone.driver

    def by_label(self, text: str) -> WebElement:
        label = self.driver.find_element(By.XPATH, f"//label[normalize-space()='{text}']")
        return self.driver.find_element(By.ID, label.get_attribute("for"))

    def button(self, text: str) -> WebElement:
        return self.driver.find_element(By.XPATH, f"//button[normalize-space()='{text}']")

    def open_sheet(self, summary: str) -> None:
        """Open one of the favourites bar's sheets by its button (a <details>' summary)."""
        button = self.driver.find_element(By.XPATH, f"//summary[normalize-space()='{summary}']")
        if not button.find_element(By.XPATH, "..").get_property("open"):
            button.click()

    def close_sheets(self) -> None:
        for sheet in self.driver.find_elements(By.CSS_SELECTOR, "#selection details[open]"):
            sheet.find_element(By.TAG_NAME, "summary").click()

    def personal_link(self) -> str:
        return self.driver.find_element(By.ID, "selection-personal-link").get_property("value")

    def heading(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "h1").text

    def has_text(self, text: str) -> bool:
        # Read in one script: an element's .text, taken while htmx swaps the page, failed in
        # Chromium ("Node with given id does not belong to the document").
        return text in self.driver.execute_script("return document.body.innerText")

    def grid_images(self) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, "#picture-grid [id^='picture-'] img")

    def picture_link(self, picture: Picture) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, f"#picture-{picture.pk} a[data-lightbox]")

    def heart(self, picture: Picture) -> WebElement:
        return self.driver.find_element(By.ID, f"favourite-{picture.pk}")

    def chosen(self, picture: Picture) -> bool:
        """Whether the picture's heart is pressed (read in one step: htmx replaces it)."""
        return (
            self.driver.execute_script(
                "return document.getElementById(arguments[0]).getAttribute('aria-pressed')",
                f"favourite-{picture.pk}",
            )
            == "true"
        )

    def favourite_count(self) -> str:
        return self.driver.find_element(By.ID, "favourite-count").text

    def picture_download(self, picture: Picture) -> str:
        link = self.driver.find_element(By.CSS_SELECTOR, f"#picture-{picture.pk} a[download]")
        return link.get_attribute("href")

    def zip_download(self) -> str:
        link = self.driver.find_element(By.LINK_TEXT, "Download all (web size, ZIP)")
        return link.get_attribute("href")

    # The lightbox
    def lightbox(self) -> WebElement:
        return self.driver.find_element(By.ID, "lightbox")

    def lightbox_open(self) -> bool:
        return self.lightbox().get_property("open")

    def lightbox_caption(self) -> str:
        return self.lightbox().find_element(By.CSS_SELECTOR, "figcaption").text

    def lightbox_image(self) -> WebElement:
        return self.lightbox().find_element(By.TAG_NAME, "img")

    def lightbox_heart(self) -> WebElement:
        return self.lightbox().find_element(By.CSS_SELECTOR, "button[aria-keyshortcuts='f']")

    def lightbox_close(self) -> WebElement:
        return self.lightbox().find_element(By.CSS_SELECTOR, "button[aria-label='Close']")


PASSWORD = "dunes-for-anna"
CAPTIONS = ["The rings", "First dance", "The cake", "At the door"]
# How each engine's WebDriver delivers a swipe made of pointer actions of type touch.
# Chromium, emulating a phone, sends them as touches. WebKitGTK's WebDriver accepts them but,
# with no touch screen (Xvfb has none, and WebKitGTK has no touch emulation: `ontouchstart`
# is absent), sends them as a mouse: the lightbox's pointer events take the same path, but
# what only a finger does is not exercised there.
SWIPE_POINTER = {"chromium": "touch", "webkit": "mouse"}


@pytest.fixture
def shoot():
    owner = make_user("studio", email="studio@example.com")
    project = make_project(owner, title="Dunes", visibility="unlisted")
    pictures = [
        make_picture(
            project, original_filename=f"DSC_010{number}.jpg", caption=caption, size=(640, 480)
        )
        for number, caption in enumerate(CAPTIONS, start=1)
    ]
    link = ShareLink(project=project, label="for Anna", downloads="web", allows_favourites=True)
    link.set_password(PASSWORD)
    link.save()
    return owner, link, pictures


def test_a_client_unlocks_chooses_swipes_sends_and_downloads(phone: Phone, shoot, mailoutbox):
    owner, link, pictures = shoot
    page = SharePage(phone)

    # The password first, then the pictures.
    phone.visit(link.get_absolute_url())
    assert page.heading() == "These pictures are protected"
    assert not page.grid_images()
    page.by_label("Password").send_keys("dunes-for-someone-else")
    phone.allow_error("status of 400")  # Chromium logs the refusal's status.
    page.button("Show the pictures").click()
    phone.wait(lambda d: page.has_text("That is not the password of this link."))
    page.by_label("Password").clear()
    page.by_label("Password").send_keys(PASSWORD)
    page.button("Show the pictures").click()
    phone.wait(lambda d: page.heading() == "Dunes", "the password did not unlock the link")
    images = page.grid_images()
    assert len(images) == len(pictures)
    for image in images:
        # Lazy images load as they come near: WebKit waits until they nearly show.
        phone.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", image)
        phone.wait(lambda d, image=image: image.get_property("complete"), "an image never loaded")
        assert image.get_property("naturalWidth") > 0

    # A name, from the favourites bar's sheet; the personal link, shown once; then two hearts.
    page.open_sheet("Start")
    page.by_label("Your name").send_keys("Anna")
    page.button("Start choosing").click()
    phone.wait(lambda d: page.has_text("Choosing as Anna"), "choosing did not start")
    assert f"{link.get_absolute_url()}selection/" in page.personal_link()
    page.close_sheets()
    for number, picture in enumerate(pictures[:2], start=1):
        page.heart(picture).click()
        phone.wait(lambda d, p=picture: page.chosen(p), "the heart was not pressed")
        phone.wait(lambda d, n=number: page.favourite_count() == f"{n} chosen")

    # The lightbox, a swipe to the next picture, and its heart.
    page.picture_link(pictures[1]).click()
    phone.wait(lambda d: page.lightbox_open() and page.lightbox_caption() == CAPTIONS[1])
    phone.driver.execute_script(
        "window.pointerTypes = [];"
        "arguments[0].addEventListener('pointerdown', (e) => pointerTypes.push(e.pointerType));",
        page.lightbox_image(),
    )
    swipe(phone, page.lightbox_image(), distance=-240)
    phone.wait(lambda d: page.lightbox_caption() == CAPTIONS[2], "the swipe did not move on")
    assert phone.driver.execute_script("return pointerTypes") == [SWIPE_POINTER[phone.engine]]
    heart = page.lightbox_heart()
    assert heart.get_attribute("aria-pressed") == "false"
    heart.click()
    phone.wait(lambda d: page.chosen(pictures[2]), "the lightbox's heart did not choose")
    # It follows the grid's heart once htmx has settled the swap (static/js/proofing.js).
    phone.wait(lambda d: heart.get_attribute("aria-pressed") == "true", "the heart stayed empty")
    page.lightbox_close().click()
    phone.wait(lambda d: not page.lightbox_open(), "the lightbox did not close")

    # Sending, from the bar, and the owner's side.
    page.open_sheet("Send")
    page.by_label("A note for the photographer").send_keys("The cake for the album")
    page.button("Send my selection").click()
    phone.wait(lambda d: page.has_text("Sent: 3 pictures. Thank you!"), "nothing was sent")
    selection = Selection.objects.get(link=link)
    assert (selection.name, selection.is_sent) == ("Anna", True)
    assert selection.file_names() == ["DSC_0101.jpg", "DSC_0102.jpg", "DSC_0103.jpg"]
    (mail,) = mailoutbox
    assert mail.to == ["studio@example.com"] and "DSC_0103.jpg" in mail.body
    studio = signed_in(owner).get(f"/projects/{link.project.slug}/edit/")
    assert "The cake for the album" in studio.content.decode()

    # A picture and the ZIP, fetched by the page with the browser's own cookies (neither
    # driver shows a download to the test).
    picture_file = fetch(phone, page.picture_download(pictures[0]))
    assert picture_file["status"] == 200, picture_file
    assert picture_file["headers"]["content-disposition"].startswith("attachment;")
    assert picture_file["headers"]["x-content-type-options"] == "nosniff"
    image = Image.open(io.BytesIO(picture_file["body"]))
    assert picture_file["headers"]["content-type"] == Image.MIME[image.format]
    archive_file = fetch(phone, page.zip_download())
    assert archive_file["status"] == 200, archive_file
    assert archive_file["headers"]["content-type"] == "application/zip"
    disposition = archive_file["headers"]["content-disposition"]
    assert disposition == f'attachment; filename="{link.project.slug}-web.zip"'
    with zipfile.ZipFile(io.BytesIO(archive_file["body"])) as archive:
        assert archive.testzip() is None
        assert len(archive.namelist()) == len(pictures)
    # Without the password, the address alone gets the password form.
    refused = Client().get(page.zip_download().removeprefix(phone.base_url))
    assert "These pictures are protected" in refused.content.decode()


def swipe(phone: Phone, element: WebElement, distance: int) -> None:
    """One finger across the element's middle, in steps, as a hand moves."""
    box = phone.driver.execute_script(
        "const box = arguments[0].getBoundingClientRect();"
        "return [box.left + box.width / 2, box.top + box.height / 2];",
        element,
    )
    x, y = round(box[0] - distance / 2), round(box[1])
    actions = ActionBuilder(phone.driver, mouse=PointerInput(interaction.POINTER_TOUCH, "finger"))
    actions.pointer_action.move_to_location(x, y).pointer_down()
    for step in range(1, 6):
        actions.pointer_action.move_to_location(round(x + distance * step / 5), y)
    actions.pointer_action.pointer_up()
    actions.perform()


FETCH = """
const [url, done] = arguments;
fetch(url, { credentials: "same-origin" }).then(async (response) => {
  let binary = "";
  for (const byte of new Uint8Array(await response.arrayBuffer())) {
    binary += String.fromCharCode(byte);
  }
  done(JSON.stringify({
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: btoa(binary),
  }));
}, (error) => done(JSON.stringify({ status: 0, error: String(error) })));
"""


def fetch(phone: Phone, url: str) -> dict:
    """What the browser gets from url, redirects followed: status, headers and bytes."""
    response = json.loads(phone.driver.execute_async_script(FETCH, url))
    response["body"] = base64.b64decode(response.get("body", ""))
    return response
