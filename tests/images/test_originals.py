"""
Exact originals, byte by byte: files as cameras and phones write them are stored as they came,
and leave (downloaded alone, in a ZIP, through the file view) with their compressed picture data
untouched, without location or serial numbers, with the creator and copyright. A polyglot (a
JPEG that is also a page) is stored, and only ever sent as an attachment that is never sniffed.
"""

import io
import zipfile

import exiv2
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageCms, PngImagePlugin

from portfolio.access import (
    grant_for,
    original_bytes,
    original_storage,
    signed_file_url,
    url_expiry,
)
from portfolio.images import isobmff
from portfolio.images.originals import as_it_leaves
from portfolio.models import Picture, Profile
from tests.fetching import fetch
from tests.helpers import display_p3_like, read_stored

pytestmark = pytest.mark.django_db

BODY_SERIAL = "BODY-SN-4242"
LENS_SERIAL = "LENS-SN-0707"
MAKER_NOTE_SERIAL = "MAKERNOTE-SN-9999"
PLACE = "Sidi Bou Said"
CREATOR, COPYRIGHT = "Ann Lee", "© 2026 Ann Lee"
SECRETS = (BODY_SERIAL, LENS_SERIAL, MAKER_NOTE_SERIAL, PLACE, "GPSInfo", "GPSLatitude")


def with_camera_metadata(data: bytes, *, iptc: bool = True) -> bytes:
    """The picture with what a camera and Lightroom write, set by exiv2 as they would."""
    image = exiv2.ImageFactory.open(data)
    image.readMetadata()
    exif = image.exifData()
    exif["Exif.Image.Make"] = "FUJIFILM"
    exif["Exif.Image.Model"] = "X-T5"
    exif["Exif.Image.Orientation"] = 1
    exif["Exif.Image.Artist"] = CREATOR
    exif["Exif.Photo.BodySerialNumber"] = BODY_SERIAL
    exif["Exif.Photo.LensSerialNumber"] = LENS_SERIAL
    exif["Exif.Photo.DateTimeOriginal"] = "2026:05:12 10:22:33"
    exif["Exif.Photo.MakerNote"] = exiv2.DataValue(f"FUJIFILM {MAKER_NOTE_SERIAL}".encode())
    exif["Exif.GPSInfo.GPSLatitudeRef"] = "N"
    exif["Exif.GPSInfo.GPSLatitude"] = "36/1 52/1 0/1"
    exif["Exif.GPSInfo.GPSLongitudeRef"] = "E"
    exif["Exif.GPSInfo.GPSLongitude"] = "10/1 20/1 0/1"
    xmp = image.xmpData()
    xmp["Xmp.dc.rights"] = COPYRIGHT
    xmp["Xmp.photoshop.City"] = PLACE
    xmp["Xmp.aux.SerialNumber"] = BODY_SERIAL
    if iptc:
        image.iptcData()["Iptc.Application2.City"] = PLACE
        image.iptcData()["Iptc.Application2.Byline"] = CREATOR
    image.writeMetadata()
    written = image.io()
    return bytes(written.mmap()[: written.size()])


def thumbnail_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = 1
    return exif


def camera_jpeg() -> bytes:
    """A camera's JPEG: EXIF with maker notes, GPS, serials and a thumbnail; XMP; IPTC."""
    picture = Image.effect_noise((320, 240), 60).convert("RGB")
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=92)
    data = with_camera_metadata(buffer.getvalue())
    image = exiv2.ImageFactory.open(data)
    image.readMetadata()
    thumbnail = io.BytesIO()
    picture.resize((160, 120)).save(thumbnail, "JPEG")
    exiv2.ExifThumb(image.exifData()).setJpegThumbnail(thumbnail.getvalue())
    image.writeMetadata()
    written = image.io()
    return bytes(written.mmap()[: written.size()])


