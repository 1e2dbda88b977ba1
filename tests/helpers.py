"""Small helpers that make users, projects and real images for the tests."""

import io
import itertools
import struct
from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from portfolio.models import Category, Picture, Project

_numbers = itertools.count(1)


def make_user(username: str | None = None, *, is_staff: bool = False, **fields):
    username = username or f"user{next(_numbers)}"
    return get_user_model().objects.create_user(
        username=username, password="a-good-test-password", is_staff=is_staff, **fields
    )


def make_category(name: str = "Landscape", slug: str | None = None) -> Category:
    return Category.objects.create(name=name, slug=slug or name.lower())


def make_project(owner=None, *, title: str | None = None, **fields) -> Project:
    fields.setdefault("is_published", True)
    return Project.objects.create(
        owner=owner or make_user(), title=title or f"Project {next(_numbers)}", **fields
    )


def make_picture(
    project: Project | None = None,
    *,
    name: str = "photo.jpg",
    size: tuple[int, int] = (64, 48),
    **fields,
) -> Picture:
    """Save a real image through the model, and so through the gate, as an upload would."""
    picture = Picture(project=project or make_project(), **fields)
    upload = uploaded_image(name, size=size)
    picture.photo.save(upload.name, upload, save=True)
    return picture


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


def files_under(root) -> set[str]:
    """Every file below root, as paths relative to it."""
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def stored_files(folder: str = "") -> set[str]:
    """Every file in the default storage below folder, on disk or in a bucket alike."""
    folders, files = default_storage.listdir(folder)
    prefix = f"{folder}/" if folder else ""
    found = {f"{prefix}{name}" for name in files}
    for subfolder in folders:
        found |= stored_files(f"{prefix}{subfolder}")
    return found


def read_stored(name: str) -> bytes:
    """The bytes of a file in the default storage."""
    with default_storage.open(name, "rb") as stored:
        return stored.read()


@contextmanager
def open_stored_image(name: str) -> Iterator[Image.Image]:
    """Open a file of the default storage with Pillow, on disk or in a bucket alike."""
    with Image.open(io.BytesIO(read_stored(name))) as image:
        yield image


def replace_stored(name: str, data: bytes) -> None:
    """Put other bytes under a stored name, as a damaged or tampered file would have them."""
    default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(data))
    assert saved == name, f"{name} was stored again as {saved}"
