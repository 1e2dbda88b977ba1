"""
Client proofing: who may favourite, locking, limits, several selections per link, the views
behind a share link and the owner's side, and who reaches which endpoint.
"""

import csv
import io
import json
import re
import threading
import time
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portfolio.models import Favourite, Selection, SelectionRefused, ShareLink
from portfolio.models.proofing import SelectionQuerySet, key_hash
from tests.helpers import HTMX, make_picture, make_project, make_user, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(owner):
    """An unlisted project of three pictures, seen only through its links."""
    project = make_project(owner, title="Wedding", visibility="unlisted")
    for name in ["DSC_0001.jpg", "DSC_0002.NEF.jpg", "Kiss at the door.jpg"]:
        make_picture(project, original_filename=name, renditions=False)
    return project


@pytest.fixture
def pictures(project):
    return list(project.pictures.in_display_order())


@pytest.fixture
def link(project):
    return ShareLink.objects.create(project=project, label="for Anna", allows_favourites=True)


@pytest.fixture
def selection(link):
    return Selection.objects.create(link=link, name="Anna")


def share_url(link: ShareLink, name: str = "share", **kwargs) -> str:
    return reverse(f"portfolio:{name}", kwargs={"token": link.token, **kwargs})


def favourite_url(link: ShareLink, picture) -> str:
    picture_id = picture if isinstance(picture, int) else picture.pk
    return share_url(link, "share-favourite", picture_id=picture_id)


def choosing(link: ShareLink, name: str = "Anna") -> Client:
    """A visitor's browser that started choosing under `name` on the link."""
    client = Client()
    response = client.post(share_url(link, "share-selection-start"), {"name": name})
    assert response.status_code == 302
    return client


def chosen(selection: Selection) -> list[str]:
    return [picture.original_filename for picture in selection.pictures()]


# ---------------------------------------------------------------- the rules


def test_a_picture_becomes_a_favourite_and_stops_being_one(selection, pictures):
    assert selection.toggle(pictures[1]) is True
    assert selection.toggle(pictures[0]) is True
    assert chosen(selection) == ["DSC_0001.jpg", "DSC_0002.NEF.jpg"]  # In the project's order.
    assert selection.toggle(pictures[1]) is False
    assert chosen(selection) == ["DSC_0001.jpg"]


def test_a_picture_of_another_project_is_refused(selection):
    elsewhere = make_picture(make_project(selection.link.project.owner), renditions=False)
    with pytest.raises(SelectionRefused, match="not one of these"):
        selection.toggle(elsewhere)
    assert not Favourite.objects.exists()


def test_the_limit_refuses_one_more_until_one_is_removed(link, selection, pictures):
    link.favourite_limit = 2
    link.save()
    selection.toggle(pictures[0])
    selection.toggle(pictures[1])
    with pytest.raises(SelectionRefused, match="You have chosen 2, the most"):
        selection.toggle(pictures[2])
    selection.toggle(pictures[0])  # Removing is always allowed.
    assert selection.toggle(pictures[2]) is True
    assert chosen(selection) == ["DSC_0002.NEF.jpg", "Kiss at the door.jpg"]


def at_once(first, second, monkeypatch, creator, hold: float = 0.5) -> list:
    """
    Run first() and second() in two threads (two connections), first() holding still for
    `hold` seconds once it reaches creator.create(), in its transaction: second() starts
    meanwhile and must wait for it. What each returned or raised.
    """
    create, inside = creator.create, threading.Event()

    def slow_create(*args, **kwargs):
        if threading.current_thread().name == "first":
            inside.set()
            time.sleep(hold)
        return create(*args, **kwargs)

    monkeypatch.setattr(creator, "create", slow_create)
    outcomes = {}

    def run(name, action, wait):
        try:
            if wait:
                assert inside.wait(5)
            outcomes[name] = action()
        except Exception as error:  # What the test looks at.
            outcomes[name] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, name=name, args=(name, action, name == "second"))
        for name, action in [("first", first), ("second", second)]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return [outcomes["first"], outcomes["second"]]


@pytest.mark.django_db(transaction=True)
def test_two_hearts_at_once_do_not_pass_the_limit(project, monkeypatch):
    # The selection's row lock (select_for_update on PostgreSQL, the immediate transaction on
    # SQLite): the second heart counts the first's favourite.
    link = ShareLink.objects.create(
        project=project, label="for Anna", allows_favourites=True, favourite_limit=1
    )
    anna = Selection.objects.create(link=link, name="Anna")
    first, second = project.pictures.in_display_order()[:2]
    outcomes = at_once(
        lambda: Selection.objects.get(pk=anna.pk).toggle(first),
        lambda: Selection.objects.get(pk=anna.pk).toggle(second),
        monkeypatch,
        Favourite.objects,
    )
    assert outcomes[0] is True
    assert isinstance(outcomes[1], SelectionRefused), outcomes[1]
    assert anna.favourites.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_new_names_at_once_do_not_pass_the_cap(link, monkeypatch, settings):
    settings.PORTFOLIO_SELECTIONS_PER_LINK = 1
    outcomes = at_once(
        lambda: Selection.objects.start(link, "Anna"),
        lambda: Selection.objects.start(link, "Ben"),
        monkeypatch,
        SelectionQuerySet,
    )
    assert isinstance(outcomes[0][0], Selection)
    assert isinstance(outcomes[1], SelectionRefused), outcomes[1]
    assert list(link.selections.values_list("name", flat=True)) == ["Anna"]


