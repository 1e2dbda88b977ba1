"""The names a visitor's downloads get, and the ZIP streamed a chunk at a time (downloads.py)."""

import io
import os
import zipfile
from types import SimpleNamespace

import pytest

from portfolio.downloads import (
    CHUNK_BYTES,
    NAME_BYTES,
    NAME_CHARACTERS,
    download_names,
    safe_stem,
    stream_zip,
)


@pytest.mark.parametrize(
    ("client_name", "stem"),
    [
        ("Dune at dusk.jpg", "Dune at dusk"),
        ("../../etc/passwd.jpg", "passwd"),
        ("C:\\Users\\anna\\Ridge.JPG", "Ridge"),
        ("folder/sub/photo.png", "photo"),
        ("evil\x00na\x1fme\x7f.jpg", "evilname"),
        ("line\nbreak\r.jpg", "linebreak"),
        ('a<b>c:d"e|f?g*h.jpg', "abcdefgh"),
        ("..", ""),
        ("../..", ""),
        (" . ", ""),
        ("trailing. .jpg", "trailing"),
        ("", ""),
        ("???.jpg", ""),
        ("photo.tar.gz", "photo.tar"),
        ("e\u0301te\u0301.jpg", "\u00e9t\u00e9"),  # Decomposed as macOS sends it: NFC.
    ],
)
def test_safe_stem_keeps_the_clients_name_only_where_it_is_safe(client_name, stem):
    assert safe_stem(client_name) == stem


