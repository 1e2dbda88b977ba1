"""
Share links (models/sharing.py, views/sharing.py, views/share_links.py): their tokens, their
passwords and the throttling of wrong ones, and the owner's panel that makes and revokes them.
"""

import base64
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portfolio.models import PasswordTries, ShareLink
from portfolio.models.sharing import KEY_LENGTH
from tests.helpers import HTMX, make_picture, make_project, make_staff, make_user, signed_in

pytestmark = pytest.mark.django_db

PASSWORD = "dunes-for-anna"
LIMIT = 5  # settings.PORTFOLIO_SHARE_PASSWORD_TRIES


@pytest.fixture
def project(owner):
    project = make_project(owner, visibility="unlisted")
    make_picture(project)
    return project


def make_link(project, password: str = "", **fields) -> ShareLink:
    link = ShareLink(project=project, label="for Anna", **fields)
    link.set_password(password)
    link.save()
    return link


def opens(token: str) -> bool:
    return ShareLink.from_token(token) is not None


# ---------------------------------------------------------------- tokens


def test_a_token_is_a_random_key_of_128_bits_and_a_mac_of_it(project):
    links = [make_link(project) for _ in range(3)]

    for link in links:
        key, mac = link.token[:KEY_LENGTH], link.token[KEY_LENGTH:]
        assert key == link.key
        assert len(base64.urlsafe_b64decode(key + "==")) * 8 >= 128
        assert len(bytes.fromhex(mac)) * 8 >= 128
        assert ShareLink.from_token(link.token) == link
    assert len({link.key for link in links}) == len(links)


def test_a_token_with_a_wrong_or_another_links_mac_opens_nothing(project):
    link, other = make_link(project), make_link(project)
    mac = link.token[KEY_LENGTH:]

    assert not opens(link.key + "0" * len(mac))
    assert not opens(link.key + other.token[KEY_LENGTH:])
    assert not opens(link.token[:-1])  # A MAC cut short.
    assert not opens(link.token + "0")
    assert not opens(link.key)  # What the database holds is not a working link.
    assert not opens("")
    assert Client().get(f"/s/{link.key}/").status_code == 404
    assert Client().get(f"/s/{link.key}{other.token[KEY_LENGTH:]}/").status_code == 404


def test_a_mac_right_but_for_its_last_character_opens_nothing(project):
    link = make_link(project)
    token = link.token
    near_miss = token[:-1] + ("0" if token[-1] != "0" else "1")

    assert opens(token)
    assert not opens(near_miss)
    assert Client().get(f"/s/{near_miss}/").status_code == 404


def test_a_new_secret_key_voids_every_token_unless_the_old_one_is_a_fallback(project, settings):
    link = make_link(project)
    token = link.token
    old = settings.SECRET_KEY

    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert not opens(token)
    assert Client().get(f"/s/{token}/").status_code == 404

    settings.SECRET_KEY_FALLBACKS = [old]
    assert opens(token)
    assert Client().get(f"/s/{token}/").status_code == 200
    assert link.token != token  # Handed out again, under the new key.
    assert opens(link.token)


# ---------------------------------------------------------------- passwords


def test_a_links_password_is_hashed_as_django_hashes_users_passwords(project, settings):
    link = make_link(project, PASSWORD)

    assert PASSWORD not in link.password
    hasher = identify_hasher(link.password)
    assert f"{hasher.__module__}.{type(hasher).__name__}" == settings.PASSWORD_HASHERS[0]
    assert link.check_password(PASSWORD)
    assert not link.check_password("dunes-for-bob")
    assert not make_link(project).check_password("")  # No password: nothing to check.


def password_asked(response) -> bool:
    names = {template.name for template in response.templates}
    return response.status_code == 200 and "portfolio/share_password.html" in names


def give(client: Client, link: ShareLink, password: str):
    return client.post(link.get_absolute_url(), {"password": password})


