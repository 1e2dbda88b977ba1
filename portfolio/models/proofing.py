"""
Client proofing: each holder of a share link picks favourites and sends them to the owner.

A selection belongs to whoever started it: its key, 128 random bits, is given to them once (a
personal link) and the database keeps only its hash; their browser keeps the selection itself
(views/sharing.py). A name is only a label: two people who type the same one get two
selections. A selection is open (being chosen), sent (the owner was told; the client may
reopen it), or locked by the owner (frozen for good, until they unlock it). A revoked or
expired link, or a private project, freezes its selections too: nobody reaches them but the
owner.
"""

import csv
import hashlib
import io
import secrets
import unicodedata
from collections import Counter
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone

from portfolio.models.pictures import Picture
from portfolio.models.sharing import ShareLink


def validate_one_line(value: str) -> None:
    """No line break nor other control character: a name goes into an e-mail's subject."""
    # Zl, Zp: U+2028 and U+2029, which Python splits lines on as it does on "\n".
    if any(unicodedata.category(character) in {"Cc", "Zl", "Zp"} for character in value):
        raise ValidationError("Type your name on one line.", code="control_character")


def normal_name(name: str) -> str:
    """A name as it is kept and compared: "ë" one character, however the keyboard sent it."""
    return unicodedata.normalize("NFC", name.strip())


class SelectionRefused(Exception):
    """What the client asked cannot be done now; the message says why, in their words."""


# Sent with `selection` and `using` once a client sent a selection, inside no transaction of
# its own: what tells the owner listens (portfolio/signals.py), so models import no task.
selection_sent = Signal()


def key_hash(key: str) -> str:
    """What the database keeps of a selection's key: enough to find it, not to use it."""
    # No slow hash: 128 random bits cannot be guessed from it, however fast each guess is.
    return hashlib.sha256(key.encode()).hexdigest()


class SelectionQuerySet(models.QuerySet):
    def start(self, link: ShareLink, name: str) -> tuple["Selection", str]:
        """A new selection on the link under this name, within its cap; and its key."""
        key = secrets.token_urlsafe(16)
        with transaction.atomic():
            # The link's row locked: two starts at once cannot pass the cap together.
            ShareLink.objects.select_for_update().filter(pk=link.pk).exists()
            cap = settings.PORTFOLIO_SELECTIONS_PER_LINK
            if self.filter(link=link).count() >= cap:
                raise SelectionRefused(
                    f"This link already has {cap} selections, the most it takes: ask the "
                    "photographer for another link."
                )
            selection = self.create(link=link, name=normal_name(name), key_hash=key_hash(key))
        selection.link = link
        return selection, key

    def with_key(self, key: str) -> "SelectionQuerySet":
        """The selection this key was given for (a personal link), if any."""
        return self.filter(key_hash=key_hash(key))

    def with_pictures(self) -> "SelectionQuerySet":
        """Each with its favourites' pictures: two queries for them all."""
        return self.prefetch_related("favourites__picture")


