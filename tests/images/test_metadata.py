"""
The metadata policy (images/metadata.py, images/originals.py) through the real upload form:
what every byte that leaves carries (the original as it is downloaded, each rendition, the
card, the web size), what the row keeps, what the page shows.
"""

import io
import json
import struct
import zipfile
from xml.etree import ElementTree

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image, TiffImagePlugin

# Importing images registers pillow-heif, which these tests need to write HEIC too.
from portfolio.access import original_bytes
from portfolio.images import metadata
from portfolio.images.xmp import XMP_MAX_BYTES
from portfolio.models import Picture, Profile
from tests.helpers import damaged_exif, read_stored

pytestmark = pytest.mark.django_db

BODY_SERIAL = "BODY-SN-4242"
LENS_SERIAL = "LENS-SN-0707"
OWNER_NAME_IN_MAKER_NOTES = "Jane Roe"
FILE_CREDIT = {
    "creator": "Ann Lee",
    "copyright_notice": "© 2024 Ann Lee <all rights reserved> & more",
    "credit_line": "Ann Lee / Studio North",
    "rights_url": "https://ann.example/licence",
}
PROFILE_CREDIT = {
    "creator": "Bo Owner",
    "copyright_notice": "© Bo Owner",
    "credit_line": "Bo Owner Photography",
    "rights_url": "https://bo.example/rights",
}
CAMERA_LINE = "Fujifilm X-T5 · XF35mmF1.4 R · 35 mm · ƒ/2 · 1/250 s · ISO 400 · 12 May 2024"

_NAMESPACES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
}


def camera_exif() -> Image.Exif:
    """EXIF as a camera writes it: position, serial numbers, maker notes naming the owner."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "FUJIFILM"
    exif[ExifTags.Base.Model] = "X-T5"
    exif[ExifTags.Base.Orientation] = 1
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.BodySerialNumber] = BODY_SERIAL
    details[ExifTags.Base.LensSerialNumber] = LENS_SERIAL
    details[ExifTags.Base.LensModel] = "XF35mmF1.4 R"
    details[ExifTags.Base.FocalLength] = TiffImagePlugin.IFDRational(35, 1)
    details[ExifTags.Base.FNumber] = TiffImagePlugin.IFDRational(2, 1)
    details[ExifTags.Base.ExposureTime] = TiffImagePlugin.IFDRational(1, 250)
    details[ExifTags.Base.ISOSpeedRatings] = 400
    details[ExifTags.Base.DateTimeOriginal] = "2024:05:12 10:22:33"
    details[ExifTags.Base.MakerNote] = (
        b"FUJIFILM\x0c\x00\x00\x00" + f"Owner: {OWNER_NAME_IN_MAKER_NOTES}".encode()
    )
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (1.0, 2.0, 3.0)
    return exif


def exif_with_thumbnail(thumbnail: bytes) -> bytes:
    """EXIF of a maker and an embedded thumbnail (IFD1), little-endian, written by hand."""
    make = b"FUJIFILM\x00"
    ifd0_at, ifd1_at = 8, 8 + 2 + 12 + 4
    make_at = ifd1_at + 2 + 2 * 12 + 4
    thumbnail_at = make_at + len(make)
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x010F, 2, len(make), make_at)
    ifd0 += struct.pack("<I", ifd1_at)
    ifd1 = struct.pack("<H", 2)
    ifd1 += struct.pack("<HHII", 0x0201, 4, 1, thumbnail_at)  # JPEGInterchangeFormat
    ifd1 += struct.pack("<HHII", 0x0202, 4, 1, len(thumbnail))  # …Length
    ifd1 += struct.pack("<I", 0)
    header = b"II*\x00" + struct.pack("<I", ifd0_at)
    return b"Exif\x00\x00" + header + ifd0 + ifd1 + make + thumbnail


def credit_packet(credit: dict[str, str], *, extra: str = "") -> bytes:
    """An XMP packet as Lightroom writes one: the credit, and position and serial too."""
    properties = "".join(
        [
            f"<dc:creator><rdf:Seq><rdf:li>{escaped(credit['creator'])}</rdf:li></rdf:Seq>"
            "</dc:creator>"
            if "creator" in credit
            else "",
            '<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">'
            f"{escaped(credit['copyright_notice'])}</rdf:li></rdf:Alt></dc:rights>"
            if "copyright_notice" in credit
            else "",
            f"<photoshop:Credit>{escaped(credit['credit_line'])}</photoshop:Credit>"
            if "credit_line" in credit
            else "",
            extra,
        ]
    )
    web_statement = (
        f' xmpRights:WebStatement="{escaped(credit["rights_url"])}"'
        if "rights_url" in credit
        else ""
    )
    return (
        (
            '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{rdf}">'
            '<rdf:Description rdf:about="" xmlns:dc="{dc}" xmlns:photoshop="{photoshop}"'
            ' xmlns:xmpRights="{xmpRights}" xmlns:exif="http://ns.adobe.com/exif/1.0/"'
            ' xmlns:aux="http://ns.adobe.com/exif/1.0/aux/"'
            f' exif:GPSLatitude="52,31.2N" aux:SerialNumber="{BODY_SERIAL}"{web_statement}>'
            f"{properties}</rdf:Description></rdf:RDF></x:xmpmeta>"
            '<?xpacket end="w"?>'
        )
        .format(**_NAMESPACES)
        .encode()
    )


def escaped(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def camera_file(image_format: str, *, xmp: bytes | None = None, **options) -> bytes:
    """A 120×80 picture in `image_format` with the camera's EXIF and an XMP packet."""
    image = Image.new("RGB", (120, 80), (40, 90, 180))
    buffer = io.BytesIO()
    if xmp is None:
        xmp = credit_packet(FILE_CREDIT)
    options.setdefault("exif", camera_exif())
    image.save(buffer, format=image_format, xmp=xmp, **options)
    return buffer.getvalue()