def test_the_right_password_opens_the_link_for_that_browser_until_it_changes(project):
    link = make_link(project, PASSWORD)
    client = Client()

    assert password_asked(client.get(link.get_absolute_url()))
    assert give(client, link, "wrong").status_code == 400
    answer = give(client, link, PASSWORD)
    assert answer.status_code == 302
    assert client.get(link.get_absolute_url()).status_code == 200
    assert password_asked(Client().get(link.get_absolute_url()))  # Another browser.

    link.set_password("a-new-one")
    link.save()
    assert password_asked(client.get(link.get_absolute_url()))


def test_five_wrong_passwords_from_one_address_pause_the_link_there(project):
    link = make_link(project, PASSWORD)
    client = Client(REMOTE_ADDR="203.0.113.7")

    answers = [give(client, link, f"wrong-{n}").status_code for n in range(LIMIT)]

    assert answers == [400] * (LIMIT - 1) + [429]
    locked = give(client, link, PASSWORD)
    assert locked.status_code == 429  # Even the right one waits now.
    assert "noindex" in locked["X-Robots-Tag"]
    assert "Too many wrong passwords" in locked.content.decode()
    assert "share-link:" not in locked.content.decode()  # Nothing of the sign-in page.
    assert 899 <= int(locked["Retry-After"]) <= 900
    assert "Try again in 15 minutes" in locked.content.decode()
    # Ten minutes later, five are left to wait.
    PasswordTries.objects.update(last_try=timezone.now() - timedelta(minutes=10))
    waiting = client.get(link.get_absolute_url())
    assert waiting.status_code == 429 and 299 <= int(waiting["Retry-After"]) <= 300
    assert "Try again in 5 minutes" in waiting.content.decode()
    assert client.get(link.get_absolute_url()).status_code == 429
    # Per link and address: another address, or another link, is not paused.
    assert give(Client(REMOTE_ADDR="198.51.100.9"), link, PASSWORD).status_code == 302
    other = make_link(project, PASSWORD)
    assert give(client, other, PASSWORD).status_code == 302

    # After the cool-off (15 minutes), the right password opens it.
    PasswordTries.objects.update(last_try=timezone.now() - timedelta(minutes=15, seconds=1))
    assert give(client, link, PASSWORD).status_code == 302
    assert client.get(link.get_absolute_url()).status_code == 200


def test_a_stranger_changing_address_within_its_ipv6_64_is_paused_all_the_same(project):
    link = make_link(project, PASSWORD)
    guesses = [
        give(Client(REMOTE_ADDR=f"2001:db8:0:1::{n + 1:x}"), link, f"wrong-{n}").status_code
        for n in range(LIMIT)
    ]

    assert guesses == [400] * (LIMIT - 1) + [429]
    assert give(Client(REMOTE_ADDR="2001:db8:0:1:ffff::9"), link, PASSWORD).status_code == 429
    # A client in another /64 is another client.
    assert give(Client(REMOTE_ADDR="2001:db8:0:2::1"), link, PASSWORD).status_code == 302


def test_counts_past_their_cool_off_are_forgotten_at_the_links_next_try(project):
    link = make_link(project, PASSWORD)
    for n in range(LIMIT):
        give(Client(REMOTE_ADDR="203.0.113.7"), link, f"wrong-{n}")
    PasswordTries.objects.update(last_try=timezone.now() - timedelta(minutes=15, seconds=1))

    give(Client(REMOTE_ADDR="198.51.100.9"), link, "wrong-again")

    # The table holds what the rule still needs, not every address that ever guessed.
    assert list(PasswordTries.objects.values_list("address", "count")) == [("198.51.100.9", 1)]