def test_a_locked_selection_is_frozen_for_its_client_until_unlocked(selection, pictures):
    selection.toggle(pictures[0])
    selection.lock()
    for action in [
        lambda: selection.toggle(pictures[1]),
        lambda: selection.toggle(pictures[0]),
        selection.send,
        selection.reopen,
    ]:
        with pytest.raises(SelectionRefused, match="locked"):
            action()
    assert chosen(selection) == ["DSC_0001.jpg"]
    selection.unlock()
    assert selection.toggle(pictures[1]) is True


def test_a_sent_selection_changes_only_once_reopened(selection, pictures):
    selection.toggle(pictures[0])
    selection.send("For the album")
    assert selection.is_sent and selection.note == "For the album"
    with pytest.raises(SelectionRefused, match="reopen it"):
        selection.toggle(pictures[1])
    selection.reopen()
    assert not Selection.objects.get(pk=selection.pk).is_sent
    assert selection.toggle(pictures[1]) is True


def test_an_empty_selection_is_not_sent(selection):
    with pytest.raises(SelectionRefused, match="at least one"):
        selection.send()
    assert not Selection.objects.get(pk=selection.pk).is_sent


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda link: link.revoke(), id="revoked"),
        pytest.param(
            lambda link: ShareLink.objects.filter(pk=link.pk).update(
                expires_at=timezone.now() - timedelta(minutes=1)
            ),
            id="expired",
        ),
        pytest.param(
            lambda link: link.project.__class__.objects.filter(pk=link.project_id).update(
                visibility="private"
            ),
            id="project-private",
        ),
        pytest.param(
            lambda link: ShareLink.objects.filter(pk=link.pk).update(allows_favourites=False),
            id="favourites-turned-off",
        ),
    ],
)
def test_a_link_that_stopped_working_freezes_its_selections(link, selection, pictures, change):
    selection.toggle(pictures[0])
    change(link)
    with pytest.raises(SelectionRefused, match="no longer take favourites"):
        selection.toggle(pictures[1])
    with pytest.raises(SelectionRefused):
        selection.send()
    # Kept for the owner.
    assert chosen(Selection.objects.get(pk=selection.pk)) == ["DSC_0001.jpg"]


def test_several_people_on_one_link_choose_apart(link, pictures):
    anna, ben = (Selection.objects.create(link=link, name=name) for name in ["Anna", "Ben"])
    anna.toggle(pictures[0])
    ben.toggle(pictures[1])
    ben.toggle(pictures[2])
    assert chosen(anna) == ["DSC_0001.jpg"]
    assert chosen(ben) == ["DSC_0002.NEF.jpg", "Kiss at the door.jpg"]
    # A name is a label: another Anna on the link has a selection of her own.
    other_anna, _ = Selection.objects.start(link, "anna")
    assert other_anna.pk != anna.pk and chosen(other_anna) == []


def test_a_selection_is_found_by_its_key_and_the_database_keeps_only_its_hash(link):
    selection, key = Selection.objects.start(link, "Anna")
    assert len(key) >= 22  # 128 random bits, URL-safe.
    assert key not in selection.key_hash and selection.key_hash == key_hash(key)
    assert Selection.objects.with_key(key).get() == selection
    assert not Selection.objects.with_key(key[:-1] + ("A" if key[-1] != "A" else "B")).exists()
    again, other_key = Selection.objects.start(link, "Anna")
    assert other_key != key and again.key_hash != selection.key_hash
    # Made another way (the admin, a migration): a key nobody was given, still one of its own.
    made = Selection.objects.create(link=link, name="Ben")
    assert len(made.key_hash) == 64 and made.key_hash not in {selection.key_hash, again.key_hash}


def test_a_name_typed_in_another_unicode_form_is_kept_in_one(link, pictures):
    # "ë" is one character or "e" and a combining diaeresis, as the keyboard or the system sends
    # it: the same name to its owner, whichever way it came.
    composed, decomposed = "Zo\u00eb", "Zoe\u0308"
    client = choosing(link, decomposed)
    assert Selection.objects.get().name == composed
    client.post(favourite_url(link, pictures[0]))
    response = client.post(share_url(link, "share-selection-send"), {"name": decomposed})
    assert response.status_code == 302
    assert Selection.objects.get().name == composed


def test_a_link_keeps_a_bounded_number_of_names(link, settings):
    # Each new name typed is a row: whoever holds the link must not add them without end.
    settings.PORTFOLIO_SELECTIONS_PER_LINK = 3
    for name in ["Anna", "Ben", "Anna"]:
        Selection.objects.start(link, name)
    with pytest.raises(SelectionRefused, match="already has 3 selections"):
        Selection.objects.start(link, "Dev")
    # Another link has its own count.
    other_link = ShareLink.objects.create(project=link.project, label="for Dev")
    Selection.objects.start(other_link, "Dev")
    assert link.selections.count() == 3
    response = Client().post(share_url(link, "share-selection-start"), {"name": "Dev"})
    assert response.status_code == 409
    assert "already has 3 selections" in response.content.decode()