def iim_segment(fields: dict[int, str]) -> bytes:
    """A JPEG APP13 (Photoshop) segment holding IPTC IIM datasets of record 2."""
    iim = b"".join(
        b"\x1c\x02" + bytes([dataset]) + struct.pack(">H", len(value.encode())) + value.encode()
        for dataset, value in fields.items()
    )
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim
    resource += b"\x00" * (len(iim) % 2)
    body = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def upload(client, project, content: bytes, name: str = "DSCF0001.jpg"):
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(
        reverse("portfolio:picture-upload", kwargs={"slug": project.slug}), {"photos": [file]}
    )


@pytest.fixture
def uploaded(owner_client, project, django_capture_on_commit_callbacks):
    """Upload through the real form, renditions made (the commit's callbacks run)."""

    def upload_one(content: bytes, name: str = "DSCF0001.jpg") -> Picture:
        with django_capture_on_commit_callbacks(execute=True):
            response = upload(owner_client, project, content, name)
        assert response.status_code == 302, response.content
        picture = Picture.objects.latest("pk")
        assert picture.renditions, "the renditions were made"
        return picture

    return upload_one


def served_files(picture: Picture) -> dict[str, bytes]:
    """
    Every file of the picture visitors may be given: its original as it leaves the site, its
    renditions, its link-preview card and its web size.
    """
    return {
        picture.photo.name: original_bytes(picture),
        **{name: read_stored(name) for name in picture.rendition_names},
    }


def credit_in(data: bytes) -> dict[str, str]:
    """The XMP credit properties of a file, parsed independently of the code under test."""
    with Image.open(io.BytesIO(data)) as image:
        packet = image.info.get("xmp")
    if not packet:
        return {}
    root = ElementTree.fromstring(packet.encode() if isinstance(packet, str) else packet)
    found = {}
    for description in root.iter(f"{{{_NAMESPACES['rdf']}}}Description"):
        for name, value in description.attrib.items():
            if not name.startswith(f"{{{_NAMESPACES['rdf']}}}"):
                found[name] = value
        for element in description:
            found[element.tag] = " | ".join(
                text.strip() for text in element.itertext() if text.strip()
            )
    names = {
        "{http://purl.org/dc/elements/1.1/}creator": "creator",
        "{http://purl.org/dc/elements/1.1/}rights": "copyright_notice",
        "{http://ns.adobe.com/photoshop/1.0/}Credit": "credit_line",
        "{http://ns.adobe.com/xap/1.0/rights/}WebStatement": "rights_url",
        # Says the picture is under copyright: written with a copyright notice.
        "{http://ns.adobe.com/xap/1.0/rights/}Marked": "marked",
    }
    unexpected = set(found) - set(names)
    assert not unexpected, f"properties beyond the credit: {unexpected}"
    return {names[tag]: value for tag, value in found.items() if names[tag] != "marked"}