@pytest.mark.django_db(transaction=True)
def test_wrong_passwords_sent_at_once_are_counted_exactly_and_checked_at_most_the_limit(
    project, monkeypatch
):
    link = make_link(project, PASSWORD)
    checked, checking, one_too_many = [], threading.Lock(), threading.Event()
    check_password = ShareLink.check_password

    def slow_check(self, raw_password: str) -> bool:
        with checking:
            checked.append(raw_password)
            if len(checked) > LIMIT:
                one_too_many.set()
        # As a real hasher takes a while, only longer: every try that gets this far while
        # the first ones are checked does (at most 2 s, if none more can).
        one_too_many.wait(timeout=2)
        return check_password(self, raw_password)

    monkeypatch.setattr(ShareLink, "check_password", slow_check)
    tries = 24
    start = threading.Barrier(tries)

    def guess(number: int) -> int:
        client = Client(REMOTE_ADDR="203.0.113.7")
        start.wait(timeout=10)
        try:
            return give(client, link, f"wrong-{number}").status_code
        finally:
            connection.close()  # Each thread's own connection to the test database.

    with ThreadPoolExecutor(max_workers=tries) as pool:
        answers = list(pool.map(guess, range(tries)))

    assert set(answers) <= {400, 429}
    assert len(checked) == LIMIT  # Only as many passwords tried as the limit allows.
    assert PasswordTries.objects.get(link=link, address="203.0.113.7").count == LIMIT
    assert give(Client(REMOTE_ADDR="203.0.113.7"), link, PASSWORD).status_code == 429


NGINX = "127.0.0.1"  # What the app sees behind nginx: the connection is nginx's own.


def behind_nginx(client_address: str, forged: str = "") -> Client:
    """A browser at `client_address`, as the app sees it through nginx's sample config."""
    # $proxy_add_x_forwarded_for: what the client sent, then the address nginx saw.
    forwarded = f"{forged}, {client_address}" if forged else client_address
    return Client(REMOTE_ADDR=NGINX, headers={"X-Forwarded-For": forwarded})


@pytest.mark.parametrize("rotating", [False, True], ids=["one-address", "rotating-forwarded-for"])
def test_a_strangers_50_wrong_passwords_never_refuse_the_clients(
    project, protected_link, settings, rotating
):
    settings.PORTFOLIO_TRUSTED_PROXIES = 1
    link = protected_link
    # Anna gave the password before; Ben, elsewhere, has not yet.
    anna = behind_nginx("198.51.100.20")
    assert give(anna, link, PASSWORD).status_code == 302
    ben = behind_nginx("192.0.2.44")
    stranger_answers = []
    for number in range(50):
        forged = f"10.{number}.0.1, 172.16.{number}.9" if rotating else ""
        stranger = behind_nginx("203.0.113.66", forged=forged)
        stranger_answers.append(give(stranger, link, f"guess-{number}").status_code)
        # Meanwhile both clients browse, and neither is ever refused.
        assert anna.get(link.get_absolute_url()).status_code == 200
        assert password_asked(ben.get(link.get_absolute_url()))
    assert stranger_answers == [400] * (LIMIT - 1) + [429] * (50 - LIMIT + 1)
    # Every guess counted against the stranger's own address, whatever it forged.
    assert list(PasswordTries.objects.values_list("address", "count")) == [("203.0.113.66", LIMIT)]
    assert give(ben, link, PASSWORD).status_code == 302
    assert ben.get(link.get_absolute_url()).status_code == 200
    assert anna.get(link.get_absolute_url()).status_code == 200


def test_without_a_trusted_proxy_a_forged_forwarded_for_changes_nothing(project, settings):
    settings.PORTFOLIO_TRUSTED_PROXIES = 0
    link = make_link(project, PASSWORD)
    for number in range(LIMIT):
        forged = Client(
            REMOTE_ADDR="203.0.113.66", headers={"X-Forwarded-For": f"10.0.0.{number}"}
        )
        give(forged, link, "wrong")
    fresh = Client(REMOTE_ADDR="203.0.113.66", headers={"X-Forwarded-For": "10.9.9.9"})
    assert give(fresh, link, PASSWORD).status_code == 429
    assert give(Client(REMOTE_ADDR="198.51.100.20"), link, PASSWORD).status_code == 302


def test_a_holder_whose_session_proves_the_password_is_never_asked_again(project):
    # Even from the very address that used up its tries: the lock is on guessing, not on them.
    link = make_link(project, PASSWORD)
    holder = Client(REMOTE_ADDR="203.0.113.7")
    assert give(holder, link, PASSWORD).status_code == 302
    stranger = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT):
        give(stranger, link, "wrong")
    assert give(stranger, link, PASSWORD).status_code == 429
    assert holder.get(link.get_absolute_url()).status_code == 200