def test_the_owner_gets_the_original_names_as_a_list_a_filter_and_csv(selection, pictures):
    for picture in pictures:
        selection.toggle(picture)
    selection.name = "=HYPERLINK(evil)"
    assert selection.names_text() == "DSC_0001.jpg\nDSC_0002.NEF.jpg\nKiss at the door.jpg"
    assert selection.catalogue_filter() == "DSC_0001, DSC_0002.NEF, Kiss at the door"
    rows = list(csv.reader(io.StringIO(selection.as_csv())))
    assert rows[0] == ["file name", "name without extension", "caption", "chosen by"]
    assert rows[1] == ["DSC_0001.jpg", "DSC_0001", "", "'=HYPERLINK(evil)"]
    assert len(rows) == 4


def test_no_csv_cell_splits_into_a_formula_where_the_separator_is_a_semicolon(selection, pictures):
    # Excel in many countries opens a .csv on ";": an unquoted "a;=cmd|…" would be two cells,
    # the second a formula. Every cell is quoted, so that it stays one.
    selection.toggle(pictures[0])
    selection.name = "Anna;=cmd|' /C calc'!A0"
    row = selection.as_csv().splitlines()[1]
    assert row == '"DSC_0001.jpg","DSC_0001","","Anna;=cmd|\' /C calc\'!A0"'
    # As a spreadsheet reads it, a ";" between quotes (an odd number of them before it) is text.
    semicolon = row.index(";")
    assert row[:semicolon].count('"') % 2 == 1


def test_a_name_twice_is_one_stem_in_the_filter(project, selection, pictures):
    again = make_picture(project, original_filename="DSC_0001.jpg", renditions=False)
    selection.toggle(pictures[0])
    selection.toggle(again)
    assert selection.names_text() == "DSC_0001.jpg\nDSC_0001.jpg"
    assert selection.catalogue_filter() == "DSC_0001"


def test_sending_emails_the_owner_once_committed(
    owner, selection, pictures, mailoutbox, django_capture_on_commit_callbacks
):
    owner.email = "studio@example.com"
    owner.save()
    selection.toggle(pictures[2])
    with django_capture_on_commit_callbacks(execute=True):
        selection.send("Print this one, please")
    (mail,) = mailoutbox
    assert mail.to == ["studio@example.com"]
    assert mail.subject == "Anna chose 1 picture of “Wedding”"
    assert "Print this one, please" in mail.body
    assert "Kiss at the door.jpg" in mail.body


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_a_name_is_refused_with_any_line_separator_and_a_subject_is_one_line(
    owner, link, selection, pictures, mailoutbox, separator, django_capture_on_commit_callbacks
):
    # Python splits lines on these too: in an e-mail's subject, the message would not go.
    response = Client().post(
        share_url(link, "share-selection-start"), {"name": f"Ben{separator}Bcc: x@example.com"}
    )
    assert response.status_code == 400
    assert "Type your name on one line." in response.content.decode()
    # A name saved before (or a project's title) still makes a one-line subject.
    owner.email = "studio@example.com"
    owner.save()
    Selection.objects.filter(pk=selection.pk).update(name=f"Anna{separator}Bcc: x@example.com")
    selection.refresh_from_db()
    selection.toggle(pictures[0])
    with django_capture_on_commit_callbacks(execute=True):
        selection.send()
    (mail,) = mailoutbox
    assert mail.subject == "Anna Bcc: x@example.com chose 1 picture of “Wedding”"
    assert mail.recipients() == ["studio@example.com"]


def test_no_email_when_the_site_sends_none_or_the_owner_has_no_address(
    owner, selection, pictures, mailoutbox, settings, django_capture_on_commit_callbacks
):
    selection.toggle(pictures[0])
    with django_capture_on_commit_callbacks(execute=True):
        selection.send()  # The owner gave no address.
    selection.reopen()
    owner.email = "studio@example.com"
    owner.save()
    settings.PORTFOLIO_SELECTION_EMAILS = False
    with django_capture_on_commit_callbacks(execute=True):
        selection.send()
    assert mailoutbox == []


# ---------------------------------------------------------------- the client's pages


def test_the_share_page_asks_for_a_name_before_any_heart(link):
    response = Client().get(share_url(link))
    page = response.content.decode()
    assert 'id="selection"' in page
    assert "Start choosing" in page
    assert "favourite-button" not in page
    assert "data-hx-headers" not in page
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-cache" in response["Cache-Control"]
    client = choosing(link)
    for _ in range(2):
        assert "Choosing as" in client.get(share_url(link)).content.decode()
    assert not caches["pages"]._cache  # Never kept by the page cache, with or without a name.


def test_a_link_without_favourites_shows_none_of_it(link):
    ShareLink.objects.filter(pk=link.pk).update(allows_favourites=False)
    page = Client().get(share_url(link)).content.decode()
    assert 'id="selection"' not in page
    assert "favourite" not in page


def test_a_name_opens_the_selection_in_this_browser_and_hearts_post(link, pictures):
    client = choosing(link)
    response = client.get(share_url(link))
    page = response.content.decode()
    assert "Choosing as <strong>Anna</strong>" in page
    assert page.count('class="favourite-button"') == 3
    assert page.count('class="favourite-button" aria-pressed="false"') == 3
    # The hearts post with htmx, which sends the token in its header.
    assert 'data-hx-headers=\'{"X-CSRFToken"' in page
    assert client.session[f"share-link-{link.pk}-selection"] == Selection.objects.get().pk

    response = client.post(favourite_url(link, pictures[1]))
    assert response.status_code == 302
    assert response.url == f"{link.get_absolute_url()}#picture-{pictures[1].pk}"
    assert chosen(Selection.objects.get()) == ["DSC_0002.NEF.jpg"]


