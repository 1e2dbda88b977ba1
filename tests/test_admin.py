"""Staff run everything from the admin; nobody else gets in."""

import io
import re

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from portfolio.access import original_bytes, public_storage
from portfolio.images.metadata import read_credit_xmp
from portfolio.models import Picture, Profile, Project
from tests.helpers import (
    admin_urls,
    exif_with_location,
    image_bytes,
    make_picture,
    make_project,
    make_user,
    multi_picture_jpeg,
    private_files,
    read_stored,
    stored_files,
    uploaded_image,
)
from tests.production.services import needs_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def picture():
    return make_picture(make_project(), caption="Dune at noon")


def test_admin_pages_load_for_staff(staff_client, picture):
    for url in admin_urls(picture):
        response = staff_client.get(url)
        assert response.status_code == 200, url


def test_admin_shows_thumbnails(staff_client, picture):
    picture.refresh_from_db()
    project_page = staff_client.get(f"/admin/portfolio/project/{picture.project.pk}/change/")
    picture_list = staff_client.get("/admin/portfolio/picture/")

    # The smallest rendition, public as its project is; never the original.
    smallest = public_storage().url(picture.renditions[0]["name"])
    assert f'<img src="{smallest}"' in project_page.content.decode()
    assert f'<img src="{smallest}"' in picture_list.content.decode()
    assert picture.photo.name not in picture_list.content.decode()


