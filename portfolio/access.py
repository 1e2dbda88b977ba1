"""
Who may fetch which bytes: the only module that knows which storage a file is in, and the only
one that hands out media URLs.

Two storages (settings.STORAGES):
- "default", public: the renditions of public projects, on plain URLs every cache may keep;
- "private", never publicly readable: every original, and the renditions of unlisted and
  private projects. Its URLs are made here for a viewer allowed to see the picture (a Grant),
  and work for about PORTFOLIO_PRIVATE_URL_SECONDS: presigned by S3, or signed for our file
  view on disk (views/files.py), which checks the grant again and lets nginx send the bytes.
"""

import math
import time
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import reverse
from django.utils.functional import LazyObject, empty
from django.utils.http import content_disposition_header

if TYPE_CHECKING:
    from portfolio.models import Picture, Project, ShareLink

FILE_URL_SALT = "portfolio.access.file-url"


class PrivateFileSystemStorage(FileSystemStorage):
    """Files on disk outside MEDIA_ROOT, with no public URL: signed_file_url() makes one."""

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Private files have no public URL: ask portfolio.access.")


class PrivateStorage(LazyObject):
    """storages["private"], looked up when first used, as default_storage is "default"."""

    def _setup(self) -> None:
        self._wrapped = storages["private"]


private_files = PrivateStorage()


@receiver(setting_changed, dispatch_uid="forget_the_private_storage")
def forget_the_private_storage(setting: str, **kwargs) -> None:
    # As Django does for default_storage, so tests (and only tests) may point it elsewhere.
    if setting in {"STORAGES", "PRIVATE_MEDIA_ROOT"}:
        private_files._wrapped = empty


def public_storage() -> Storage:
    return storages["default"]


def private_storage() -> Storage:
    """Where originals live and the renditions of non-public projects."""
    return storages["private"]


def original_storage() -> Storage:
    """The photo field's storage: the private one, looked up when used (tests change it)."""
    return private_files


def rendition_storage(public: bool) -> Storage:
    return public_storage() if public else private_storage()


def storage_alias(public: bool) -> str:
    return "default" if public else "private"


def stores_on_disk(storage: Storage) -> bool:
    return isinstance(storage, FileSystemStorage)


# ---------------------------------------------------------------- who is looking


@dataclass(frozen=True)
class Grant:
    """
    What one viewer of a project's pictures may fetch.

    `holder` names who was granted, so the file view can check it still holds:
    "public", "user:<id>" (the owner or staff) or "link:<id>" (a share link).
    """

    holder: str
    downloads: str = "none"
    sees_private: bool = False

    @classmethod
    def public(cls, project: "Project | None" = None) -> "Grant":
        return cls("public", downloads=project.downloads if project else "none")

    @classmethod
    def editor(cls, user) -> "Grant":
        return cls(f"user:{user.pk}", downloads="originals", sees_private=True)

    @classmethod
    def link(cls, link: "ShareLink") -> "Grant":
        return cls(f"link:{link.pk}", downloads=link.downloads, sees_private=True)

    @classmethod
    def for_user(cls, user, project: "Project") -> "Grant":
        """The owner and staff see everything; anyone else what the public sees."""
        if user.is_authenticated and (user.is_staff or user.pk == project.owner_id):
            return cls.editor(user)
        return cls.public(project)

    @property
    def may_download(self) -> bool:
        return self.downloads != "none"

    @property
    def may_download_originals(self) -> bool:
        return self.downloads == "originals"

    def current(self, picture: "Picture") -> "Grant | None":
        """
        This grant as it stands now for `picture`, or None if it no longer lets its holder see
        it: what the file view asks of a grant read from a signed URL (the link revoked, the
        project made private, the owner's account closed...).
        """
        from django.contrib.auth import get_user_model

        from portfolio.models import ShareLink

        kind, _, key = self.holder.partition(":")
        project = picture.project
        if kind == "public":
            return Grant.public(project) if project.is_public else None
        if not key.isdigit():
            return None
        if kind == "user":
            user = get_user_model().objects.filter(pk=key, is_active=True).first()
            if user is None or not (user.is_staff or user.pk == project.owner_id):
                return None
            return Grant.editor(user)
        if kind == "link":
            link = ShareLink.objects.usable().filter(pk=key, project=project).first()
            return Grant.link(link) if link else None
        return None


PUBLIC = Grant("public")


# ---------------------------------------------------------------- what they get