def phone_heic() -> bytes:
    """A phone's HEIC with its EXIF (GPS, serial) and XMP, as pillow-heif writes them."""
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x013B] = CREATOR.encode()  # UTF-8, as phones write it (Pillow would write "?")
    exif[0x8298] = COPYRIGHT.encode()
    exif.get_ifd(0x8769)[0xA431] = BODY_SERIAL
    exif.get_ifd(0x8825).update({1: "N", 2: (36.0, 52.0, 0.0), 3: "E", 4: (10.0, 20.0, 0.0)})
    xmp = (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">'
        f"<photoshop:City>{PLACE}</photoshop:City></rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    )
    buffer = io.BytesIO()
    Image.effect_noise((128, 96), 60).convert("RGB").save(
        buffer, "HEIF", exif=exif.tobytes(), xmp=xmp.encode()
    )
    return buffer.getvalue()


def exported_png() -> bytes:
    """A PNG with eXIf, an XMP iTXt chunk and tEXt chunks, as editors export them."""
    exif = Image.Exif()
    exif[0x013B] = CREATOR.encode()  # UTF-8, as phones write it (Pillow would write "?")
    exif[0x8298] = COPYRIGHT.encode()
    exif.get_ifd(0x8769)[0xA431] = BODY_SERIAL
    exif.get_ifd(0x8825).update({1: "N", 2: (36.0, 52.0, 0.0)})
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", PLACE)
    info.add_text("Comment", f"shot on body {BODY_SERIAL}")
    info.add_itxt("XML:com.adobe.xmp", f"<x:xmpmeta>{PLACE}</x:xmpmeta>")
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    Image.effect_noise((96, 64), 60).convert("RGB").save(
        buffer, "PNG", pnginfo=info, exif=exif.tobytes(), icc_profile=srgb
    )
    return buffer.getvalue()


def exported_webp() -> bytes:
    """A WebP with EXIF and XMP chunks."""
    buffer = io.BytesIO()
    Image.effect_noise((96, 64), 60).convert("RGB").save(buffer, "WEBP", quality=80)
    return with_camera_metadata(buffer.getvalue(), iptc=False)


# The compressed picture data, read here independently of the code under test.


def jpeg_picture_data(data: bytes) -> bytes:
    """The tables, frame header and scans of a JPEG's first picture: all but APPn and COM."""
    kept, position = [], 2
    while position < len(data):
        marker = data[position + 1]
        if marker == 0xD9:
            break
        end = position + 2 + int.from_bytes(data[position + 2 : position + 4])
        if marker == 0xDA:
            end = data.index(b"\xff\xd9", end)  # noise JPEGs: no FF D9 inside the scan
            kept.append(data[position:end])
            break
        if not (0xE0 <= marker <= 0xEF or marker == 0xFE):
            kept.append(data[position:end])
        position = end
    return b"".join(kept)


def png_picture_data(data: bytes) -> bytes:
    chunks, position = [], 8
    while position < len(data):
        length = int.from_bytes(data[position : position + 4])
        if data[position + 4 : position + 8] in (b"IHDR", b"IDAT", b"PLTE"):
            chunks.append(data[position : position + 12 + length])
        position += 12 + length
    return b"".join(chunks)


def webp_picture_data(data: bytes) -> bytes:
    chunks, position = [], 12
    while position < len(data):
        size = int.from_bytes(data[position + 4 : position + 8], "little")
        if data[position : position + 4] in (b"VP8 ", b"VP8L", b"ALPH"):
            chunks.append(data[position : position + 8 + size])
        position += 8 + size + (size & 1)
    return b"".join(chunks)


def assert_heic_picture_data_equal(upload: bytes, leaving: bytes) -> None:
    """Same length, and every byte the same outside the Exif and XMP items."""
    assert len(leaving) == len(upload)
    regions = isobmff.metadata_extents(upload)
    kinds = {kind for kind, _, _ in regions}
    assert kinds == {b"Exif", b"mime"}
    for kind, start, length in regions:  # The items are where the metadata is.
        signature = b"Exif\x00\x00" if kind == b"Exif" else b"<?xpacket"
        assert signature in upload[start : start + length]
    masked_upload, masked_leaving = bytearray(upload), bytearray(leaving)
    for _, start, length in regions:
        masked_upload[start : start + length] = masked_leaving[start : start + length] = bytes(
            length
        )
    assert masked_leaving == masked_upload


def assert_leaves_clean(name: str, data: bytes) -> None:
    for secret in SECRETS:
        assert secret.encode() not in data, f"{secret} in {name}"
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        assert exif.get_ifd(0x8825) == {}, name  # GPS
        assert not {0xA431, 0xA435, 0x927C} & set(exif.get_ifd(0x8769)), name  # serials, notes
        assert exif.get_ifd(0x0001) == {}, name  # the embedded thumbnail's IFD1
        assert "photoshop" not in image.info and "comment" not in image.info


def assert_credit(name: str, data: bytes, *, in_xmp: bool = True) -> None:
    with Image.open(io.BytesIO(data)) as image:
        packet = image.info.get("xmp") or b""
        packet = packet.encode() if isinstance(packet, str) else packet
        exif = image.getexif()
    if in_xmp:
        assert CREATOR.encode() in packet and COPYRIGHT.encode() in packet, name
    # EXIF's text is UTF-8 here; Pillow reads it as Latin-1.
    assert exif.get(0x013B).encode("latin-1").decode() == CREATOR, name
    assert exif.get(0x8298).encode("latin-1").decode() == COPYRIGHT, name


@pytest.fixture
def uploaded(owner_client, project, django_capture_on_commit_callbacks):
    """Upload through the real form, renditions made as the commit's callbacks run."""

    def upload_one(content: bytes, name: str) -> Picture:
        file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
        url = reverse("portfolio:picture-upload", kwargs={"slug": project.slug})
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(url, {"photos": [file]})
        assert response.status_code == 302, response.content
        return Picture.objects.latest("pk")

    return upload_one


def downloaded_original(owner_client, picture: Picture) -> bytes:
    url = reverse(
        "portfolio:picture-download", kwargs={"slug": picture.project.slug, "pk": picture.pk}
    )
    response = owner_client.get(url, {"size": "original"})
    assert response.status_code == 302
    status, content, headers = fetch(owner_client, response["Location"])
    assert status == 200
    assert headers["Content-Disposition"].startswith("attachment")
    assert headers["X-Content-Type-Options"] == "nosniff"
    return content


CAMERA_FILES = [
    pytest.param(camera_jpeg, "DSCF0001.jpg", jpeg_picture_data, id="camera-jpeg"),
    pytest.param(exported_png, "export.png", png_picture_data, id="png"),
    pytest.param(exported_webp, "export.webp", webp_picture_data, id="webp"),
    pytest.param(phone_heic, "IMG_0001.HEIC", None, id="phone-heic"),
]


@pytest.mark.parametrize(("make", "name", "picture_data"), CAMERA_FILES)
def test_an_original_leaves_with_its_picture_data_and_credit_and_no_location_or_serial(
    uploaded, owner_client, owner, make, name, picture_data
):
    Profile.objects.create(user=owner, creator=CREATOR, copyright_notice=COPYRIGHT)
    upload = make()
    for secret in (BODY_SERIAL, PLACE):
        assert secret.encode() in upload  # The fixture carries what must not leave.

    picture = uploaded(upload, name)

    assert read_stored(picture.photo.name) == upload  # Stored byte for byte.
    leaving = downloaded_original(owner_client, picture)
    assert leaving == original_bytes(picture)
    if picture_data is None:
        assert picture.photo.name.endswith(".heic")  # A HEIC is delivered as HEIC.
        assert_heic_picture_data_equal(upload, leaving)
    else:
        assert picture_data(leaving) == picture_data(upload)
    assert_leaves_clean("the original", leaving)
    # A HEIC's items are rewritten at their own length: a phone's XMP item is too small
    # for the credit, which its EXIF item holds.
    assert_credit("the original", leaving, in_xmp=picture_data is not None)
    # The web size and every rendition: no location, no serial either.
    for stored in picture.rendition_names:
        assert_leaves_clean(stored, read_stored(stored))
    assert_credit("the web size", read_stored(picture.web_size))


def test_the_zip_of_originals_carries_them_as_they_leave(uploaded, owner_client, owner, project):
    Profile.objects.create(user=owner, creator=CREATOR, copyright_notice=COPYRIGHT)
    jpeg, heic = uploaded(camera_jpeg(), "DSCF0001.jpg"), uploaded(phone_heic(), "IMG.HEIC")

    response = owner_client.get(
        reverse("portfolio:project-download", kwargs={"slug": project.slug}),
        {"size": "original"},
    )

    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    assert entries == {"DSCF0001.jpg": original_bytes(jpeg), "IMG.heic": original_bytes(heic)}
    for name, data in entries.items():
        assert_leaves_clean(name, data)


def test_an_original_that_cannot_leave_is_a_note_in_the_zip_not_an_error(
    uploaded, owner_client, project
):
    kept, damaged = (
        uploaded(camera_jpeg(), "DSCF0001.jpg"),
        uploaded(camera_jpeg(), "DSCF0002.jpg"),
    )
    # A file damaged in storage after it was judged: the only way to make one here.
    storage = original_storage()
    storage.delete(damaged.photo.name)
    storage.save(damaged.photo.name, ContentFile(b"not a picture any more"))

    response = owner_client.get(
        reverse("portfolio:project-download", kwargs={"slug": project.slug}),
        {"size": "original"},
    )

    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    assert set(entries) == {"DSCF0001.jpg", "DSCF0002.jpg (not sent).txt"}
    assert entries["DSCF0001.jpg"] == original_bytes(kept)
    assert entries["DSCF0002.jpg (not sent).txt"].startswith(b"DSCF0002.jpg: ")


def test_the_profile_may_keep_the_camera_details_never_the_location(uploaded, owner_client, owner):
    Profile.objects.create(user=owner, camera_details_in_originals=True)

    picture = uploaded(camera_jpeg(), "DSCF0001.jpg")

    leaving = downloaded_original(owner_client, picture)
    with Image.open(io.BytesIO(leaving)) as image:
        exif = image.getexif()
        assert exif[0x010F] == "FUJIFILM" and exif[0x0110] == "X-T5"
        assert exif.get_ifd(0x8769)[0x9003] == "2026:05:12 10:22:33"
    assert_leaves_clean("the original", leaving)


def display_and_camera_exif() -> Image.Exif:
    """EXIF with the tags that say how to show the pixels, the camera's, and a serial."""
    exif = Image.Exif()
    exif.update({0x0112: 1, 0x011A: 72.0, 0x011B: 72.0, 0x0128: 2, 0x010F: "Apple"})
    exif.get_ifd(0x8769).update(
        {
            0x9000: b"0232",  # ExifVersion
            0xA001: 1,  # ColorSpace
            0xA002: 128,  # PixelXDimension
            0xA003: 96,  # PixelYDimension
            0x9003: "2026:05:12 10:22:33",  # DateTimeOriginal
            0x829D: 2.8,  # FNumber
            0xA431: BODY_SERIAL,
        }
    )
    return exif


def kept_tags(data: bytes) -> tuple[set[int], set[int]]:
    """The tags an original leaves with, in IFD0 (the credit and the pointer aside) and Exif."""
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return set(exif) - {0x013B, 0x8298, 0x8769}, set(exif.get_ifd(0x8769))


@pytest.mark.parametrize("camera_details", [False, True])
def test_a_heic_keeps_the_same_tags_as_a_jpeg(camera_details):
    exif = display_and_camera_exif().tobytes()
    jpeg, heic = io.BytesIO(), io.BytesIO()
    Image.effect_noise((128, 96), 60).convert("RGB").save(jpeg, "JPEG", exif=exif)
    Image.effect_noise((128, 96), 60).convert("RGB").save(heic, "HEIF", exif=exif)
    credit = {"creator": CREATOR}

    from_jpeg = kept_tags(as_it_leaves(jpeg.getvalue(), credit, camera_details=camera_details))
    from_heic = kept_tags(as_it_leaves(heic.getvalue(), credit, camera_details=camera_details))

    assert from_heic == from_jpeg
    display = ({0x0112, 0x011A, 0x011B, 0x0128}, {0x9000, 0xA001, 0xA002, 0xA003})
    camera = ({0x010F}, {0x9003, 0x829D}) if camera_details else (set(), set())
    assert from_heic == (display[0] | camera[0], display[1] | camera[1])


def test_the_web_size_is_a_2048_px_srgb_jpeg_with_the_credit(uploaded, owner):
    Profile.objects.create(user=owner, creator=CREATOR, copyright_notice=COPYRIGHT)
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 2000), (200, 90, 40)).save(
        buffer, "PNG", icc_profile=display_p3_like()
    )

    picture = uploaded(buffer.getvalue(), "big.png")

    with Image.open(io.BytesIO(read_stored(picture.web_size))) as web_size:
        assert web_size.format == "JPEG"
        assert web_size.size == (2048, 1365)
        assert web_size.mode == "RGB"
        assert "icc_profile" not in web_size.info  # sRGB, as a file without a profile is.
    assert_credit("the web size", read_stored(picture.web_size))
    assert [record["width"] for record in picture.renditions] == [480, 720, 960, 1200, 1600, 2400]