# What EXIF may say in a file that leaves: how to show it, and the credit (no camera details:
# the owner's profile keeps them out by default).
SHOWING_AND_CREDIT_TAGS = {
    ExifTags.Base.Orientation,
    ExifTags.Base.XResolution,
    ExifTags.Base.YResolution,
    ExifTags.Base.ResolutionUnit,
    ExifTags.Base.YCbCrPositioning,
    ExifTags.Base.Artist,
    ExifTags.Base.Copyright,
    ExifTags.Base.ExifOffset,
}
SHOWING_EXIF_IFD_TAGS = {
    ExifTags.Base.ColorSpace,
    ExifTags.Base.ExifImageWidth,
    ExifTags.Base.ExifImageHeight,
    ExifTags.Base.ExifVersion,
}


def assert_nothing_private(name: str, data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        assert set(exif) <= SHOWING_AND_CREDIT_TAGS, name
        assert set(exif.get_ifd(ExifTags.IFD.Exif)) <= SHOWING_EXIF_IFD_TAGS, name
        assert exif.get_ifd(ExifTags.IFD.GPSInfo) == {}, name
        assert not {"comment", "photoshop"} & set(image.info), name
    for secret in (BODY_SERIAL, LENS_SERIAL, OWNER_NAME_IN_MAKER_NOTES, "GPS", "SerialNumber"):
        assert secret.encode() not in data, f"{secret} in {name}"


@pytest.mark.parametrize("image_format", ["JPEG", "HEIF", "AVIF"])
def test_served_files_keep_the_credit_and_nothing_private(uploaded, image_format):
    picture = uploaded(camera_file(image_format))

    files = served_files(picture)
    # The original, renditions, card, web size.
    assert len(files) == 1 + len(picture.renditions) + 2
    for name, data in files.items():
        assert_nothing_private(name, data)
        assert credit_in(data) == FILE_CREDIT, name
    # The row keeps the camera facts, never a serial or a position.
    assert picture.metadata["camera"] == {
        "make": "FUJIFILM",
        "model": "X-T5",
        "lens": "XF35mmF1.4 R",
        "focal_length": 35.0,
        "aperture": 2.0,
        "exposure_time": 0.004,
        "iso": 400,
        "captured": "2024-05-12T10:22:33",
    }
    row = json.dumps(picture.metadata)
    for secret in (BODY_SERIAL, LENS_SERIAL, OWNER_NAME_IN_MAKER_NOTES, "52"):
        assert secret not in row
    assert picture.camera_line == CAMERA_LINE
    assert picture.credit == FILE_CREDIT


def test_the_profile_fills_what_the_file_lacks(uploaded, owner):
    Profile.objects.create(user=owner, **PROFILE_CREDIT)
    plain = camera_file("JPEG", xmp=b"")
    only_creator = camera_file("JPEG", xmp=credit_packet({"creator": "Ann Lee"}))

    from_profile = uploaded(plain)
    mixed = uploaded(only_creator)

    for data in served_files(from_profile).values():
        assert credit_in(data) == PROFILE_CREDIT
    assert from_profile.credit == PROFILE_CREDIT
    for data in served_files(mixed).values():
        assert credit_in(data) == {**PROFILE_CREDIT, "creator": "Ann Lee"}


def test_without_a_profile_or_credit_in_the_file_no_credit_is_written(uploaded):
    picture = uploaded(camera_file("JPEG", xmp=b""))

    for data in served_files(picture).values():
        with Image.open(io.BytesIO(data)) as image:
            assert "xmp" not in image.info
    assert picture.credit == dict.fromkeys(metadata.CREDIT_FIELDS, "")
    assert picture.camera_line == CAMERA_LINE


def test_iptc_iim_and_exif_credit_are_read_when_there_is_no_xmp(uploaded):
    iim = iim_segment({80: "Ann Lee", 116: "© 2024 Ann Lee", 110: "Studio North"})
    exif = camera_exif()
    exif[ExifTags.Base.Artist] = "Someone Else"
    exif[ExifTags.Base.Copyright] = "(c) Someone Else"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (40, 90, 180)).save(buffer, "JPEG", exif=exif, extra=iim)
    exif_only = io.BytesIO()
    Image.new("RGB", (120, 80)).save(exif_only, "JPEG", exif=exif)

    from_iim = uploaded(buffer.getvalue())
    from_exif = uploaded(exif_only.getvalue())

    expected = {
        "creator": "Ann Lee",
        "copyright_notice": "© 2024 Ann Lee",
        "credit_line": "Studio North",
    }
    for name, data in served_files(from_iim).items():
        assert credit_in(data) == expected
        assert_nothing_private(name, data)
    assert credit_in(original_bytes(from_exif)) == {
        "creator": "Someone Else",
        "copyright_notice": "(c) Someone Else",
    }