@pytest.fixture
def protected_link(project):
    return make_link(project, PASSWORD)


# ---------------------------------------------------------------- the owner's panel


def create_url(project) -> str:
    return reverse("portfolio:share-link-create", kwargs={"slug": project.slug})


def revoke_url(link) -> str:
    return reverse(
        "portfolio:share-link-revoke", kwargs={"slug": link.project.slug, "pk": link.pk}
    )


def new_link(**fields) -> dict:
    return {"label": "for Anna", "password": "", "expires_at": "", "downloads": "web", **fields}


def test_a_plain_post_makes_a_link_and_comes_back_to_the_edit_page(project, owner_client):
    expires = timezone.localtime() + timedelta(days=7)
    answer = owner_client.post(
        create_url(project),
        new_link(password=PASSWORD, expires_at=expires.strftime("%Y-%m-%dT%H:%M")),
    )

    edit = reverse("portfolio:project-update", kwargs={"slug": project.slug})
    assert answer.status_code == 302
    assert answer["Location"] == f"{edit}#sharing"
    link = project.share_links.get()
    assert (link.label, link.downloads, link.has_password) == ("for Anna", "web", True)
    assert link.check_password(PASSWORD)
    assert link.expires_at is not None
    page = owner_client.get(edit).content.decode()
    assert "for Anna" in page
    assert link.get_absolute_url() in page
    assert "Link “for Anna” made" in page


def test_htmx_makes_a_link_and_gets_the_panel_back(project, owner_client):
    make_link(project)
    answer = owner_client.post(create_url(project), new_link(label="for Bob"), headers=HTMX)

    assert answer.status_code == 200
    html = answer.content.decode()
    assert html.lstrip().startswith('<section id="sharing"')
    assert "<html" not in html
    links = list(project.share_links.all())
    assert len(links) == 2
    for link in links:
        assert link.get_absolute_url() in html


def test_a_link_that_would_expire_in_the_past_is_refused(project, owner_client):
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    answer = owner_client.post(create_url(project), new_link(expires_at=past), headers=HTMX)

    assert answer.status_code == 400
    assert "Choose a time in the future." in answer.content.decode()
    assert not project.share_links.exists()


def test_revoking_a_link_by_htmx_or_plain_post(project, owner_client):
    first, second = make_link(project), make_link(project)

    answer = owner_client.post(revoke_url(first), headers=HTMX)
    assert answer.status_code == 200
    assert "revoked" in answer.content.decode()
    assert owner_client.post(revoke_url(second)).status_code == 302

    for link in (first, second):
        link.refresh_from_db()
        assert link.is_revoked
        assert Client().get(link.get_absolute_url()).status_code == 404


def test_staff_may_manage_any_projects_links(project):
    staff = signed_in(make_staff())

    assert staff.post(create_url(project), new_link()).status_code == 302
    assert staff.post(revoke_url(project.share_links.get())).status_code == 302


def test_another_owner_gets_404_for_every_part_of_the_panel(project):
    link = make_link(project)
    other = signed_in(make_user())

    assert other.get(create_url(project)).status_code == 404
    assert other.post(create_url(project), new_link()).status_code == 404
    assert other.post(revoke_url(link), headers=HTMX).status_code == 404
    link.refresh_from_db()
    assert not link.is_revoked
    assert project.share_links.count() == 1


def test_a_link_is_revoked_only_through_its_own_project(project, owner):
    link = make_link(project)
    mine = make_project(owner)
    wrong = reverse("portfolio:share-link-revoke", kwargs={"slug": mine.slug, "pk": link.pk})

    assert signed_in(owner).post(wrong).status_code == 404
    link.refresh_from_db()
    assert not link.is_revoked


def test_anonymous_visitors_are_sent_to_sign_in(project):
    link = make_link(project)

    for answer in (
        Client().get(create_url(project)),
        Client().post(create_url(project), new_link()),
        Client().post(revoke_url(link)),
    ):
        assert answer.status_code == 302
        assert answer["Location"].startswith(reverse("login"))
    link.refresh_from_db()
    assert not link.is_revoked
    assert project.share_links.count() == 1
