"""settle_media: what a stopped worker or an older release left, put right."""

import io

import pytest
from django.core.management import call_command

from portfolio.models import Project, PublicTotals
from tests.helpers import make_project, make_stored_pictures

pytestmark = pytest.mark.django_db


def test_settle_media_counts_each_projects_pictures_afresh():
    wedding, empty = make_project(), make_project()
    make_stored_pictures(wedding, 3)
    # As the previous release leaves it: rows added and deleted without the count.
    Project.objects.filter(pk=wedding.pk).update(picture_count=1)
    Project.objects.filter(pk=empty.pk).update(picture_count=2)
    out = io.StringIO()

    call_command("settle_media", stdout=out)

    assert dict(Project.objects.values_list("pk", "picture_count")) == {wedding.pk: 3, empty.pk: 0}
    assert "Pictures of 2 project(s) counted." in out.getvalue()
    # The sitemap's counts followed, by their triggers, and are counted afresh too.
    assert PublicTotals.current() == (2, 3)
    assert "2 public project(s) of 3 picture(s) counted." in out.getvalue()


def test_settle_media_counts_the_public_projects_afresh():
    make_stored_pictures(make_project(), 2)
    PublicTotals.objects.update(projects=7, pictures=70)  # As a restore might leave it.

    call_command("settle_media", stdout=io.StringIO())

    assert PublicTotals.current() == (1, 2)