def test_admin_thumbnails_of_a_private_project_are_signed_for_the_staff_member(
    staff_client, picture, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # The move of its files.
        picture.project.visibility = "private"
        picture.project.save()
    picture.refresh_from_db()

    picture_list = staff_client.get("/admin/portfolio/picture/").content.decode()

    assert not picture.renditions_public
    assert 'src="/files/' in picture_list or "X-Amz-Signature=" in picture_list
    assert public_storage().url(picture.renditions[0]["name"]) not in picture_list


@pytest.mark.parametrize("who", ["anonymous", "owner"])
def test_admin_redirects_everyone_else_to_its_login(client, picture, who):
    if who == "owner":
        client.force_login(picture.project.owner)

    for url in admin_urls(picture):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


# The admin passes the same gate as the upload form -----------------------------------------

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
REFUSED = [
    pytest.param("old.bmp", lambda: image_bytes("BMP"), "BMP is not accepted", id="bmp"),
    pytest.param("scan.tif", lambda: image_bytes("TIFF"), "TIFF is not accepted", id="tiff"),
    pytest.param("logo.svg", lambda: SVG, "SVG is not accepted", id="svg"),
    pytest.param("cv.pdf", lambda: b"%PDF-1.7\n%%EOF\n", "PDF is not accepted", id="pdf"),
]
ACCEPTED_TEXT = "upload JPEG, PNG, WebP, GIF, AVIF or HEIC"


def add_in_admin(client, project, name: str, content: bytes, caption: str = ""):
    return client.post(
        "/admin/portfolio/picture/add/",
        {
            "project": project.pk,
            "photo": SimpleUploadedFile(name, content),
            "caption": caption,
            "position": 0,
        },
    )


def project_form_data(project, *rows: dict, existing: int = 0) -> dict:
    """The project's change form as the admin posts it, with these picture rows."""
    data = {
        "owner": project.owner_id,
        "title": project.title,
        "slug": project.slug,
        "category": "",
        "description": "",
        "visibility": "public",
        "downloads": "none",
        "cover": "",
        "pictures-TOTAL_FORMS": len(rows),
        "pictures-INITIAL_FORMS": existing,
        "pictures-MIN_NUM_FORMS": 0,
        "pictures-MAX_NUM_FORMS": 1000,
    }
    for index, row in enumerate(rows):
        data.update({f"pictures-{index}-{name}": value for name, value in row.items()})
    return data


def add_inline(client, project, name: str, content: bytes):
    row = {"project": project.pk, "photo": SimpleUploadedFile(name, content), "position": 0}
    return client.post(
        f"/admin/portfolio/project/{project.pk}/change/", project_form_data(project, row)
    )


def inline_errors(response) -> list:
    [formset] = response.context["inline_admin_formsets"]
    return formset.formset.errors


@pytest.mark.parametrize(("name", "make_content", "reason"), REFUSED)
def test_admin_add_form_refuses_what_the_upload_form_refuses(
    staff_client, name, make_content, reason
):
    project = make_project()

    response = add_in_admin(staff_client, project, name, make_content())

    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["photo"]
    assert error == f"{reason}: {ACCEPTED_TEXT}"
    assert not Picture.objects.exists()
    assert stored_files() == set()


@pytest.mark.parametrize(("name", "make_content", "reason"), REFUSED)
def test_admin_inline_refuses_what_the_upload_form_refuses(
    staff_client, name, make_content, reason
):
    project = make_project()

    response = add_inline(staff_client, project, name, make_content())

    assert response.status_code == 200
    assert inline_errors(response) == [{"photo": [f"{reason}: {ACCEPTED_TEXT}"]}]
    assert not Picture.objects.exists()
    assert stored_files() == set()


@pytest.mark.parametrize("way", ["add-form", "inline"])
def test_admin_stores_a_phone_photo_as_it_came_and_it_leaves_without_location(staff_client, way):
    project = make_project()
    photo = image_bytes("JPEG", (60, 40), exif=exif_with_location(orientation=6))

    add = add_in_admin if way == "add-form" else add_inline
    response = add(staff_client, project, "IMG_0001.jpg", photo)

    assert response.status_code == 302
    picture = Picture.objects.get()
    assert (picture.width, picture.height) == (40, 60)
    assert read_stored(picture.photo.name) == photo
    leaves = original_bytes(picture)
    assert b"SERIAL-12345" not in leaves and b"PhoneMaker" not in leaves
    assert private_files() == {picture.photo.name}


@pytest.mark.parametrize("way", ["add-form", "inline"])
def test_admin_stores_a_multi_picture_jpeg_as_it_came_and_it_leaves_as_its_first_picture(
    staff_client, way
):
    project = make_project()

    add = add_in_admin if way == "add-form" else add_inline
    response = add(staff_client, project, "stereo.mpo", multi_picture_jpeg())

    assert response.status_code == 302
    picture = Picture.objects.get()
    assert picture.photo.name.endswith(".jpg")
    assert read_stored(picture.photo.name) == multi_picture_jpeg()
    with Image.open(io.BytesIO(original_bytes(picture))) as leaving:
        assert leaving.format == "JPEG"
        assert getattr(leaving, "n_frames", 1) == 1


def test_admin_change_form_shows_the_photo_read_only_and_ignores_a_new_file(staff_client, picture):
    url = f"/admin/portfolio/picture/{picture.pk}/change/"
    form = staff_client.get(url).context["adminform"].form
    assert form.fields["photo"].disabled

    response = staff_client.post(
        url,
        {
            "project": picture.project_id,
            "photo": SimpleUploadedFile("other.png", image_bytes("PNG", (30, 30))),
            "caption": "Dune at dusk",
            "position": 0,
        },
    )

    assert response.status_code == 302
    stored = Picture.objects.get()
    assert stored.caption == "Dune at dusk"
    assert (stored.photo.name, stored.width) == (picture.photo.name, picture.width)
    assert private_files() == {picture.photo.name}


def test_admin_inline_keeps_existing_photos_read_only_and_gates_new_rows(staff_client, picture):
    project = picture.project
    existing = {
        "id": picture.pk,
        "project": project.pk,
        "photo": SimpleUploadedFile("other.png", image_bytes("PNG", (30, 30))),
        "caption": "Dune at dusk",
        "position": 0,
    }
    new = {"project": project.pk, "photo": uploaded_image("new.gif", "GIF"), "position": 1}

    response = staff_client.post(
        f"/admin/portfolio/project/{project.pk}/change/",
        project_form_data(project, existing, new, existing=1),
    )

    assert response.status_code == 302
    kept, added = Picture.objects.in_display_order()
    assert (kept.pk, kept.caption, kept.photo.name) == (
        picture.pk,
        "Dune at dusk",
        picture.photo.name,
    )
    assert added.photo.name.endswith(".gif")
    assert private_files() == {kept.photo.name, added.photo.name}


@pytest.mark.parametrize("way", ["add-form", "inline"])
def test_admin_fills_the_credit_a_file_lacks_from_the_owners_profile(staff_client, way):
    project = make_project()
    credit = {"creator": "Bo Owner", "copyright_notice": "© Bo Owner"}
    Profile.objects.create(user=project.owner, **credit)

    add = add_in_admin if way == "add-form" else add_inline
    response = add(staff_client, project, "photo.jpg", image_bytes("JPEG"))

    assert response.status_code == 302
    picture = Picture.objects.get()
    with Image.open(io.BytesIO(original_bytes(picture))) as leaving:
        assert read_credit_xmp(leaving.info["xmp"]) == credit
    assert picture.credit == {**credit, "credit_line": "", "rights_url": ""}


def test_admin_edits_profiles(staff_client):
    owner = make_user()

    response = staff_client.post(
        "/admin/portfolio/profile/add/",
        {"user": owner.pk, "creator": "Bo Owner", "copyright_notice": "", "credit_line": ""},
    )

    assert response.status_code == 302
    assert Profile.objects.get(user=owner).creator == "Bo Owner"


def test_staff_delete_projects_from_the_list_with_their_pictures_and_files(
    staff_client, django_capture_on_commit_callbacks
):
    # The list counts each project's pictures (an annotation): the delete's row locks must
    # still be taken, on PostgreSQL too.
    projects = [make_project(), make_project()]
    pictures = [make_picture(project) for project in projects]
    names = {picture.photo.name for picture in pictures}
    assert names <= private_files()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/portfolio/project/",
            {
                "action": "delete_selected",
                "_selected_action": [project.pk for project in projects],
                "post": "yes",
            },
        )

    assert response.status_code == 302
    assert not Picture.objects.filter(pk__in=[picture.pk for picture in pictures]).exists()
    assert not names & private_files()