def test_a_long_name_is_cut_to_its_limits_in_characters_and_in_bytes():
    assert safe_stem("x" * 300 + ".jpg") == "x" * NAME_CHARACTERS
    # Filesystems count bytes (ext4, APFS: 255): four-byte characters are cut sooner.
    emoji = safe_stem("\U0001f600" * 300 + ".jpg")
    assert len(emoji.encode()) <= NAME_BYTES < 255 - len(" (999).jpeg")
    assert emoji == "\U0001f600" * (NAME_BYTES // 4)
    # Never half a character.
    accented = safe_stem("\u00e9" * 150 + ".jpg")
    assert accented == "\u00e9" * (NAME_BYTES // 2)
    # Cut where a space or a dot then ends it: trimmed again.
    assert not safe_stem("x" * (NAME_CHARACTERS - 1) + " y.jpg").endswith(" ")


def pictures(*client_names: str) -> list[SimpleNamespace]:
    return [
        SimpleNamespace(pk=pk, original_filename=name)
        for pk, name in enumerate(client_names, start=10)
    ]


def test_download_names_are_distinct_whatever_the_case():
    names = download_names(
        pictures("Dune.jpg", "dune.JPG", "DUNE.jpeg", "Ridge.jpg"), lambda picture: ".jpg"
    )

    assert names == {10: "Dune.jpg", 11: "dune (2).jpg", 12: "DUNE (3).jpg", 13: "Ridge.jpg"}
    assert len({name.casefold() for name in names.values()}) == 4


def test_a_name_that_is_not_safe_falls_back_to_the_pictures_place():
    names = download_names(pictures("Dune.jpg", "", "../..", "\x00.jpg"), lambda p: ".webp")

    assert names == {
        10: "Dune.webp",
        11: "picture-2.webp",
        12: "picture-3.webp",
        13: "picture-4.webp",
    }


def test_a_fallback_that_meets_a_clients_name_is_told_apart():
    names = download_names(pictures("picture-2.jpg", ""), lambda picture: ".jpg")

    assert names == {10: "picture-2.jpg", 11: "picture-2 (2).jpg"}


@pytest.mark.parametrize(
    "client_name",
    [
        "CON.jpg",
        "nul.jpg",
        "com1.jpg",
        "Com9.JPG",
        "COM0.jpg",
        "LPT1.jpg",
        "lpt9.jpg",
        "AUX.jpg",
        "prn.png",
        "COM\u00b9.jpg",  # COM¹, COM², COM³ and LPT¹…: Windows reserves these too.
        "lpt\u00b3.jpg",
        "conin$.jpg",
        "CONOUT$.jpg",
        "nul.tar.gz",  # Reserved whatever follows the first dot.
        "CON .jpg",  # And with spaces before it.
        "aux. .jpg",
        "con",
    ],
)
def test_a_name_windows_cannot_create_falls_back_to_the_pictures_place(client_name):
    names = download_names(pictures("Dune.jpg", client_name), lambda picture: ".jpg")

    assert names == {10: "Dune.jpg", 11: "picture-2.jpg"}


@pytest.mark.parametrize(
    ("client_name", "name"),
    [
        ("CONSOLE.jpg", "CONSOLE.jpg"),
        ("com10.jpg", "com10.jpg"),
        ("lpt.jpg", "lpt.jpg"),
        ("nuL1.jpg", "nuL1.jpg"),
        ("my con.jpg", "my con.jpg"),
        ("Dune. . .jpg", "Dune.jpg"),  # No name ends in a dot or a space.
        ("Dune  .jpg", "Dune.jpg"),
    ],
)
def test_names_near_the_reserved_ones_are_kept(client_name, name):
    assert download_names(pictures(client_name), lambda picture: ".jpg") == {10: name}


def test_the_extension_is_the_file_sents_not_the_clients():
    names = download_names(pictures("Dune.PNG"), lambda picture: ".webp")

    assert names == {10: "Dune.webp"}


# ---------------------------------------------------------------- the ZIP


class Source(io.BytesIO):
    """A stored file that records how it was read."""

    def __init__(self, data: bytes, log: list) -> None:
        super().__init__(data)
        self.log = log

    def read(self, size: int = -1) -> bytes:
        self.log.append(("read", size))
        return super().read(size)

    def close(self) -> None:
        if not self.closed:
            self.log.append(("close", len(self.getbuffer())))
        super().close()


def test_the_zip_streams_every_entry_in_chunks_and_reads_back_whole():
    big = os.urandom(5 * CHUNK_BYTES + 12345)  # Several MB: six reads.
    files = {"Dune.jpg": b"first", "Ridge (2).jpg": big, "été.jpg": b"\xff\xd8third"}
    log, chunks = [], []

    def opener(data: bytes):
        def open_file():
            log.append(("open", len(data)))
            return Source(data, log)

        return open_file

    entries = [(name, opener(data), (2026, 12, 2, 9, 30, 0)) for name, data in files.items()]
    for chunk in stream_zip(iter(entries)):
        chunks.append(chunk)
        log.append(("yield", len(chunk)))

    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == list(files)
        for info in archive.infolist():
            assert archive.read(info) == files[info.filename]
            assert info.compress_type == zipfile.ZIP_STORED  # Photos do not compress.
            assert info.date_time == (2026, 12, 2, 9, 30, 0)
    # Memory: never much more than a chunk at a time, however large the entry.
    assert max(len(chunk) for chunk in chunks) <= CHUNK_BYTES + 1024
    reads = [size for event, size in log if event == "read"]
    assert set(reads) == {CHUNK_BYTES}
    assert len(reads) == 2 + 7 + 2  # Each file to its end: 1, 6 and 1 reads with data.
    # Files are opened one after the other, as the ZIP reaches them, and closed before the next.
    opened = [(event, size) for event, size in log if event in ("open", "close")]
    sizes = [len(data) for data in files.values()]
    assert opened == [(event, size) for size in sizes for event in ("open", "close")]
    first_yield = next(i for i, (event, _) in enumerate(log) if event == "yield")
    second_open = [i for i, (event, _) in enumerate(log) if event == "open"][1]
    assert first_yield < second_open


def test_an_empty_project_makes_an_empty_zip():
    content = b"".join(stream_zip(iter([])))

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.namelist() == []
