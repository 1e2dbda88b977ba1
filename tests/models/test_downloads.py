"""Download slots: the limits per client and in total, leases that run out, races."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from portfolio.models import DownloadsBusy, DownloadSlot
from portfolio.models.downloads import DownloadSlotQuerySet

pytestmark = pytest.mark.django_db

ANNA = ("link:1", "203.0.113.7")


@pytest.fixture(autouse=True)
def limits(settings):
    settings.PORTFOLIO_ZIP_DOWNLOADS_PER_CLIENT = 2
    settings.PORTFOLIO_ZIP_DOWNLOADS_TOTAL = 3
    settings.PORTFOLIO_ZIP_LEASE_SECONDS = 300


def move_clock(monkeypatch, seconds: float) -> None:
    later = timezone.now() + timedelta(seconds=seconds)
    monkeypatch.setattr("portfolio.models.downloads.timezone", SimpleNamespace(now=lambda: later))


def test_a_client_gets_as_many_slots_as_the_limit_then_is_told_to_wait():
    slots = [DownloadSlot.objects.take(*ANNA) for _ in range(2)]

    with pytest.raises(DownloadsBusy, match="2 ZIPs at once already") as refused:
        DownloadSlot.objects.take(*ANNA)
    assert refused.value.retry_after == 60
    # The same link from another address, the same address on another link: clients of their own.
    DownloadSlot.objects.take("link:1", "198.51.100.2")
    assert DownloadSlot.objects.count() == 3
    assert sorted(slot.client_number for slot in slots) == [0, 1]


def test_the_total_holds_whoever_asks():
    for number in range(3):
        DownloadSlot.objects.take(f"link:{number}", "203.0.113.7")

    with pytest.raises(DownloadsBusy, match="Many people"):
        DownloadSlot.objects.take("user:9", "198.51.100.2")
    assert DownloadSlot.objects.count() == 3


def test_a_released_slot_is_free_at_once():
    first, _ = DownloadSlot.objects.take(*ANNA), DownloadSlot.objects.take(*ANNA)

    first.release()
    again = DownloadSlot.objects.take(*ANNA)

    assert again.client_number == first.client_number
    assert DownloadSlot.objects.count() == 2


def test_a_lease_that_ran_out_frees_its_place(monkeypatch):
    for _ in range(2):
        DownloadSlot.objects.take(*ANNA)  # Their process died: nobody renews or releases them.

    move_clock(monkeypatch, 299)
    with pytest.raises(DownloadsBusy):
        DownloadSlot.objects.take(*ANNA)
    move_clock(monkeypatch, 301)
    slot = DownloadSlot.objects.take(*ANNA)

    assert list(DownloadSlot.objects.all()) == [slot]  # The dead ones are gone.


def test_a_stream_that_moves_keeps_its_slot(monkeypatch):
    slot = DownloadSlot.objects.take(*ANNA)
    DownloadSlot.objects.take(*ANNA)

    move_clock(monkeypatch, 200)
    slot.renew()  # Half the lease spent: pushed on.
    move_clock(monkeypatch, 301)
    DownloadSlot.objects.take(*ANNA)  # The other ran out; this one still holds.

    assert DownloadSlot.objects.filter(pk=slot.pk).exists()
    with pytest.raises(DownloadsBusy):
        DownloadSlot.objects.take(*ANNA)


def test_a_renewal_soon_after_the_last_writes_nothing(django_assert_num_queries):
    slot = DownloadSlot.objects.take(*ANNA)

    with django_assert_num_queries(0):
        slot.renew()


def test_two_processes_that_counted_the_same_place_cannot_both_take_it():
    """What each process's count-then-insert relies on: the database refuses the second."""
    lease_until = timezone.now() + timedelta(minutes=5)
    DownloadSlot.objects.create(
        holder="link:1", address="a", number=0, client_number=0, lease_until=lease_until
    )
    for clash in (
        {"holder": "link:2", "address": "b", "number": 0, "client_number": 0},
        {"holder": "link:1", "address": "a", "number": 1, "client_number": 0},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            DownloadSlot.objects.create(lease_until=lease_until, **clash)


def test_a_lost_race_counts_again_and_takes_the_next_place(monkeypatch):
    """A race between processes, caused here: one takes the place the other just counted free."""
    taken_meanwhile = []
    count = DownloadSlotQuerySet.values_list

    def count_then_another_process_takes(queryset, *fields):
        counted = list(count(queryset, *fields))
        if not taken_meanwhile:
            lease_until = timezone.now() + timedelta(minutes=5)
            taken_meanwhile.append(
                DownloadSlot.objects.create(
                    holder="link:2",
                    address="b",
                    number=0,
                    client_number=0,
                    lease_until=lease_until,
                )
            )
        return counted

    monkeypatch.setattr(DownloadSlotQuerySet, "values_list", count_then_another_process_takes)

    slot = DownloadSlot.objects.take(*ANNA)

    assert (taken_meanwhile[0].number, slot.number) == (0, 1)
    assert DownloadSlot.objects.count() == 2