# Lists at scale ----------------------------------------------------------------------------

LISTS = [
    "/admin/portfolio/project/",
    "/admin/portfolio/project/?q=Harbour",
    "/admin/portfolio/project/?q=Harbour+123",
    "/admin/portfolio/picture/",
    "/admin/portfolio/picture/?q=Harbour",
    "/admin/portfolio/picture/?q=Harbour+123",
]


def add_harbour_projects(count: int, pictures_each: int = 2) -> None:
    owner = make_user()
    for number in range(count):
        project = make_project(owner, title=f"Harbour {number}")
        for _ in range(pictures_each):
            make_picture(project, renditions=False)


def list_queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return [query["sql"] for query in queries.captured_queries]


def test_admin_lists_run_the_same_queries_however_many_rows(staff_client):
    add_harbour_projects(2)
    small = {url: len(list_queries(staff_client, url)) for url in LISTS}
    add_harbour_projects(30)

    assert {url: len(list_queries(staff_client, url)) for url in LISTS} == small


def test_admin_lists_never_count_every_row(staff_client, settings):
    settings.PORTFOLIO_ADMIN_COUNT_LIMIT = 5
    add_harbour_projects(4)

    for url in LISTS:
        queries = list_queries(staff_client, url)
        counts = [sql for sql in queries if sql.upper().startswith("SELECT COUNT(")]
        # The list's count, and a search's of each term's rows: each of at most the limit's
        # rows, never the whole table's beside them.
        searched = "?q=" in url and connection.vendor == "postgresql"  # By its indexes.
        terms = url.partition("?q=")[2].split("+") if searched else []
        assert len(counts) == 1 + len(terms), url
        limits = [re.search(r"LIMIT (\d+)", sql) for sql in counts]
        assert all(limit and int(limit[1]) <= 5 for limit in limits), url
    response = staff_client.get("/admin/portfolio/picture/?q=Harbour")
    assert response.context["cl"].result_count == 5
    assert response.context["cl"].full_result_count is None


def test_admin_project_list_counts_each_projects_pictures(staff_client):
    empty = make_project(title="Empty")
    full = make_project(title="Full")
    for _ in range(3):
        make_picture(full, renditions=False)

    response = staff_client.get("/admin/portfolio/project/")

    totals = {project.pk: project.picture_count for project in response.context["cl"].result_list}
    assert totals == {empty.pk: 0, full.pk: 3}
    ordered = staff_client.get("/admin/portfolio/project/?o=5")  # By the pictures column.
    assert [project.pk for project in ordered.context["cl"].result_list] == [empty.pk, full.pk]


# The search, through indexes ----------------------------------------------------------------
# On PostgreSQL (`make test`'s pass on the servers); on SQLite the admin's search is Django's.

SEARCHES = [
    "harbour",  # A project's title (and slug).
    "GULLS",  # A caption, whatever the case.
    "img_2001",  # An original file name.
    "boats",  # A project's description.
    "ada-lovelace",  # The owner's user name.
    "harbour ripples",  # Every term must match, each in a field of its own.
    '"in the harbour"',  # A quoted phrase is one term.
    "harbour nowhere",  # A term that matches nothing.
    "du",  # Too short for a trigram: Django's search alone.
    "dune wi",  # One term served by an index, one not.
]