class Selection(models.Model):
    """The pictures one person holding a share link chose, under the name they typed."""

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="selections")
    name = models.CharField(
        "your name",
        max_length=80,
        validators=[validate_one_line],
        help_text="So the photographer knows whose choice it is.",
    )
    note = models.TextField(
        "a note for the photographer",
        blank=True,
        max_length=2000,
        help_text="Optional: what the pictures are for, what to retouch…",
    )
    # Of the key its client holds (key_hash()); nobody knows a key made by the migration.
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    locked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SelectionQuerySet.as_manager()

    class Meta:
        ordering = ["-updated", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.link.label})"

    def save(self, *args, **kwargs) -> None:
        if not self.key_hash:  # Made otherwise than by start(): a key nobody is given.
            self.key_hash = key_hash(secrets.token_urlsafe(16))
        super().save(*args, **kwargs)

    # ------------------------------------------------------------ its state

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    def refusal(self, *, reopening: bool = False) -> str:
        """Why its client may not change it (or reopen it) now, or "" if they may."""
        if not self.link.takes_favourites:
            return "These pictures no longer take favourites."
        if self.is_locked:
            return "The photographer has locked this selection: it can no longer be changed."
        if self.is_sent and not reopening:
            return "You sent this selection: reopen it to change it."
        return ""

    # ------------------------------------------------------------ what the client does

    def toggle(self, picture: Picture) -> bool:
        """Make `picture` a favourite, or no longer one; whether it is one now."""
        with transaction.atomic():
            selection = self._for_update()
            if picture.project_id != selection.link.project_id:
                raise SelectionRefused("That picture is not one of these.")
            removed, _ = selection.favourites.filter(picture=picture).delete()
            if not removed:
                limit = selection.link.favourite_limit
                if limit is not None and selection.favourites.count() >= limit:
                    raise SelectionRefused(
                        f"You have chosen {limit}, the most these pictures allow: "
                        "remove one to choose another."
                    )
                Favourite.objects.create(selection=selection, picture=picture)
            selection.save(update_fields=["updated"])
        return not removed

    def send(self, note: str | None = None, name: str | None = None) -> None:
        """
        Mark it sent, with the client's note (and name, corrected): the owner sees it and may
        be told by e-mail. Those columns only, on the row read under the lock: a lock the owner
        made since the client's page was read is neither undone nor passed.
        """
        with transaction.atomic():
            selection = self._for_update()
            if not selection.favourites.exists():
                raise SelectionRefused("Choose at least one picture before sending.")
            if note is not None:
                selection.note = note
            if name is not None:
                selection.name = name
            selection.sent_at = timezone.now()
            selection.save(update_fields=["name", "note", "sent_at", "updated"])
        self.name, self.note, self.sent_at = selection.name, selection.note, selection.sent_at
        # The owner may be e-mailed once this commits (portfolio/signals.py).
        selection_sent.send(sender=Selection, selection=self, using=self._state.db)

    def reopen(self) -> None:
        """Let its client change it again, until the owner locks it."""
        with transaction.atomic():
            selection = self._for_update(reopening=True)
            selection.sent_at = None
            selection.save(update_fields=["sent_at", "updated"])
        self.sent_at = None

    def _for_update(self, *, reopening: bool = False) -> "Selection":
        # Read again, locked: two tabs at once count each other's favourites, and a lock or
        # a revocation since the page was shown is seen.
        selection = (
            Selection.objects.select_for_update().select_related("link__project").get(pk=self.pk)
        )
        if reason := selection.refusal(reopening=reopening):
            raise SelectionRefused(reason)
        return selection

    # ------------------------------------------------------------ what the owner does

    def lock(self) -> None:
        if not self.is_locked:
            self.locked_at = timezone.now()
            self.save(update_fields=["locked_at"])

    def unlock(self) -> None:
        if self.is_locked:
            self.locked_at = None
            self.save(update_fields=["locked_at"])

    def notify_owner(self) -> bool:
        """E-mail the owner that it was sent, if the site does and they have an address."""
        owner = self.link.project.owner
        if not (settings.PORTFOLIO_SELECTION_EMAILS and owner.email):
            return False
        count = self.favourites.count()
        subject = (
            f"{self.name} chose {count} picture{'s' if count != 1 else ''} "
            f"of “{self.link.project.title}”"
        )
        send_mail(
            # On one line whatever a name saved before the rules (or a title) holds: a line
            # break in a header stops the message.
            subject=" ".join(subject.split()),
            message=(
                f"{self.name} sent their selection through your link “{self.link.label}”.\n\n"
                + (f"Their note:\n{self.note}\n\n" if self.note else "")
                + f"File names:\n{self.names_text()}\n\n"
                "See it and copy the names on the project's edit page, under Share links."
            ),
            from_email=None,
            recipient_list=[owner.email],
            fail_silently=False,
        )
        return True

    def email_personal_link(self, address: str, url: str) -> None:
        """Send its client their personal link (`url`, which holds the key) at `address`."""
        project = self.link.project
        send_mail(
            subject=" ".join(f"Your selection of “{project.title}”".split()),
            message=(
                f"Hello {self.name},\n\n"
                f"This link brings back the pictures you choose of “{project.title}”, on any "
                f"device:\n\n{url}\n\n"
                "It is yours alone: whoever has it may change your selection, so keep it to "
                "yourself."
            ),
            from_email=None,
            recipient_list=[address],
            fail_silently=False,
        )

    # ------------------------------------------------------------ the list of files

    def pictures(self) -> list[Picture]:
        """Its pictures in the project's order (with_pictures() fetches them for many)."""
        pictures = [favourite.picture for favourite in self.favourites.all()]
        return sorted(pictures, key=lambda picture: (picture.position, picture.pk))

    def file_names(self) -> list[str]:
        """The names of the originals as the owner's computer called them, in display order."""
        return [original_name(picture) for picture in self.pictures()]

    def names_text(self) -> str:
        """One file name a line, for any program or a plain search."""
        return "\n".join(self.file_names())

    def catalogue_filter(self) -> str:
        """Names without extensions, comma-separated: Lightroom's and Capture One's filters."""
        stems = dict.fromkeys(PurePosixPath(name).stem for name in self.file_names())
        return ", ".join(stems)

    def as_csv(self) -> str:
        buffer = io.StringIO()
        # Every cell quoted: Excel opens a .csv on ";" in many countries, where "a;=cmd…"
        # unquoted would be two cells, the second a formula.
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
        writer.writerow(["file name", "name without extension", "caption", "chosen by"])
        for picture in self.pictures():
            name = original_name(picture)
            row = [name, PurePosixPath(name).stem, picture.caption, self.name]
            writer.writerow([spreadsheet_text(cell) for cell in row])
        return buffer.getvalue()


class Favourite(models.Model):
    """One picture chosen in one selection."""

    selection = models.ForeignKey(Selection, on_delete=models.CASCADE, related_name="favourites")
    picture = models.ForeignKey(Picture, on_delete=models.CASCADE, related_name="favourites")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["selection", "picture"], name="favourite_once_per_selection"
            )
        ]

    def __str__(self) -> str:
        return f"{self.picture} in {self.selection}"


def label_selections(selections) -> None:
    """
    Give each of one link's selections its `label`: its name, told apart from others of the
    same name (two people, or one who started again) by their order of start: "Anna (2)".
    """
    names = Counter(selection.name.casefold() for selection in selections)
    seen = Counter()
    for selection in sorted(selections, key=lambda selection: (selection.created, selection.pk)):
        name = selection.name.casefold()
        seen[name] += 1
        selection.label = f"{selection.name} ({seen[name]})" if names[name] > 1 else selection.name


def original_name(picture: Picture) -> str:
    """The upload's own file name; a picture saved without one has its stored name."""
    return picture.original_filename or PurePosixPath(picture.photo.name).name


def spreadsheet_text(value: str) -> str:
    """A cell spreadsheets show as text: a client's name could start a formula (=HYPERLINK…)."""
    return f"'{value}" if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value
