"""
Lighthouse on the pages visitors land on: the gallery, a project page and a client's share
page (its favourites bar and downloads on).

Accessibility, best practices and SEO are judged from the page itself, so they are
asserted here, at 100, on a phone and on a desktop. Performance is a timing: `make bench`
measures it (figure 8) on the production server, never a test. A share page is kept out of
search engines on purpose (noindex): that one SEO audit, "is-crawlable", is its only failure.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

from portfolio.models import ShareLink
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.helpers import make_picture, make_project

pytestmark = pytest.mark.django_db(transaction=True)

LIGHTHOUSE = Path(__file__).parent / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ["accessibility", "best-practices", "seo"]


@pytest.fixture
def project():
    project = make_project(
        title="Harbour at Dawn",
        description="Fishing boats coming in before sunrise, and the town waking up.",
    )
    for number, size in enumerate([(300, 200), (200, 300), (400, 200), (240, 240)], start=1):
        make_picture(project, size=size, caption=f"Boats at the quay, {number}")
    make_project(title="Winter Coast")
    return project


def lighthouse(url: str, form_factor: str) -> dict:
    """Lighthouse's report on `url` (Chromium started by Lighthouse), as its JSON."""
    if not LIGHTHOUSE.exists():
        pytest.fail(
            f"Lighthouse is missing ({LIGHTHOUSE}): `make test` installs it with npm ci.",
            pytrace=False,
        )
    command = [
        str(LIGHTHOUSE),
        url,
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json",
        "--quiet",
        f"--chrome-flags=--headless=new {' '.join(CHROMIUM_ARGS)}",
    ]
    if form_factor == "desktop":
        command.append("--preset=desktop")
    result = subprocess.run(
        command,
        env={**os.environ, "CHROME_PATH": str(CHROMIUM)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def failed_audits(report: dict, category: str) -> list[str]:
    audits = report["audits"]
    return [
        f"{reference['id']}: {audits[reference['id']]['title']}"
        for reference in report["categories"][category]["auditRefs"]
        if reference["weight"] and audits[reference["id"]]["score"] not in (1, None)
    ]


@pytest.mark.parametrize("form_factor", ["mobile", "desktop"])
@pytest.mark.parametrize("landing", ["gallery", "project", "share"])
def test_the_pages_visitors_land_on_score_100(live_server, project, landing, form_factor):
    if landing == "share":
        link = ShareLink.objects.create(
            project=project, downloads="originals", allows_favourites=True, favourite_limit=3
        )
        path = link.get_absolute_url()
    else:
        path = "/" if landing == "gallery" else project.get_absolute_url()

    report = lighthouse(f"{live_server.url}{path}", form_factor)

    assert "runtimeError" not in report, report.get("runtimeError")
    assert report["finalDisplayedUrl"] == f"{live_server.url}{path}"
    failures = {category: failed_audits(report, category) for category in CATEGORIES}
    if landing == "share":
        assert [audit.split(":")[0] for audit in failures.pop("seo")] == ["is-crawlable"]
    scores = {category: report["categories"][category]["score"] for category in failures}
    assert scores == dict.fromkeys(failures, 1), failures
