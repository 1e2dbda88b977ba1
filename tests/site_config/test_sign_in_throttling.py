"""Sign-in throttled by django-axes: per account and address, on the site and in the admin."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from portfolio.models import PasswordTries, ShareLink
from tests.helpers import PASSWORD, make_project, make_staff, make_user, signed_in

pytestmark = pytest.mark.django_db

LIMIT = 5
SITE, ADMIN = "/accounts/login/", "/admin/login/"


def sign_in(username: str, password: str, *, page: str = SITE, address: str = "203.0.113.7"):
    return Client(REMOTE_ADDR=address).post(page, {"username": username, "password": password})


def fail(times: int, username: str = "owner", **where) -> list[int]:
    return [sign_in(username, "wrong", **where).status_code for _ in range(times)]


def test_a_handful_of_failures_locks_the_account_from_that_address(owner):
    assert fail(LIMIT - 1) == [200] * (LIMIT - 1)  # The form again, with its error.

    locked = sign_in("owner", "wrong")

    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Too many sign-in attempts" in html
    assert "Signing in as “owner” failed 5 times from your address" in html
    assert "paused for 15 minutes" in html
    assert 'href="/accounts/password_reset/"' in html
    # Even the right password waits now.
    assert sign_in("owner", PASSWORD).status_code == 429


def test_other_addresses_and_other_accounts_are_not_locked(owner):
    make_user("colleague")
    fail(LIMIT)

    assert sign_in("owner", PASSWORD, address="198.51.100.2").status_code == 302
    assert sign_in("colleague", PASSWORD).status_code == 302


def test_signing_in_resets_the_count(owner):
    fail(LIMIT - 1)
    assert sign_in("owner", PASSWORD).status_code == 302

    assert fail(LIMIT - 1) == [200] * (LIMIT - 1)
    assert sign_in("owner", PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_down(owner):
    fail(LIMIT)
    assert sign_in("owner", PASSWORD).status_code == 429

    # Fifteen minutes and a second go by.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))

    assert sign_in("owner", PASSWORD).status_code == 302


def test_the_admin_sign_in_counts_and_locks_the_same_way():
    make_user("staff", is_staff=True)
    assert fail(LIMIT - 1, "staff", page=ADMIN) == [200] * (LIMIT - 1)

    locked = sign_in("staff", "wrong", page=ADMIN)

    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    assert sign_in("staff", PASSWORD, page=ADMIN).status_code == 429
    assert sign_in("staff", PASSWORD, page=SITE).status_code == 429


def test_other_auth_pages_stay_open_while_locked(owner):
    fail(LIMIT)
    client = Client(REMOTE_ADDR="203.0.113.7")

    assert client.get("/accounts/password_reset/").status_code == 200
    reset = client.post("/accounts/password_reset/", {"email": "owner@example.com"})
    assert reset.status_code == 302
    assert client.get(SITE).status_code == 200  # The form itself is shown.


def test_staff_unlock_in_the_admin(owner):
    staff = make_staff("staff")
    fail(LIMIT)
    [attempt] = AccessAttempt.objects.all()
    admin = signed_in(staff)

    listed = admin.get("/admin/axes/accessattempt/")
    assert listed.status_code == 200
    assert "owner" in listed.content.decode()
    deleted = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert deleted.status_code == 302
    assert sign_in("owner", PASSWORD).status_code == 302


@pytest.mark.parametrize("command", [["axes_reset"], ["axes_reset_username", "owner"]])
def test_staff_unlock_with_a_command(owner, command):
    fail(LIMIT)

    call_command(*command, verbosity=0)

    assert sign_in("owner", PASSWORD).status_code == 302


def test_the_sign_in_form_cannot_try_a_share_links_password(owner):
    # Share links once counted their tries as sign-ins of "share-link:<id>": that name is
    # nobody's account now, and the link's count is its own.
    link = ShareLink(project=make_project(owner, visibility="unlisted"), label="for Anna")
    link.set_password("dunes-for-anna")
    link.save()
    for password in ["dunes-for-anna", "wrong"] * 5:
        response = sign_in(f"share-link:{link.pk}", password)
        assert response.status_code in {200, 429}  # Refused as any unknown account is.
    assert not PasswordTries.objects.exists()
    client = Client(REMOTE_ADDR="203.0.113.7")
    page = client.get(link.get_absolute_url())
    assert page.status_code == 200 and b'name="password"' in page.content  # Not unlocked.
    opened = client.post(link.get_absolute_url(), {"password": "dunes-for-anna"})
    assert opened.status_code == 302  # Nor locked.


def test_behind_nginx_the_count_is_per_client_address(owner, settings):
    # nginx as docs/production.md configures it: it connects from 127.0.0.1 and appends the
    # address it saw to X-Forwarded-For; whatever the client wrote before that is not believed.
    settings.PORTFOLIO_TRUSTED_PROXIES = 1

    def through_nginx(client: str, forged: str = "") -> Client:
        forwarded = f"{forged}, {client}" if forged else client
        return Client(REMOTE_ADDR="127.0.0.1", headers={"X-Forwarded-For": forwarded})

    for number in range(LIMIT):
        attacker = through_nginx("203.0.113.66", forged=f"10.0.0.{number}")
        attacker.post(SITE, {"username": "owner", "password": "wrong"})
    assert AccessAttempt.objects.get().ip_address == "203.0.113.66"
    locked = through_nginx("203.0.113.66", forged="10.9.9.9")
    assert locked.post(SITE, {"username": "owner", "password": PASSWORD}).status_code == 429
    owner_browser = through_nginx("198.51.100.20")
    assert owner_browser.post(SITE, {"username": "owner", "password": PASSWORD}).status_code == 302