@pytest.fixture
def searched():
    harbour = make_project(
        make_user("ada-lovelace"), title="Harbour at dawn", description="Fishing boats"
    )
    dune = make_project(make_user("bo"), title="Dune", description="Sand and wind")
    make_picture(harbour, caption="Gulls", original_filename="IMG_2001.jpg", renditions=False)
    make_picture(
        dune, caption="Ripples in the harbour", original_filename="DSC_7.jpg", renditions=False
    )
    make_picture(dune, original_filename="dune_01.jpg", renditions=False)


def django_search(model, search_term: str) -> set[int]:
    """The rows Django's own search finds, what ours must find too."""
    model_admin = admin.site._registry[model]
    found, _ = admin.ModelAdmin.get_search_results(
        model_admin, None, model._default_manager.all(), search_term
    )
    return set(found.values_list("pk", flat=True))


@pytest.mark.parametrize("model", [Picture, Project])
@pytest.mark.parametrize("search_term", SEARCHES)
def test_admin_search_finds_what_djangos_finds(staff_client, searched, model, search_term):
    url = f"/admin/portfolio/{model._meta.model_name}/"

    response = staff_client.get(url, {"q": search_term})

    found = {row.pk for row in response.context["cl"].result_list}
    assert found == django_search(model, search_term)


def test_admin_search_finds_by_every_field(staff_client, searched):
    def found(model, search_term: str) -> set[str]:
        url = f"/admin/portfolio/{model._meta.model_name}/"
        response = staff_client.get(url, {"q": search_term})
        return {str(row) for row in response.context["cl"].result_list}

    assert found(Picture, "gull") == {"Gulls"}
    assert found(Picture, "2001.JPG") == {"Gulls"}
    assert found(Picture, "at dawn") == {"Gulls"}
    assert found(Picture, "ripples HARBOUR") == {"Ripples in the harbour"}
    assert found(Picture, '"dune_0"') == {"dune_01.jpg"}
    assert found(Project, "dawn") == {"Harbour at dawn"}
    assert found(Project, "harbour-at") == {"Harbour at dawn"}  # The slug.
    assert found(Project, "sand") == {"Dune"}
    assert found(Project, "lovelace") == {"Harbour at dawn"}


def test_admin_search_of_a_common_term_finds_every_row(staff_client, settings, searched):
    # A term found in the limit's rows or more is left to Django's search: still all of them.
    settings.PORTFOLIO_ADMIN_COUNT_LIMIT = 2

    response = staff_client.get("/admin/portfolio/picture/", {"q": "jpg"})

    assert {row.pk for row in response.context["cl"].result_list} == django_search(Picture, "jpg")
    assert len(response.context["cl"].result_list) == 3


TRIGRAM_INDEXES = {
    Picture: {"picture_caption_trgm_idx", "picture_filename_trgm_idx", "project_title_trgm_idx"},
    Project: {"project_title_trgm_idx", "project_slug_trgm_idx", "project_description_trgm_idx"},
}


@needs_postgres
@pytest.mark.parametrize("model", [Picture, Project])
def test_admin_search_reads_the_trigram_indexes_on_postgresql(staff_client, searched, model):
    url = f"/admin/portfolio/{model._meta.model_name}/?q=harbour+dawn"
    searches = [sql for sql in list_queries(staff_client, url) if " LIKE " in sql]

    plans = []
    with connection.cursor() as cursor:
        # Tables of three rows are read whole otherwise: this asks whether an index can
        # serve each query, as it does at a million rows (docs/scale.md). Plain index scans
        # off too: on three rows the planner may read a whole B-tree with a filter, which
        # answers nothing about the trigram indexes.
        switches = ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan")
        for switch in switches:
            cursor.execute(f"SET {switch} = off")
        try:
            for sql in searches:
                cursor.execute(f"EXPLAIN {sql}")
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        finally:
            for switch in switches:
                cursor.execute(f"RESET {switch}")

    scanned = {name for plan in plans for name in re.findall(r"Bitmap Index Scan on (\w+)", plan)}
    assert TRIGRAM_INDEXES[model] <= scanned
    for plan in plans:
        assert not re.search(r"Seq Scan on portfolio_(picture|project)", plan), plan