@pytest.mark.parametrize(
    ("image_format", "keeps_credit"),
    [("PNG", True), ("WEBP", True), ("GIF", False)],
)
def test_what_each_stored_format_holds(uploaded, owner, image_format, keeps_credit):
    Profile.objects.create(user=owner, **PROFILE_CREDIT)
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (40, 90, 180)).save(buffer, image_format)

    picture = uploaded(buffer.getvalue(), name=f"picture.{image_format.lower()}")

    # A GIF leaves without XMP (its application blocks go): its renditions carry the credit.
    original = original_bytes(picture)
    assert credit_in(original) == (PROFILE_CREDIT if keeps_credit else {})
    for name in picture.rendition_names:
        assert credit_in(read_stored(name)) == PROFILE_CREDIT
    assert picture.credit == PROFILE_CREDIT


def test_avif_renditions_carry_the_credit(uploaded, settings):
    settings.PORTFOLIO_RENDITION_FORMAT = "avif"

    picture = uploaded(camera_file("JPEG"))

    assert all(record["name"].endswith(".avif") for record in picture.renditions)
    for name, data in served_files(picture).items():
        assert credit_in(data) == FILE_CREDIT
        assert_nothing_private(name, data)


@pytest.mark.parametrize(
    "xmp",
    [
        b"<x:xmpmeta><rdf:RDF",  # cut short
        b"<x:xmpmeta>not declared</x:xmpmeta>",  # a prefix without its namespace
        # Entities: never expanded, the packet is not parsed at all.
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>',
        b"\xff\xfe\x00garbage",
    ],
)
def test_damaged_exif_and_xmp_leave_the_upload_accepted_with_no_metadata(uploaded, xmp):
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40)).save(buffer, "JPEG", exif=damaged_exif(), xmp=xmp)

    picture = uploaded(buffer.getvalue())

    assert set(picture.metadata) == {"file"}  # What the site needs of it, and nothing else.
    assert picture.camera_line == ""
    for name, data in served_files(picture).items():
        with Image.open(io.BytesIO(data)) as image:
            assert "xmp" not in image.info
        assert_nothing_private(name, data)


def test_metadata_beyond_its_limit_is_not_read():
    with Image.open(io.BytesIO(camera_file("JPEG"))) as image:
        assert metadata.read_metadata(image)["camera"]
        image.info["exif"] += b"\x00" * metadata.EXIF_MAX_BYTES
        image.info["xmp"] += b" " * XMP_MAX_BYTES
        assert metadata.read_metadata(image) == {}


@pytest.mark.parametrize("size", ["original", "web"])
def test_the_zip_download_keeps_the_credit_and_nothing_private(
    uploaded, owner, owner_client, project, size
):
    Profile.objects.create(user=owner, **PROFILE_CREDIT)
    from_file = uploaded(camera_file("HEIF"))
    from_profile = uploaded(camera_file("JPEG", xmp=b""), name="DSCF0002.jpg")

    response = owner_client.get(
        reverse("portfolio:project-download", kwargs={"slug": project.slug}), {"size": size}
    )

    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    assert len(entries) == 2
    credits = []
    for name, data in entries.items():
        assert_nothing_private(name, data)
        credits.append(credit_in(data))
    assert sorted(credits, key=str) == sorted([FILE_CREDIT, PROFILE_CREDIT], key=str)
    assert from_file.credit == FILE_CREDIT and from_profile.credit == PROFILE_CREDIT


