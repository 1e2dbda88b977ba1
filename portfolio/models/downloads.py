"""
ZIP downloads under load: a slot per download being streamed, so that their number stays
bounded per client (a share link or a user, and an address) and in total, across every process
and app server (the database is what they share).

A slot is a row with a lease: the stream renews it as it goes and deletes it when it closes;
a slot whose process died, or whose reader stopped reading, frees itself when its lease runs
out. Taking one is safe against races on any database: each row holds a number below the
total and a number below the per-client limit, both unique, so two processes that counted
the same free place cannot both take it.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from portfolio.addresses import ADDRESS_LENGTH

# What a refused client is told to wait: a ZIP in progress takes a minute or more.
RETRY_AFTER_SECONDS = 60
# Two processes that counted the same free number: the loser counts again, a few times.
TAKE_ATTEMPTS = 5


class DownloadsBusy(Exception):
    """No slot for this download now; the message says why, in the client's words."""

    retry_after = RETRY_AFTER_SECONDS


class DownloadSlotQuerySet(models.QuerySet):
    def held(self, now: datetime | None = None) -> "DownloadSlotQuerySet":
        return self.filter(lease_until__gt=now or timezone.now())

    def take(self, holder: str, address: str) -> "DownloadSlot":
        """A slot for one ZIP for `holder` ("link:<id>", "user:<id>", "public") at `address`."""
        per_client = settings.PORTFOLIO_ZIP_DOWNLOADS_PER_CLIENT
        total = settings.PORTFOLIO_ZIP_DOWNLOADS_TOTAL
        for _ in range(TAKE_ATTEMPTS):
            now = timezone.now()
            self.filter(lease_until__lte=now).delete()  # Leases run out: their places are free.
            taken = list(self.values_list("number", "holder", "address", "client_number"))
            client_numbers = {n for _, h, a, n in taken if (h, a) == (holder, address)}
            client_number = next((n for n in range(per_client) if n not in client_numbers), None)
            if client_number is None:
                raise DownloadsBusy(
                    f"You are downloading {len(client_numbers)} ZIPs at once already, the most "
                    "at a time: try again once one has finished."
                )
            numbers = {number for number, *_ in taken}
            number = next((n for n in range(total) if n not in numbers), None)
            if number is None:
                raise DownloadsBusy(
                    "Many people are downloading ZIPs right now: try again in a minute."
                )
            try:
                with transaction.atomic():
                    return self.create(
                        holder=holder,
                        address=address,
                        number=number,
                        client_number=client_number,
                        lease_until=now + lease(),
                    )
            except IntegrityError:  # Another process took that place since we counted.
                continue
        raise DownloadsBusy("Many people are downloading ZIPs right now: try again in a minute.")


class DownloadSlot(models.Model):
    """One ZIP being streamed to one client, while its lease runs."""

    holder = models.CharField(max_length=40)
    address = models.CharField(max_length=ADDRESS_LENGTH)
    number = models.PositiveIntegerField(unique=True)
    client_number = models.PositiveIntegerField()
    lease_until = models.DateTimeField(db_index=True)

    objects = DownloadSlotQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["holder", "address", "client_number"], name="one_client_place_per_slot"
            )
        ]

    def __str__(self) -> str:
        return f"ZIP slot {self.number} for {self.holder} at {self.address}"

    def renew(self) -> None:
        """Push the lease on, if half of it is spent (a write a few times per lease)."""
        now = timezone.now()
        if self.lease_until - now < lease() / 2:
            self.lease_until = now + lease()
            # Only if it is still ours: a slot that ran out may be someone else's place now.
            type(self).objects.filter(pk=self.pk).update(lease_until=self.lease_until)

    def release(self) -> None:
        type(self).objects.filter(pk=self.pk).delete()


def lease() -> timedelta:
    return timedelta(seconds=settings.PORTFOLIO_ZIP_LEASE_SECONDS)
