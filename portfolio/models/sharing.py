"""Share links: a project shown to whoever holds the link, as far as its owner allows."""

import math
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from portfolio.addresses import ADDRESS_LENGTH
from portfolio.models.projects import Downloads, Project, Visibility

TOKEN_SALT = "portfolio.share-link"
KEY_LENGTH = 22  # secrets.token_urlsafe(16): 128 random bits.


class ShareLink(models.Model):
    """
    One link to one project, for one client ("for Anna").

    The URL carries the link's random key and a MAC of it under SECRET_KEY: the database
    alone (a leaked backup) holds no working link, yet the owner can copy theirs at any time.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="share_links")
    label = models.CharField(max_length=100, help_text="Who it is for, e.g. “for Anna”.")
    key = models.CharField(max_length=KEY_LENGTH, unique=True, editable=False)
    password = models.CharField(max_length=128, blank=True, editable=False)
    expires_at = models.DateTimeField("expires", null=True, blank=True)
    downloads = models.CharField(
        "the client may download",
        max_length=10,
        choices=Downloads,
        default=Downloads.NONE,
    )
    # Client proofing (models/proofing.py): the holders pick favourites and send them.
    allows_favourites = models.BooleanField(
        "the client may choose favourites",
        default=False,
        help_text="Each person holding the link picks pictures and sends you the list.",
    )
    favourite_limit = models.PositiveIntegerField(
        "at most this many favourites",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Optional, e.g. 30 for the album. Empty: no limit.",
    )
    created = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    use_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.label} ({self.project})"

    def clean(self) -> None:
        if self.favourite_limit and not self.allows_favourites:
            raise ValidationError(
                {"favourite_limit": "A limit is for a link that takes favourites."}
            )

    def save(self, *args, **kwargs) -> None:
        if not self.key:
            self.key = secrets.token_urlsafe(16)
        super().save(*args, **kwargs)

    # ------------------------------------------------------------ the token in the URL

    @property
    def token(self) -> str:
        return self.key + self._mac(settings.SECRET_KEY)

    def get_absolute_url(self) -> str:
        return reverse("portfolio:share", kwargs={"token": self.token})

    @classmethod
    def from_token(cls, token: str) -> "ShareLink | None":
        """The link a token opens, whatever its state, or None; compared in constant time."""
        key, mac = token[:KEY_LENGTH], token[KEY_LENGTH:]
        if len(key) != KEY_LENGTH or not mac:
            return None
        # With the project's chosen cover, which its page opens on, wherever it is in the order.
        link = cls.objects.select_related("project__cover").filter(key=key).first()
        if link is None:
            return None
        secrets_in_use = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
        if not any(constant_time_compare(mac, link._mac(secret)) for secret in secrets_in_use):
            return None
        return link

    def _mac(self, secret: str) -> str:
        return salted_hmac(TOKEN_SALT, self.key, secret=secret, algorithm="sha256").hexdigest()[
            :32
        ]

    # ------------------------------------------------------------ its state

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        """Whether it opens its project now: the one rule, which access.grant_for() asks too."""
        return (
            not self.is_revoked
            and not self.is_expired
            and self.project.visibility != Visibility.PRIVATE
        )

    @property
    def takes_favourites(self) -> bool:
        """Whether its holders may choose and send favourites now; otherwise they are frozen."""
        return self.allows_favourites and self.is_usable

    def revoke(self) -> None:
        if not self.is_revoked:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def record_use(self) -> None:
        ShareLink.objects.filter(pk=self.pk).update(
            use_count=F("use_count") + 1, last_used_at=timezone.now()
        )

    # ------------------------------------------------------------ its password

    @property
    def has_password(self) -> bool:
        return bool(self.password)

    def set_password(self, raw_password: str) -> None:
        """Hash it as Django hashes users' passwords; an empty one removes the password."""
        self.password = make_password(raw_password) if raw_password else ""

    def check_password(self, raw_password: str) -> bool:
        return self.has_password and check_password(raw_password, self.password)

    def take_password_try(self, address: str) -> bool:
        """
        Count one try of this link's password from `address`, before it is checked; False,
        counting nothing, once that address used up its tries (PORTFOLIO_SHARE_PASSWORD_TRIES,
        until PORTFOLIO_SHARE_PASSWORD_COOLOFF after its last one).

        Read and written under this link's lock (SQLite's one write lock), so tries sent at
        once are counted one after another and no more are checked than the limit.
        """
        now = timezone.now()
        with transaction.atomic():
            list(ShareLink.objects.select_for_update().filter(pk=self.pk).values_list("pk"))
            # Counts whose cool-off is over start again: gone, so the table keeps only these.
            self.password_tries.filter(
                last_try__lte=now - settings.PORTFOLIO_SHARE_PASSWORD_COOLOFF
            ).delete()
            tries, _ = self.password_tries.get_or_create(
                address=address, defaults={"last_try": now}
            )
            if tries.wait(now):
                return False
            tries.count += 1
            tries.last_try = now
            tries.save(update_fields=["count", "last_try"])
        return True

    def password_wait(self, address: str) -> int:
        """Seconds until `address` may try this link's password again: 0 if it may now."""
        tries = self.password_tries.filter(address=address).first()
        return tries.wait(timezone.now()) if tries else 0

    def forget_password_tries(self, address: str) -> None:
        """The right password was given from `address`: its count starts again."""
        PasswordTries.objects.filter(link=self, address=address).delete()

    @property
    def session_key(self) -> str:
        return f"share-link-{self.pk}"

    @property
    def password_proof(self) -> str:
        """Kept in the visitor's session once they gave it: a new password voids it."""
        return salted_hmac(TOKEN_SALT + ".password", self.password, algorithm="sha256").hexdigest()


class PasswordTries(models.Model):
    """
    The tries of one link's password from one client address (portfolio/addresses.py).

    Our own count, not django-axes' table: no sign-in form can reach it, and it holds
    nothing but what the rule needs.
    """

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="password_tries")
    address = models.CharField(max_length=ADDRESS_LENGTH)  # "" for none known.
    count = models.PositiveIntegerField(default=0)
    last_try = models.DateTimeField()

    class Meta:
        verbose_name_plural = "password tries"
        ordering = ["-last_try"]
        constraints = [
            models.UniqueConstraint(fields=["link", "address"], name="password_tries_per_address")
        ]

    def __str__(self) -> str:
        return f"{self.count} from {self.address or 'an unknown address'} on {self.link}"

    def wait(self, now) -> int:
        """Seconds until this address may try again: 0 while it has tries left, or once the
        cool-off after its last one is over (PORTFOLIO_SHARE_PASSWORD_*)."""
        if self.count < settings.PORTFOLIO_SHARE_PASSWORD_TRIES:
            return 0
        left = self.last_try + settings.PORTFOLIO_SHARE_PASSWORD_COOLOFF - now
        return max(0, math.ceil(left.total_seconds()))