# A polyglot: a valid JPEG whose bytes a browser sniffing them would take for a page.
POLYGLOT_PAGE = b"<html><body><script>document.title='polyglot ran'</script></body></html>"


def polyglot_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 200)).save(buffer, "JPEG", comment=POLYGLOT_PAGE)
    return buffer.getvalue() + POLYGLOT_PAGE


def test_a_polyglot_is_stored_and_only_ever_sent_as_an_attachment_never_sniffed(
    uploaded, owner_client, owner, project
):
    polyglot = polyglot_jpeg()
    with Image.open(io.BytesIO(polyglot)) as image:
        image.load()  # A valid JPEG…
    assert POLYGLOT_PAGE in polyglot  # …that is also a page.

    picture = uploaded(polyglot, "page.jpg")

    assert read_stored(picture.photo.name) == polyglot
    leaving = downloaded_original(owner_client, picture)
    assert b"<script>" not in leaving
    # A URL signed for showing it in a page (no file name) is refused: it is never shown.
    grant = grant_for(project, user=owner)
    url = signed_file_url(picture, picture.photo.name, False, grant, url_expiry())
    assert fetch(owner_client, url)[0] == 404
    # And no page shows it.
    html = owner_client.get(project.get_absolute_url()).content.decode()
    assert picture.photo.name.rsplit("/", 1)[1] not in html
