"""
ZIPs under load, from the views: each open stream holds a slot, beyond the limits a 429 with
Retry-After and a page that says what to do; a closed stream or a lease run out frees its slot.
"""

import gc
import io
import weakref
import zipfile
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portfolio.models import DownloadSlot, Picture, ShareLink
from tests.helpers import make_picture, make_project, make_stored_pictures, make_user, signed_in

pytestmark = pytest.mark.django_db

ANNA, BEN = "203.0.113.7", "198.51.100.2"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.PORTFOLIO_ZIP_DOWNLOADS_PER_CLIENT = 2
    settings.PORTFOLIO_ZIP_DOWNLOADS_TOTAL = 3
    settings.PORTFOLIO_ZIP_LEASE_SECONDS = 300


@pytest.fixture
def project():
    project = make_project(visibility="unlisted")
    for number in (1, 2):
        make_picture(project, original_filename=f"Dune {number}.jpg")
    return project


def zip_url(link: ShareLink) -> str:
    return reverse("portfolio:share-download", kwargs={"token": link.token}) + "?size=original"


def make_link(project) -> ShareLink:
    return ShareLink.objects.create(project=project, label="for Anna", downloads="originals")


def read_whole(response) -> list[str]:
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert archive.testzip() is None
        return archive.namelist()


def assert_busy(response, says: str) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "attachment" not in response.get("Content-Disposition", "")
    assert says in response.content.decode()
    assert "Too many downloads at once" in response.content.decode()


def test_one_client_gets_two_zips_at_once_and_a_429_beyond(project):
    url = zip_url(make_link(project))
    client = Client()
    open_streams = [client.get(url, REMOTE_ADDR=ANNA) for _ in range(2)]
    assert [response.status_code for response in open_streams] == [200, 200]

    refused = client.get(url, REMOTE_ADDR=ANNA)

    assert_busy(refused, "2 ZIPs at once already")
    assert refused["X-Robots-Tag"] == "noindex, nofollow"  # Still a share page's answer.
    # Another address is another client; the refusal took no slot.
    assert read_whole(Client().get(url, REMOTE_ADDR=BEN)) == ["Dune 1.jpg", "Dune 2.jpg"]
    assert DownloadSlot.objects.count() == 2
    # Once one of them has been read to its end, the client may start another.
    read_whole(open_streams[0])
    assert read_whole(client.get(url, REMOTE_ADDR=ANNA)) == ["Dune 1.jpg", "Dune 2.jpg"]


def test_the_total_holds_across_links_and_users(project):
    open_streams = [Client().get(zip_url(make_link(project)), REMOTE_ADDR=ANNA) for _ in range(2)]
    owner_zip = reverse("portfolio:project-download", kwargs={"slug": project.slug})
    open_streams.append(signed_in(project.owner).get(owner_zip, REMOTE_ADDR=BEN))
    assert [response.status_code for response in open_streams] == [200, 200, 200]

    refused = signed_in(make_user(is_staff=True)).get(owner_zip, REMOTE_ADDR=BEN)

    assert_busy(refused, "Many people are downloading ZIPs right now")
    assert "private" in refused["Cache-Control"]
    assert DownloadSlot.objects.count() == 3


# A server closes the response as a finished request, which closes the database connection:
# outside a test transaction, as in production.
@pytest.mark.django_db(transaction=True)
def test_a_stream_closed_mid_way_frees_its_slot(project):
    url = zip_url(make_link(project))
    client = Client()
    streams = [client.get(url, REMOTE_ADDR=ANNA) for _ in range(2)]
    next(iter(streams[0].streaming_content))  # The client read a little, then went away.
    streams[0].close()
    streams[1].close()  # And one whose first byte was never asked for.

    assert DownloadSlot.objects.count() == 0
    for _ in range(2):
        assert read_whole(client.get(url, REMOTE_ADDR=ANNA)) == ["Dune 1.jpg", "Dune 2.jpg"]


def test_slots_of_abandoned_streams_free_themselves_when_their_lease_runs_out(
    project, monkeypatch
):
    url = zip_url(make_link(project))
    client = Client()
    for _ in range(2):  # Never read, never closed: a process that died with them.
        assert client.get(url, REMOTE_ADDR=ANNA).status_code == 200
    assert client.get(url, REMOTE_ADDR=ANNA).status_code == 429

    later = timezone.now() + timedelta(seconds=301)
    monkeypatch.setattr("portfolio.models.downloads.timezone", SimpleNamespace(now=lambda: later))

    assert read_whole(client.get(url, REMOTE_ADDR=ANNA)) == ["Dune 1.jpg", "Dune 2.jpg"]
    assert DownloadSlot.objects.count() == 0  # The dead ones went, the finished one too.