def test_the_camera_line_is_in_the_page_only_when_the_project_shows_it(
    uploaded, owner_client, project, client
):
    uploaded(camera_file("JPEG"))
    page = project.get_absolute_url()

    hidden = client.get(page).content.decode()
    assert "X-T5" not in hidden and "data-details" not in hidden

    edit = reverse("portfolio:project-update", kwargs={"slug": project.slug})
    form = {
        "title": project.title,
        "slug": project.slug,
        "visibility": "public",
        "downloads": "none",
    }
    owner_client.post(edit, {**form, "show_camera_details": "on"})

    shown = client.get(page).content.decode()
    assert f'data-details="{CAMERA_LINE}"' in shown

    owner_client.post(edit, form)
    assert "data-details" not in client.get(page).content.decode()


def test_credit_xmp_escapes_what_it_writes():
    credit = {
        "creator": 'A "quoted" <b>name</b> & co',
        "copyright_notice": "© ]]> </rdf:li>",
        "rights_url": "javascript:alert(1)",  # not a web address: dropped
    }

    packet = metadata.credit_xmp(credit)

    assert metadata.read_credit_xmp(packet) == {
        "creator": 'A "quoted" <b>name</b> & co',
        "copyright_notice": "© ]]> </rdf:li>",
    }
    assert metadata.credit_xmp({"creator": " \x00 "}) is None


def test_credit_exif_holds_the_creator_and_copyright_as_utf_8_alone():
    exif = metadata.credit_exif({"creator": "Zoë Ōta", "copyright_notice": "© 2026", "x": "y"})

    read = Image.Exif()
    read.load(exif.tobytes())
    assert dict(read) == {
        ExifTags.Base.Artist: "Zoë Ōta".encode().decode("latin-1"),
        ExifTags.Base.Copyright: "© 2026".encode().decode("latin-1"),
    }
    assert dict(metadata.credit_exif({})) == {}


@pytest.mark.parametrize(
    ("camera", "line"),
    [
        (
            {"make": "NIKON CORPORATION", "model": "NIKON Z 6", "exposure_time": 2.0},
            "Nikon Z 6 · 2 s",
        ),
        ({"make": "Canon", "model": "Canon EOS R5", "aperture": 5.6}, "Canon EOS R5 · ƒ/5.6"),
        (
            {"make": "Apple", "model": "iPhone 15", "focal_length": 6.86},
            "Apple iPhone 15 · 6.9 mm",
        ),
        ({"model": "X100V", "exposure_time": 0.0166667, "iso": 6400}, "X100V · 1/60 s · ISO 6400"),
        ({"exposure_time": 0.25}, "1/4 s"),
        ({"exposure_time": 0.4}, "0.4 s"),
        ({"captured": "not a date"}, ""),
        ({}, ""),
    ],
)
def test_camera_line(camera, line):
    assert metadata.camera_line(camera) == line


@pytest.mark.parametrize("way", ["add_picture", "photo.save"])
def test_files_saved_through_the_model_get_the_owners_credit_too(project, owner, way):
    Profile.objects.create(user=owner, creator="Bo Owner")
    file = SimpleUploadedFile("photo.jpg", camera_file("JPEG", xmp=b""))

    if way == "add_picture":
        picture = project.add_picture(file)
    else:
        picture = Picture(project=project)
        picture.photo.save(file.name, file)

    picture.refresh_from_db()
    assert credit_in(original_bytes(picture)) == {"creator": "Bo Owner"}
    assert picture.camera_line == CAMERA_LINE


def test_the_embedded_thumbnail_is_not_kept(uploaded):
    thumbnail = io.BytesIO()
    Image.new("RGB", (16, 12), (250, 0, 0)).save(thumbnail, "JPEG", comment=b"UNCROPPED-ORIGINAL")
    exif = exif_with_thumbnail(thumbnail.getvalue())
    with Image.open(io.BytesIO(camera_file("JPEG", xmp=b"", exif=exif))) as sent:
        assert sent.getexif().get_ifd(ExifTags.IFD.IFD1)  # The thumbnail is there to drop.

    picture = uploaded(camera_file("JPEG", xmp=b"", exif=exif))

    assert picture.metadata["camera"] == {"make": "FUJIFILM"}
    for name, data in served_files(picture).items():
        assert b"UNCROPPED-ORIGINAL" not in data, name
        assert_nothing_private(name, data)