def pressed(client: Client, link: ShareLink) -> list[str]:
    """The pictures whose hearts the client's share page shows pressed."""
    page = client.get(share_url(link)).content.decode()
    return re.findall(r'id="favourite-(\d+)"[^>]*aria-pressed="true"', page) or re.findall(
        r'aria-pressed="true"[^>]*id="favourite-(\d+)"', page
    )


def test_two_clients_with_the_same_name_get_two_selections(link, pictures):
    first = choosing(link, "Anna")
    first.post(favourite_url(link, pictures[0]))
    second = choosing(link, "  anna ")  # Another person, typing the same name.
    second.post(favourite_url(link, pictures[1]))
    second.post(favourite_url(link, pictures[2]))
    anna, other_anna = Selection.objects.order_by("pk")
    assert (anna.name, other_anna.name) == ("Anna", "anna")
    assert chosen(anna) == ["DSC_0001.jpg"]
    assert chosen(other_anna) == ["DSC_0002.NEF.jpg", "Kiss at the door.jpg"]
    # Neither sees, nor changes, the other's picks.
    assert pressed(first, link) == [str(pictures[0].pk)]
    assert pressed(second, link) == [str(pictures[1].pk), str(pictures[2].pk)]
    first.post(favourite_url(link, pictures[2]))
    assert chosen(Selection.objects.get(pk=other_anna.pk)) == [
        "DSC_0002.NEF.jpg",
        "Kiss at the door.jpg",
    ]
    # Starting again after leaving is a third selection, not the first one back.
    first.post(share_url(link, "share-selection-leave"))
    assert "Start choosing" in first.get(share_url(link)).content.decode()
    choosing_again = first.post(share_url(link, "share-selection-start"), {"name": "Anna"})
    assert choosing_again.status_code == 302
    assert Selection.objects.count() == 3 and pressed(first, link) == []


def test_the_start_form_sent_twice_starts_one_selection(link):
    client = choosing(link)
    client.post(share_url(link, "share-selection-start"), {"name": "Anna"})
    assert Selection.objects.count() == 1


def personal_link_on(page: str) -> str:
    found = re.search(r'id="selection-personal-link" type="url" value="([^"]+)"', page)
    return found[1] if found else ""


def test_the_personal_link_is_shown_once_and_claims_the_selection_in_another_browser(
    link, pictures
):
    phone = choosing(link)
    phone.post(favourite_url(link, pictures[0]))
    first_page = phone.get(share_url(link)).content.decode()
    url = personal_link_on(first_page)
    selection = Selection.objects.get()
    key = url.rstrip("/").rsplit("/", 1)[-1]
    assert url == "http://testserver" + share_url(link, "share-selection-claim", key=key)
    assert selection.key_hash == key_hash(key) and key not in str(dict(phone.session))
    assert personal_link_on(phone.get(share_url(link)).content.decode()) == ""  # Only once.

    laptop = Client()
    assert pressed(laptop, link) == []
    response = laptop.get(url.removeprefix("http://testserver"))
    assert response.status_code == 302
    assert response.url == f"{link.get_absolute_url()}#selection"
    assert laptop.session[f"share-link-{link.pk}-selection"] == selection.pk
    page = laptop.get(response.url).content.decode()
    assert "Welcome back, Anna" in page and "Choosing as <strong>Anna</strong>" in page
    laptop.post(favourite_url(link, pictures[1]))
    assert chosen(Selection.objects.get()) == ["DSC_0001.jpg", "DSC_0002.NEF.jpg"]
    assert pressed(phone, link) == [str(pictures[0].pk), str(pictures[1].pk)]


@pytest.mark.parametrize("key", ["not-a-key-at-all-xxxxxx", "x" * 500, "another-links"])
def test_a_personal_link_with_a_wrong_key_opens_nothing(link, project, key):
    if key == "another-links":
        other_link = ShareLink.objects.create(project=project, label="B", allows_favourites=True)
        _, key = Selection.objects.start(other_link, "Ben")
    Selection.objects.start(link, "Anna")
    client = Client()
    response = client.get(share_url(link, "share-selection-claim", key=key))
    assert response.status_code == 404
    assert f"share-link-{link.pk}-selection" not in client.session


def test_a_personal_link_goes_through_the_links_password_and_favourites(link, pictures):
    _, key = Selection.objects.start(link, "Anna")
    link.set_password("a secret")
    link.save()
    claim = share_url(link, "share-selection-claim", key=key)
    client = Client()
    assert client.get(claim).status_code == 200  # The password form.
    response = client.post(claim, {"password": "a secret"})
    assert response.status_code == 302 and response.url == claim
    assert client.get(claim).status_code == 302
    assert "Choosing as <strong>Anna</strong>" in client.get(share_url(link)).content.decode()
    ShareLink.objects.filter(pk=link.pk).update(allows_favourites=False)
    assert Client().get(claim).status_code == 200  # A new browser: the password first...
    assert client.get(claim).status_code == 404  # ...and no favourites here any more.


def test_the_personal_link_is_emailed_when_the_client_gives_an_address(link, mailoutbox):
    client = Client()
    response = client.post(
        share_url(link, "share-selection-start"),
        {"name": "Anna", "email": "anna@example.com"},
        follow=True,
    )
    page = response.content.decode()
    assert "Your personal link is on its way to anna@example.com" in page
    (mail,) = mailoutbox
    assert mail.to == ["anna@example.com"]
    assert mail.subject == "Your selection of “Wedding”"
    url = personal_link_on(page)
    assert url and url in mail.body
    assert Selection.objects.get().key_hash == key_hash(url.rstrip("/").rsplit("/", 1)[-1])