def test_a_stream_that_moves_renews_its_lease(project, monkeypatch):
    url = zip_url(make_link(project))
    chunks = iter(Client().get(url, REMOTE_ADDR=ANNA).streaming_content)
    next(chunks)
    started = timezone.now()

    def move_clock(seconds: int):
        later = started + timedelta(seconds=seconds)
        clock = SimpleNamespace(now=lambda: later)
        monkeypatch.setattr("portfolio.models.downloads.timezone", clock)
        return later

    later = move_clock(200)  # A slow reader: the next chunk, 200 s on.
    next(chunks)
    assert DownloadSlot.objects.get().lease_until == later + timedelta(seconds=300)
    move_clock(450)  # Past its first lease: still held, whoever counts.
    Client().get(url, REMOTE_ADDR=BEN)
    assert DownloadSlot.objects.filter(address=ANNA).exists()


def test_nothing_to_download_takes_no_slot(project):
    link = ShareLink.objects.create(project=project, label="for Anna", downloads="none")
    url = reverse("portfolio:share-download", kwargs={"token": link.token})

    assert Client().get(url, REMOTE_ADDR=ANNA).status_code == 404
    assert DownloadSlot.objects.count() == 0


def test_a_zip_of_originals_asks_the_owners_profile_once_whatever_it_holds(project):
    link = make_link(project)

    def queries_for_the_zip() -> int:
        with CaptureQueriesContext(connection) as context:
            read_whole(Client(REMOTE_ADDR=ANNA).get(zip_url(link)))
        return sum("portfolio_profile" in query["sql"] for query in context.captured_queries)

    assert queries_for_the_zip() == 1
    for number in range(3, 7):
        make_picture(project, original_filename=f"Dune {number}.jpg")
    assert queries_for_the_zip() == 1


# A ZIP of thousands: its rows read as the stream reaches them --------------------------------


def stream_zip_of(project) -> tuple[list[str], int, bytes]:
    """
    The SQL of the queries of the project's pictures that a ZIP of their web sizes made, the
    most pictures held at once while it streamed (counted every 100 chunks, once the
    collector has freed what nothing holds), and the ZIP.
    """
    alive, most = set(), 0

    def made(sender, instance, **kwargs) -> None:
        alive.add(id(instance))
        weakref.finalize(instance, alive.discard, id(instance))

    url = reverse("portfolio:project-download", kwargs={"slug": project.slug})
    post_init.connect(made, sender=Picture, dispatch_uid="count_pictures_alive")
    try:
        with CaptureQueriesContext(connection) as queries:
            chunks = []
            for number, chunk in enumerate(Client(REMOTE_ADDR=ANNA).get(url).streaming_content):
                chunks.append(chunk)
                if number % 100 == 0:
                    gc.collect()
                    most = max(most, len(alive))
    finally:
        post_init.disconnect(sender=Picture, dispatch_uid="count_pictures_alive")
    pictures = [query["sql"] for query in queries if 'FROM "portfolio_picture"' in query["sql"]]
    return pictures, most, b"".join(chunks)


def test_a_zip_of_a_thousand_pictures_holds_a_query_of_rows_at_most(settings):
    settings.PORTFOLIO_ZIP_ROWS_PER_FETCH = 50
    small, large = (make_project(visibility="public", downloads="web") for _ in "ab")
    make_stored_pictures(small, 10)
    made = make_stored_pictures(large, 1000)

    small_queries, small_most, _ = stream_zip_of(small)
    large_queries, large_most, content = stream_zip_of(large)

    # Each query as cheap as the first: the next 50 after the last read, never an OFFSET.
    assert len(small_queries) == 1
    assert len(large_queries) == 1000 // 50 + 1  # And one that finds none left.
    assert all(query.endswith("LIMIT 50") for query in large_queries)
    assert "OFFSET" not in "".join(large_queries)
    assert small_most <= 10
    assert large_most <= 50 + 2  # A query's rows, the first picture, the one being written.
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [f"Shoot {number}.jpg" for number in range(1000)]
        assert archive.read("Shoot 7.jpg") == made[7].web_size.encode()