class PictureMedia:
    """The URLs of one picture's files for one grant: what templates show."""

    def __init__(self, picture: "Picture", grant: Grant) -> None:
        self.picture, self.grant = picture, grant

    @property
    def renditions_visible(self) -> bool:
        picture = self.picture
        return bool(picture.renditions) and (picture.renditions_public or self.grant.sees_private)

    @property
    def original_visible(self) -> bool:
        """
        Whether a page may show the original itself (until the renditions exist): only to
        its owner, staff, and link holders allowed originals. Never on a public page, even
        where visitors may download originals: they get it from the download view.
        """
        grant = self.grant
        return bool(self.picture.photo) and grant.sees_private and grant.may_download_originals

    @property
    def ready(self) -> bool:
        """Whether there is anything to show this viewer yet (renditions may still be coming)."""
        return self.renditions_visible or self.original_visible

    def rendition_urls(self) -> list[tuple[int, str]]:
        if not self.renditions_visible:
            return []
        public = self.picture.renditions_public
        return [
            (rendition["width"], file_url(self.picture, rendition["name"], public, self.grant))
            for rendition in self.picture.renditions
        ]

    def original_url(self, filename: str = "") -> str:
        """The original: shown (see original_visible), or downloaded as `filename`."""
        allowed = self.grant.may_download_originals if filename else self.original_visible
        if not (self.picture.photo and allowed):
            return ""
        return file_url(self.picture, self.picture.photo.name, False, self.grant, filename)

    def card_url(self) -> str:
        """The link-preview card (1200 × 630, around the focal point), where renditions show."""
        if not (self.picture.card and self.renditions_visible):
            return ""
        return file_url(
            self.picture, self.picture.card, self.picture.renditions_public, self.grant
        )

    def web_download_url(self, filename: str) -> str:
        """The largest rendition, as an attachment named `filename`."""
        if not (self.grant.may_download and self.renditions_visible):
            return ""
        name = self.picture.renditions[-1]["name"]
        return file_url(self.picture, name, self.picture.renditions_public, self.grant, filename)


def file_url(picture: "Picture", name: str, public: bool, grant: Grant, filename: str = "") -> str:
    """
    A URL of one stored file of `picture`, in the public storage or not, for `grant`.

    Public files shown in a page get their plain, cacheable URL. Everything else, and every
    download (named `filename`, sent as an attachment), gets a URL that works for a while.
    """
    storage = rendition_storage(public)
    if public and not filename:
        return storage.url(name)
    expires = url_expiry()
    if stores_on_disk(storage):
        return signed_file_url(picture, name, public, grant, expires, filename)
    if public:
        return ""  # Never reached: downloads of public files in a bucket go through the view.
    parameters = {}
    if filename:
        parameters["ResponseContentDisposition"] = content_disposition_header(True, filename)
    return storage.url(name, parameters=parameters, expire=max(1, expires - int(time.time())))


def url_expiry(now: float | None = None) -> int:
    """
    When a URL handed out now stops working: between half the lifetime and all of it.

    Rounded to half-lifetime steps, so a page shown twice in a row hands out the same URLs,
    which the browser keeps, instead of new ones to fetch again.
    """
    lifetime = settings.PORTFOLIO_PRIVATE_URL_SECONDS
    step = max(1, lifetime // 2)
    now = time.time() if now is None else now
    return (math.floor(now / step) + 1) * step + (lifetime - step)


def signed_file_url(
    picture: "Picture", name: str, public: bool, grant: Grant, expires: int, filename: str = ""
) -> str:
    """A URL of our file view (views/files.py) for one file, signed with SECRET_KEY."""
    payload = {
        "p": picture.pk,
        "n": name,
        "s": storage_alias(public),
        "g": grant.holder,
        "e": expires,
        "f": filename,
    }
    token = signing.dumps(payload, salt=FILE_URL_SALT, compress=True)
    return reverse("portfolio:file", kwargs={"token": token, "basename": PurePosixPath(name).name})


@dataclass(frozen=True)
class SignedFile:
    """What a valid signed file URL names."""

    picture_id: int
    name: str
    public: bool
    grant: Grant
    expires: int
    filename: str

    @property
    def storage(self) -> Storage:
        return rendition_storage(self.public)


def read_signed_file_url(token: str) -> SignedFile | None:
    """The file a token names, or None if it was not signed by us or has expired."""
    try:
        payload = signing.loads(token, salt=FILE_URL_SALT)
        signed = SignedFile(
            picture_id=int(payload["p"]),
            name=str(payload["n"]),
            public=payload["s"] == "default",
            grant=Grant(str(payload["g"])),
            expires=int(payload["e"]),
            filename=str(payload["f"]),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if signed.expires < time.time():
        return None
    return signed


def accel_redirect_path(name: str) -> str:
    """Where nginx's internal location finds a private file (README's sample)."""
    return f"{settings.PORTFOLIO_PRIVATE_MEDIA_ACCEL_PREFIX.rstrip('/')}/{name}"