def test_a_bad_address_is_refused_and_a_mail_server_down_still_shows_the_link(
    link, mailoutbox, monkeypatch, caplog
):
    start = share_url(link, "share-selection-start")
    response = Client().post(start, {"name": "Anna", "email": "anna@"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert not Selection.objects.exists()

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("portfolio.models.proofing.send_mail", refuse)
    response = Client().post(start, {"name": "Anna", "email": "anna@example.com"}, follow=True)
    page = response.content.decode()
    assert "We could not e-mail your personal link" in page
    assert personal_link_on(page)
    assert "no mail server" in caplog.text and mailoutbox == []


def test_htmx_gets_the_heart_back_and_the_count_out_of_band(link, pictures):
    link.favourite_limit = 30
    link.save()
    client = choosing(link)
    response = client.post(favourite_url(link, pictures[0]), headers=HTMX)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert f'id="favourite-{pictures[0].pk}"' in fragment
    assert 'aria-pressed="true"' in fragment
    assert 'id="favourite-count"' in fragment and 'data-hx-swap-oob="innerHTML"' in fragment
    assert "1 of 30 chosen" in fragment
    assert "<html" not in fragment
    assert response["Referrer-Policy"] == "same-origin"


def test_a_refusal_is_told_to_htmx_as_an_event_and_without_javascript_as_a_message(link, pictures):
    link.favourite_limit = 1
    link.save()
    client = choosing(link)
    client.post(favourite_url(link, pictures[0]))

    response = client.post(favourite_url(link, pictures[1]), headers=HTMX)
    assert response.status_code == 409
    trigger = json.loads(response["HX-Trigger"])
    assert "the most these pictures allow" in trigger["request-refused"]["message"]

    # Without JavaScript: the page again, saying why, as a 409 (never taken for a success).
    response = client.post(favourite_url(link, pictures[1]), {"favourites": "1"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "You have chosen 1, the most these pictures allow" in page
    assert "1 of 1 chosen: the most these pictures allow" in re.sub(r"<[^>]+>", "", page)
    assert f'id="picture-{pictures[1].pk}"' not in page  # Still only the favourites.
    assert response["Referrer-Policy"] == "same-origin"
    assert chosen(Selection.objects.get()) == ["DSC_0001.jpg"]


def test_only_favourites_shows_only_them_without_javascript(link, pictures):
    client = choosing(link)
    client.post(favourite_url(link, pictures[2]))
    page = client.get(share_url(link), {"favourites": "1"}).content.decode()
    assert f'id="picture-{pictures[2].pk}"' in page
    assert f'id="picture-{pictures[0].pk}"' not in page
    # A heart pressed there comes back to the same filter.
    assert 'name="favourites" value="1"' in page
    response = client.post(favourite_url(link, pictures[2]), {"favourites": "1"})
    assert response.url == f"{link.get_absolute_url()}?favourites=1#picture-{pictures[2].pk}"
    assert (
        "No favourites yet." in client.get(share_url(link), {"favourites": "1"}).content.decode()
    )


def test_sending_with_a_name_and_a_note_then_reopening(
    owner, link, pictures, mailoutbox, django_capture_on_commit_callbacks
):
    owner.email = "studio@example.com"
    owner.save()
    client = choosing(link, "Ana")
    client.post(favourite_url(link, pictures[0]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            share_url(link, "share-selection-send"),
            {"name": "Anna", "note": "The album"},
            follow=True,
        )
    page = response.content.decode()
    assert "Sent: 1 picture. Thank you!" in page
    assert "Reopen to change it" in page
    assert " disabled" in page  # The hearts show the choice but no longer change it.
    selection = Selection.objects.get()
    assert (selection.name, selection.note, selection.is_sent) == ("Anna", "The album", True)
    assert len(mailoutbox) == 1

    page = client.post(share_url(link, "share-selection-reopen"), follow=True).content.decode()
    assert "Send my selection" in page
    assert not Selection.objects.get().is_sent


def test_sending_under_a_name_someone_else_uses_is_fine(link, pictures):
    ben = Selection.objects.create(link=link, name="Ben")
    client = choosing(link, "Anna")
    client.post(favourite_url(link, pictures[0]))
    response = client.post(share_url(link, "share-selection-send"), {"name": "ben"})
    assert response.status_code == 302
    assert Selection.objects.exclude(pk=ben.pk).get().name == "ben"
    assert not Selection.objects.get(pk=ben.pk).is_sent


def test_sending_does_not_undo_a_lock_the_owner_made_meanwhile(link, pictures, monkeypatch):
    from portfolio.views import sharing

    client = choosing(link)
    client.post(favourite_url(link, pictures[0]))
    # The client's request read the selection; the owner locks it before the request writes.
    read_before = Selection.objects.get()
    Selection.objects.get().lock()
    monkeypatch.setattr(sharing, "current_selection", lambda request, link: read_before)
    response = client.post(share_url(link, "share-selection-send"), {"name": "Ann", "note": "Hi"})
    assert response.status_code == 409
    selection = Selection.objects.get()
    assert (selection.is_locked, selection.is_sent) == (True, False)
    assert (selection.name, selection.note) == ("Anna", "")


def test_sending_twice_without_reopening_is_refused(link, pictures):
    client = choosing(link)
    client.post(favourite_url(link, pictures[0]))
    send = share_url(link, "share-selection-send")
    assert client.post(send, {"name": "Anna"}).status_code == 302
    response = client.post(send, {"name": "Anna", "note": "changed"})
    assert response.status_code == 409
    assert "reopen it to change it" in response.content.decode()
    assert Selection.objects.get().note == ""


# ---------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("A" * 81, "at most 80 characters"),
        ("   ", "This field is required."),
        ("Anna\r\nBcc: everyone@example.com", "Type your name on one line."),
        ("Anna\x00", "Null characters are not allowed."),
    ],
    ids=["too long", "blank", "line break", "null character"],
)
def test_a_name_that_is_not_one_is_refused(link, name, error):
    start = share_url(link, "share-selection-start")
    response = Client().post(start, {"name": name})
    assert response.status_code == 400
    assert error in response.content.decode()
    response = Client().post(start, {"name": name}, headers=HTMX)
    assert response.status_code == 400
    assert error in json.loads(response["HX-Trigger"])["request-refused"]["message"]
    # Nor when sending, under a name that was fine.
    client = choosing(link, "Anna")
    client.post(favourite_url(link, link.project.pictures.first()))
    response = client.post(share_url(link, "share-selection-send"), {"name": name})
    assert response.status_code == 400
    assert Selection.objects.get().name == "Anna"
    assert not Selection.objects.get().is_sent


def test_a_note_of_more_than_2000_characters_is_refused(link, pictures):
    client = choosing(link)
    client.post(favourite_url(link, pictures[0]))
    send = share_url(link, "share-selection-send")
    response = client.post(send, {"name": "Anna", "note": "x" * 2001})
    assert response.status_code == 400
    assert "at most 2000 characters" in response.content.decode()
    assert not Selection.objects.get().is_sent
    assert client.post(send, {"name": "Anna", "note": "x" * 2000}).status_code == 302


@pytest.mark.parametrize("picture_id", ["elsewhere", "missing", "huge"])
def test_a_picture_not_of_the_link_is_404(link, pictures, picture_id):
    client = choosing(link)
    ids = {
        "elsewhere": make_picture(make_project(), renditions=False).pk,
        "missing": 987654,
        "huge": 10**30,
    }
    for headers in [{}, HTMX]:
        response = client.post(favourite_url(link, ids[picture_id]), headers=headers)
        assert response.status_code == 404
    assert not Favourite.objects.exists()


def test_a_heart_before_any_name_is_refused(link, pictures):
    response = Client().post(favourite_url(link, pictures[0]), headers=HTMX)
    assert response.status_code == 409
    assert (
        "Type your name first" in json.loads(response["HX-Trigger"])["request-refused"]["message"]
    )
    assert Client().post(favourite_url(link, pictures[0])).status_code == 409
    assert not Favourite.objects.exists()


def test_a_mail_server_down_is_logged_and_the_selection_still_sent(
    owner, link, pictures, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    owner.email = "studio@example.com"
    owner.save()

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("portfolio.models.proofing.send_mail", refuse)
    client = choosing(link)
    client.post(favourite_url(link, pictures[0]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(share_url(link, "share-selection-send"), {"name": "Anna"})
    assert response.status_code == 302
    assert Selection.objects.get().is_sent
    assert "no mail server" in caplog.text


def test_a_heart_after_the_password_lapsed_asks_for_it_then_returns_to_the_page(link, pictures):
    # The session that proved the password is gone (two weeks later, another browser): the
    # heart's post gets the password form, which leads back to the page, not to the heart's
    # address (which takes posts only).
    link.set_password("a secret")
    link.save()
    client = Client()
    response = client.post(favourite_url(link, pictures[0]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "These pictures are protected" in html and "This field is required" not in html
    response = client.post(favourite_url(link, pictures[0]), {"password": "a secret"})
    assert response.status_code == 302 and response.url == link.get_absolute_url()
    assert client.get(response.url).status_code == 200
    # htmx, which swaps no 4xx, is told why.
    response = Client().post(favourite_url(link, pictures[0]), headers=HTMX)
    assert response.status_code == 400
    message = json.loads(response["HX-Trigger"])["request-refused"]["message"]
    assert "password" in message
    assert not Favourite.objects.exists()


def test_share_posts_need_the_csrf_token(link, pictures):
    client = Client(enforce_csrf_checks=True)
    page = client.get(share_url(link))
    token = page.cookies["csrftoken"].value
    start = share_url(link, "share-selection-start")
    assert client.post(start, {"name": "Anna"}).status_code == 403
    response = client.post(start, {"name": "Anna"}, headers={"X-CSRFToken": token})
    assert response.status_code == 302
    toggle = favourite_url(link, pictures[0])
    assert client.post(toggle, headers=HTMX).status_code == 403
    assert client.post(toggle, headers={**HTMX, "X-CSRFToken": token}).status_code == 200


# ---------------------------------------------------------------- the owner's side


def test_the_edit_page_lists_each_links_selections_with_their_names(
    owner_client, project, link, selection, pictures
):
    selection.toggle(pictures[0])
    selection.toggle(pictures[2])
    selection.send("Album")
    Selection.objects.create(link=link, name="Ben")
    page = owner_client.get(reverse("portfolio:project-update", args=[project.slug]))
    html = page.content.decode()
    assert "Anna" in html and "Ben" in html
    assert "2 pictures" in html and "0 pictures" in html
    assert "Album" in html
    assert "DSC_0001.jpg\nKiss at the door.jpg</textarea>" in html
    assert "DSC_0001, Kiss at the door</textarea>" in html
    assert 'data-copy="selection-' in html
    assert reverse("portfolio:selection-csv", args=[project.slug, selection.pk]) in html


def test_the_owner_tells_apart_two_selections_of_one_name(owner_client, project, link, pictures):
    first, _ = Selection.objects.start(link, "Anna")
    second, _ = Selection.objects.start(link, "anna")
    Selection.objects.start(link, "Ben")
    first.toggle(pictures[0])
    second.toggle(pictures[2])
    html = owner_client.get(reverse("portfolio:project-update", args=[project.slug])).content
    html = html.decode()
    assert f'id="selection-{first.pk}-name">Anna (1)</h3>' in html
    assert f'id="selection-{second.pk}-name">anna (2)</h3>' in html
    assert ">Ben</h3>" in html
    lock = reverse("portfolio:selection-lock", args=[project.slug, second.pk])
    assert owner_client.post(lock, {"lock": "1"}).status_code == 302
    assert [
        s.is_locked
        for s in (Selection.objects.get(pk=first.pk), Selection.objects.get(pk=second.pk))
    ] == [False, True]
    csv_of = reverse("portfolio:selection-csv", args=[project.slug, second.pk])
    response = owner_client.get(csv_of)
    assert "Kiss at the door.jpg" in response.content.decode()
    assert response["Content-Disposition"] == f'attachment; filename="{project.slug}-anna (2).csv"'


def test_a_revoked_links_selections_stay_for_the_owner(owner_client, project, link, selection):
    selection.toggle(project.pictures.first())
    link.revoke()
    html = owner_client.get(reverse("portfolio:project-update", args=[project.slug])).content
    assert b"frozen: the link no longer works" in html
    assert b"DSC_0001.jpg</textarea>" in html


def test_lock_and_unlock_answer_htmx_with_the_panel(owner_client, project, selection):
    url = reverse("portfolio:selection-lock", args=[project.slug, selection.pk])
    response = owner_client.post(url, {"lock": "1"}, headers=HTMX)
    assert response.status_code == 200
    assert b'id="sharing"' in response.content and b"<html" not in response.content
    assert Selection.objects.get().is_locked
    response = owner_client.post(url, {"lock": "0"})
    assert response.status_code == 302
    assert not Selection.objects.get().is_locked


def test_the_csv_download(owner_client, project, selection, pictures):
    selection.toggle(pictures[1])
    url = reverse("portfolio:selection-csv", args=[project.slug, selection.pk])
    response = owner_client.get(url)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{project.slug}-Anna.csv"'
    row = response.content.decode().splitlines()[1]
    assert row == '"DSC_0002.NEF.jpg","DSC_0002.NEF","","Anna"'


def test_the_csv_is_kept_by_no_cache_and_named_after_the_whole_name(
    owner_client, project, selection, pictures
):
    # Clients' names and notes: no shared cache keeps them.
    selection.toggle(pictures[0])
    Selection.objects.filter(pk=selection.pk).update(name="J. Anna Doe")
    response = owner_client.get(
        reverse("portfolio:selection-csv", args=[project.slug, selection.pk])
    )
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    # A name is no file name: "J. Anna Doe" has no extension to drop.
    assert response["Content-Disposition"] == (
        f'attachment; filename="{project.slug}-J. Anna Doe.csv"'
    )


def test_the_new_link_form_takes_favourites_and_a_limit(owner_client, project):
    url = reverse("portfolio:share-link-create", args=[project.slug])
    data = {"label": "for Anna", "downloads": "none", "favourite_limit": "30"}
    response = owner_client.post(url, data, headers=HTMX)
    assert response.status_code == 400
    assert b"A limit is for a link that takes favourites." in response.content
    response = owner_client.post(url, {**data, "allows_favourites": "on"})
    assert response.status_code == 302
    link = ShareLink.objects.get()
    assert (link.allows_favourites, link.favourite_limit) == (True, 30)


def test_an_owner_reaches_no_selection_of_another_project_through_their_own(
    owner_client, project, selection, pictures
):
    selection.toggle(pictures[0])
    theirs = make_project(make_user(), title="Someone else's")
    stranger = signed_in(theirs.owner)
    for name, method in [("selection-csv", "get"), ("selection-lock", "post")]:
        url = reverse(f"portfolio:{name}", kwargs={"slug": theirs.slug, "pk": selection.pk})
        assert getattr(stranger, method)(url).status_code == 404
    assert not Selection.objects.get().is_locked


def test_staff_see_and_lock_selections_in_the_admin(staff_client, link, selection, pictures):
    selection.toggle(pictures[0])
    for url in [
        "/admin/portfolio/selection/",
        "/admin/portfolio/selection/?q=Anna",
        f"/admin/portfolio/selection/{selection.pk}/change/",
        f"/admin/portfolio/sharelink/{link.pk}/change/",
    ]:
        assert staff_client.get(url).status_code == 200, url
    page = staff_client.get(f"/admin/portfolio/selection/{selection.pk}/change/").content
    assert b"DSC_0001.jpg" in page
    data = {"action": "lock", "_selected_action": [selection.pk]}
    assert staff_client.post("/admin/portfolio/selection/", data).status_code == 302
    assert Selection.objects.get().is_locked


def test_a_selection_in_the_admin_costs_the_same_queries_for_many_favourites(
    staff_client, project, selection, pictures
):
    url = f"/admin/portfolio/selection/{selection.pk}/change/"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(url).status_code == 200
        return len(captured)

    selection.toggle(pictures[0])
    queries()  # Django's caches (content types) filled, whichever test ran before.
    one = queries()
    for picture in pictures[1:]:
        selection.toggle(picture)
    assert queries() == one


@pytest.mark.django_db(transaction=True)
def test_the_email_waits_for_the_worker_and_not_for_a_selection_reopened_meanwhile(
    owner, project, pictures, mailoutbox, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    owner.email = "studio@example.com"
    owner.save()
    link = ShareLink.objects.create(project=project, label="for Anna", allows_favourites=True)
    client = choosing(link)
    client.post(favourite_url(link, pictures[0]))
    send = share_url(link, "share-selection-send")
    assert client.post(send, {"name": "Anna", "note": "First go"}).status_code == 302
    assert mailoutbox == []  # Queued: the client's request sent nothing.
    assert DBTaskResult.objects.get().task_path == "portfolio.tasks.notify_owner_of_selection"

    call_command("db_worker", "--batch", "--no-startup-delay", "--verbosity", "0")
    (mail,) = mailoutbox
    assert "First go" in mail.body

    # Sent again, then reopened before the worker ran: nothing to tell.
    client.post(share_url(link, "share-selection-reopen"))
    client.post(send, {"name": "Anna"})
    client.post(share_url(link, "share-selection-reopen"))
    call_command("db_worker", "--batch", "--no-startup-delay", "--verbosity", "0")
    assert len(mailoutbox) == 1


def test_the_edit_page_costs_the_same_queries_for_many_selections(
    owner_client, project, link, pictures
):
    url = reverse("portfolio:project-update", args=[project.slug])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(url).status_code == 200
        return len(captured)

    Selection.objects.create(link=link, name="Anna").toggle(pictures[0])
    one = queries()
    for name in ["Ben", "Chloé", "Dev"]:
        selection = Selection.objects.create(link=link, name=name)
        for picture in pictures:
            selection.toggle(picture)
    other_link = ShareLink.objects.create(project=project, label="for Eve", allows_favourites=True)
    Selection.objects.create(link=other_link, name="Eve").toggle(pictures[1])
    assert queries() == one


def test_the_owner_turns_a_links_favourites_on_and_off_after_making_it(
    owner_client, project, pictures
):
    link = ShareLink.objects.create(project=project, label="for Anna")
    url = reverse("portfolio:share-link-favourites", args=[project.slug, link.pk])
    edit_page = owner_client.get(reverse("portfolio:project-update", args=[project.slug]))
    assert f'id="id_link_{link.pk}_allows_favourites"' in edit_page.content.decode()

    response = owner_client.post(url, {"favourite_limit": "5"}, headers=HTMX)
    assert response.status_code == 400
    assert b"A limit is for a link that takes favourites." in response.content
    assert b'id="sharing"' in response.content and b"<html" not in response.content
    assert (
        owner_client.post(url, {"allows_favourites": "on", "favourite_limit": "0"}).status_code
        == 400
    )

    response = owner_client.post(url, {"allows_favourites": "on", "favourite_limit": "5"})
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.allows_favourites, link.favourite_limit) == (True, 5)
    Selection.objects.create(link=link, name="Anna").toggle(pictures[0])

    # Off again: its selection is frozen for the client and kept for the owner.
    assert owner_client.post(url, {}, headers=HTMX).status_code == 200
    link.refresh_from_db()
    assert not link.allows_favourites
    with pytest.raises(SelectionRefused, match="no longer take favourites"):
        Selection.objects.get().toggle(pictures[1])
    html = owner_client.get(reverse("portfolio:project-update", args=[project.slug])).content
    assert b"Favourites no longer taken" in html and b"DSC_0001.jpg</textarea>" in html


def test_turning_favourites_on_keeps_a_revocation_and_visits_made_meanwhile(
    owner_client, project, monkeypatch
):
    link = ShareLink.objects.create(project=project, label="for Anna")
    clean = ShareLink.clean

    def meanwhile(self) -> None:  # Between the request's read of the link and its write.
        clean(self)
        ShareLink.objects.get(pk=self.pk).record_use()
        ShareLink.objects.get(pk=self.pk).revoke()

    monkeypatch.setattr(ShareLink, "clean", meanwhile)
    url = reverse("portfolio:share-link-favourites", args=[project.slug, link.pk])
    assert owner_client.post(url, {"allows_favourites": "on"}).status_code == 302
    link.refresh_from_db()
    assert (link.allows_favourites, link.is_revoked, link.use_count) == (True, True, 1)


def test_only_the_projects_editors_change_a_links_favourites(project, link):
    url = reverse("portfolio:share-link-favourites", args=[project.slug, link.pk])
    response = Client().post(url, {})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert signed_in(make_user()).post(url, {}).status_code == 404
    theirs = make_project(make_user())
    other_url = reverse("portfolio:share-link-favourites", args=[theirs.slug, link.pk])
    assert signed_in(theirs.owner).post(other_url, {}).status_code == 404
    link.refresh_from_db()
    assert link.allows_favourites
