"""
Downloads: the file names a visitor gets, and a whole project as one ZIP streamed as it is made,
holding a slot (models/downloads.py) while it streams.

The ZIP is written entry by entry into a small buffer that is handed to the response and
emptied, from the pictures' rows read PORTFOLIO_ZIP_ROWS_PER_FETCH a query: memory stays at
about one chunk and one query's rows whatever the project's size (bench figure 7), but for the
names given and the ZIP's central directory, about 440 bytes a picture. Entries are stored,
not deflated: photos do not compress, and storing costs no CPU.
"""

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portfolio.models import DownloadSlot, Picture

CHUNK_BYTES = 1024 * 1024
NAME_CHARACTERS = 100
# Filesystems limit a name's bytes (ext4, APFS: 255): room left for " (N)" and the extension.
NAME_BYTES = 200
# Characters Windows, macOS or a shell would trip on, and every control character.
UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
# Device names Windows will not create a file under, whatever follows them after a dot.
WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"{port}{digit}" for port in ("com", "lpt") for digit in "0123456789\u00b9\u00b2\u00b3"}
)


def safe_stem(client_name: str) -> str:
    """
    The client's file name without its extension, if it makes a safe name (on Windows too:
    no device name such as CON or COM1); else "".
    """
    name = client_name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = PurePosixPath(unicodedata.normalize("NFC", name)).stem
    stem = UNSAFE.sub("", stem).strip(" .")[:NAME_CHARACTERS]
    # Cut at a whole character: "ignore" drops the bytes of the one cut through.
    stem = stem.encode()[:NAME_BYTES].decode(errors="ignore").strip(" .")
    if stem.split(".", 1)[0].rstrip(" ").casefold() in WINDOWS_RESERVED:
        return ""
    return stem


def download_names(pictures: Iterable["Picture"], extension_of) -> dict[int, str]:
    """Each picture's name by its id (named_downloads())."""
    return {picture.pk: name for picture, name in named_downloads(pictures, extension_of)}


def named_downloads(
    pictures: Iterable["Picture"], extension_of
) -> Iterator[tuple["Picture", str]]:
    """
    Each picture with a distinct, safe file name, as `pictures` come (a ZIP's stream): its
    client's name where that is safe, else "picture-N", with the extension of the file sent
    (extension_of(picture), e.g. ".jpg"). Only the names given so far are kept.
    """
    taken = set()
    for number, picture in enumerate(pictures, start=1):
        stem = safe_stem(picture.original_filename) or f"picture-{number}"
        extension = extension_of(picture)
        name, copy = f"{stem}{extension}", 2
        while name.casefold() in taken:
            name, copy = f"{stem} ({copy}){extension}", copy + 1
        taken.add(name.casefold())
        yield picture, name


class _Chunks(io.RawIOBase):
    """An unseekable sink: zipfile then writes each entry's sizes after its data."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.buffer += data
        return len(data)

    def take(self) -> bytes:
        chunk = bytes(self.buffer)
        self.buffer.clear()
        return chunk


def stream_zip(entries: Iterable[tuple[str, object, tuple]]) -> Iterator[bytes]:
    """
    Yield a ZIP of `entries`, (name in the archive, a callable opening the file, date_time),
    a chunk at a time. Files are opened one after the other, as the ZIP reaches them.
    """
    sink = _Chunks()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for name, open_file, date_time in entries:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_STORED
            with open_file() as source, archive.open(info, mode="w", force_zip64=True) as entry:
                while chunk := source.read(CHUNK_BYTES):
                    entry.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


class SlotHeldStream:
    """
    `chunks` as a response's content, holding `slot` while it streams: each chunk renews its
    lease, and closing it (the server does, at the end, on a client gone or an error; a
    stream never started included) releases it.
    """

    def __init__(self, chunks: Iterable[bytes], slot: "DownloadSlot") -> None:
        self.chunks = iter(chunks)
        self.slot = slot

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        chunk = next(self.chunks)
        self.slot.renew()
        return chunk

    def close(self) -> None:
        try:
            if hasattr(self.chunks, "close"):
                self.chunks.close()
        finally:
            self.slot.release()
