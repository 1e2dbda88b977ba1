"""
Who may fetch which bytes: the only module that knows which storage a file is in, and the only
one that hands out media URLs.

Two storages (settings.STORAGES):
- "default", public: the renditions of public projects, on plain URLs every cache may keep;
- "private", never publicly readable: every original, and the renditions of unlisted and
  private projects. Its URLs are made here for a viewer allowed to see the picture (a Grant),
  and work for about PORTFOLIO_PRIVATE_URL_SECONDS: presigned by S3, or signed for our file
  view on disk (views/files.py), which checks the grant again and lets nginx send the bytes.

An original is the upload as it came: it leaves only through original_bytes() (the metadata
policy, images/originals.py), always through our file view, always as an attachment, never
shown in a page.

It imports no model: views resolve who is looking (a user, a share link) and pass those
objects here, where decide() answers every fetch.
"""

import base64
import json
import math
import mimetypes
import time
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.functional import LazyObject, cached_property, empty
from django.utils.http import content_disposition_header

from portfolio.images.originals import as_it_leaves

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
    What one viewer of a project's pictures may fetch: made by grant_for(), nowhere else.

    `holder` names who was granted, so that a signed URL can be checked against the grant its
    holder gets now: "public", "user:<id>" (the owner or staff) or "link:<id>" (a share link).
    """

    holder: str
    downloads: str = "none"
    sees_private: bool = False

    @property
    def may_download(self) -> bool:
        return self.downloads != "none"

    @property
    def may_download_originals(self) -> bool:
        return self.downloads == "originals"


PUBLIC = Grant("public")


@dataclass(frozen=True)
class Viewer:
    """
    Who is looking, as the view found out once per request: a signed-in user, a share link's
    holder, or anyone (neither). Pages ask it for each picture's URLs (the media_for filter).
    """

    user: object = None
    link: object = None

    def grant(self, project) -> Grant | None:
        return grant_for(project, user=self.user, link=self.link)

    def media(self, picture) -> "PictureMedia":
        return PictureMedia(picture, self.grant(picture.project))


def grant_for(project, *, user=None, link=None) -> Grant | None:
    """
    The grant of whoever looks at `project`'s pictures, or None if they may see none of it.

    A share link grants what its owner set while it is usable; the owner and staff see
    everything; anyone else what the public sees, and only of a public project. Without a
    project (the gallery's covers, feeds), the public grant with no downloads.
    """
    if project is None:
        return PUBLIC
    if link is not None:
        if link.project_id != project.pk or not link.is_usable:
            return None
        return Grant(f"link:{link.pk}", downloads=link.downloads, sees_private=True)
    if is_editor(user, project):
        return Grant(f"user:{user.pk}", downloads="originals", sees_private=True)
    if not project.is_public:
        return None
    return Grant("public", downloads=project.downloads)


def is_editor(user, project) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_staff or user.pk == project.owner_id)
    )


# ---------------------------------------------------------------- the one decision

ORIGINAL, WEB = "original", "web"
SIZES = (WEB, ORIGINAL)


@dataclass(frozen=True)
class Decision:
    """The answer to one fetch: allowed (which file, in which storage) or refused, and why."""

    allowed: bool
    reason: str = ""
    name: str = ""
    public: bool = False

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def storage(self) -> Storage:
        return rendition_storage(self.public)


def decide(
    grant: Grant | None,
    picture,
    *,
    size: str = "",
    name: str = "",
    public: bool | None = None,
    attachment: bool = False,
) -> Decision:
    """
    May the holder of `grant` fetch this file of `picture` now?

    The file is a download size ("web", the JPEG made for it, or "original"), or a stored
    `name` with the storage it was signed for (`public`), as a signed URL names it. Pages, the
    file view, single downloads and ZIPs all ask here.
    """
    if grant is None:
        return Decision(False, "This viewer may see nothing of this project.")
    if size:
        if size not in SIZES:
            return Decision(False, "No such size.")
        if attachment and not grant.may_download:
            return Decision(False, "Downloads are not allowed here.")
        if size == ORIGINAL:
            name, public = picture.photo.name, False
        elif picture.web_size:
            name, public = picture.web_size, picture.renditions_public
        else:
            return Decision(False, "Not ready yet.")
    if name and name == picture.photo.name:
        if public or not _may_have(grant, picture, ORIGINAL, attachment):
            return Decision(False, "Not the original for this viewer.")
        return Decision(True, name=name, public=False)
    if not name or name not in picture.rendition_names:
        return Decision(False, "Not a file of this picture.")
    if public != picture.renditions_public:
        return Decision(False, "Moved since: the page hands out the new address.")
    if not _may_have(grant, picture, WEB, attachment):
        return Decision(False, "Not for this viewer.")
    return Decision(True, name=name, public=public)


def _may_have(grant: Grant | None, picture, size: str, attachment: bool) -> bool:
    """
    The rule itself. Renditions: public ones for anyone, private ones for those who see
    private pictures; downloading them takes a grant that allows downloads. The original:
    downloaded by those allowed originals, never shown in a page (it is the upload as it
    came, which may also be something else than a picture).
    """
    if grant is None:
        return False
    if size == ORIGINAL:
        return bool(picture.photo) and grant.may_download_originals and attachment
    visible = bool(picture.renditions) and (picture.renditions_public or grant.sees_private)
    return visible and (grant.may_download or not attachment)


# ---------------------------------------------------------------- what they get


class PictureMedia:
    """The URLs of one picture's files for one grant (None: nothing): what templates show."""

    def __init__(self, picture, grant: Grant | None) -> None:
        self.picture, self.grant = picture, grant

    @property
    def srcset(self) -> str:
        return ", ".join(f"{url} {width}w" for width, url in self.rendition_urls)

    @property
    def cover_srcset(self) -> str:
        """
        A cover's: short of the largest rendition, which is there for the lightbox's zoom. A
        cover is cropped and seen behind its title, where 1600 px across a retina laptop's
        screen looks as sharp, and it is what a page's first screen weighs most
        (docs/images.md).
        """
        urls = self.rendition_urls
        shown = urls[:-1] if len(urls) > 1 else urls
        return ", ".join(f"{url} {width}w" for width, url in shown)

    @property
    def src(self) -> str:
        """A middle rendition (the lower of two), for browsers that ignore srcset."""
        urls = self.rendition_urls
        return urls[(len(urls) - 1) // 2][1] if urls else ""

    @property
    def large_url(self) -> str:
        """What the lightbox shows: the largest rendition."""
        urls = self.rendition_urls
        return urls[-1][1] if urls else ""

    @property
    def renditions_visible(self) -> bool:
        return _may_have(self.grant, self.picture, WEB, attachment=False)

    @property
    def download_sizes(self) -> list[str]:
        """The sizes decide() lets this viewer download, of a picture they are shown."""
        if not self.renditions_visible:  # Nothing shown yet (renditions may be coming).
            return []
        return [
            size for size in SIZES if decide(self.grant, self.picture, size=size, attachment=True)
        ]

    @cached_property
    def rendition_urls(self) -> list[tuple[int, str]]:
        """
        (width, URL) of each rendition this viewer may be shown. Made once: a page reads them
        for src, srcset and the lightbox, and each private one is a sealed URL.
        """
        if not self.renditions_visible:
            return []
        public = self.picture.renditions_public
        return [
            (rendition["width"], file_url(self.picture, rendition["name"], public, self.grant))
            for rendition in self.picture.renditions
        ]

    def largest_rendition_url(self) -> str:
        """The largest rendition's URL alone (a sitemap's image), or "" where none is shown."""
        if not (self.renditions_visible and self.picture.renditions):
            return ""
        name = self.picture.renditions[-1]["name"]
        return file_url(self.picture, name, self.picture.renditions_public, self.grant)

    def original_url(self, filename: str) -> str:
        """The original, downloaded as `filename`."""
        if not _may_have(self.grant, self.picture, ORIGINAL, attachment=True):
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
        """The web size (a 2048 px JPEG), as an attachment named `filename`."""
        name = self.picture.web_size
        if not (name and _may_have(self.grant, self.picture, WEB, attachment=True)):
            return ""
        return file_url(self.picture, name, self.picture.renditions_public, self.grant, filename)

    def download_url(self, size: str, filename: str) -> str:
        return self.original_url(filename) if size == ORIGINAL else self.web_download_url(filename)


def file_url(picture, name: str, public: bool, grant: Grant, filename: str = "") -> str:
    """
    A URL of one stored file of `picture`, in the public storage or not, for `grant`.

    Public files shown in a page get their plain, cacheable URL. Everything else, and every
    download (named `filename`, sent as an attachment), gets a URL that works for a while.
    An original always gets our file view's, wherever it is stored: only the view applies
    the metadata policy.
    """
    storage = rendition_storage(public)
    if public and not filename:
        return storage.url(name)
    expires = url_expiry()
    if stores_on_disk(storage) or name == picture.photo.name:
        return signed_file_url(picture, name, public, grant, expires, filename)
    if public:
        return ""  # Never reached: downloads of public files in a bucket go through the view.
    # The bucket answers with these headers, whatever the object's own metadata says.
    parameters = {"ResponseContentType": content_type(name)}
    if filename:
        parameters["ResponseContentDisposition"] = content_disposition_header(True, filename)
    return storage.url(name, parameters=parameters, expire=max(1, expires - int(time.time())))


def content_type(name: str) -> str:
    """The type a derivative is sent as, by the extension we gave it."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def original_bytes(picture) -> bytes:
    """
    The bytes of a picture's original as they may leave the site: the one way they do,
    for single downloads, ZIPs and the file view alike. The stored file, its metadata as the
    policy says (images/originals.py); raise OriginalRefused if that cannot be done.
    """
    with original_storage().open(picture.photo.name, "rb") as file:
        data = file.read()
    return as_it_leaves(
        data, picture.credit, camera_details=picture.project.camera_details_in_originals
    )


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
    picture, name: str, public: bool, grant: Grant, expires: int, filename: str = ""
) -> str:
    """
    A URL of our file view (views/files.py) for one file, sealed with a key from SECRET_KEY:
    encrypted as well as signed, so that it reveals no id (of the picture, the project in the
    file's name, the link or the user it was made for), only that it is ours.
    """
    payload = {
        "p": picture.pk,
        "n": name,
        "s": storage_alias(public),
        "g": grant.holder,
        "e": expires,
        "f": filename,
    }
    sealed = AESSIV(_file_url_key(settings.SECRET_KEY)).encrypt(
        zlib.compress(json.dumps(payload, separators=(",", ":")).encode()), None
    )
    token = base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()
    return reverse("portfolio:file", kwargs={"token": token, "basename": PurePosixPath(name).name})


@dataclass(frozen=True)
class SignedFile:
    """What a valid signed file URL names."""

    picture_id: int
    name: str
    public: bool
    holder: str
    expires: int
    filename: str

    @property
    def storage(self) -> Storage:
        return rendition_storage(self.public)


def read_signed_file_url(token: str) -> SignedFile | None:
    """The file a token names, or None if it was not sealed by us or has expired."""
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        return None
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        try:
            plain = AESSIV(_file_url_key(secret)).decrypt(sealed, None)
        except (InvalidTag, ValueError):
            continue
        break
    else:
        return None
    try:
        payload = json.loads(zlib.decompress(plain))
        signed = SignedFile(
            picture_id=int(payload["p"]),
            name=str(payload["n"]),
            public=payload["s"] == "default",
            holder=str(payload["g"]),
            expires=int(payload["e"]),
            filename=str(payload["f"]),
        )
    except (zlib.error, KeyError, TypeError, ValueError):
        return None
    if signed.expires < time.time():
        return None
    return signed


def _file_url_key(secret: str) -> bytes:
    # AES-SIV: deterministic, so a page shown twice hands out the same URLs (url_expiry()),
    # which the browser keeps; it reveals only that two URLs are the same. 512 bits: two
    # AES-256 keys, one to authenticate, one to encrypt.
    return salted_hmac(FILE_URL_SALT, "aes-siv", secret=secret, algorithm="sha512").digest()


def accel_redirect_path(name: str) -> str:
    """Where nginx's internal location finds a private file (README's sample)."""
    return f"{settings.PORTFOLIO_PRIVATE_MEDIA_ACCEL_PREFIX.rstrip('/')}/{name}"
