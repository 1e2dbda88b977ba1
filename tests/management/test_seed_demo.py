"""The demo content that `make run` shows a newcomer."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from PIL import Image

from portfolio.models import Category, Picture, Project

pytestmark = pytest.mark.django_db


def test_seed_demo_draws_real_pictures_and_is_idempotent():
    call_command("seed_demo", verbosity=0)
    counts = (Category.objects.count(), Project.objects.count(), Picture.objects.count())

    call_command("seed_demo", verbosity=0)

    assert counts == (Category.objects.count(), Project.objects.count(), Picture.objects.count())
    assert Project.objects.public().count() >= 6
    assert Project.objects.filter(visibility="private").exists()
    users = get_user_model().objects
    assert users.get(username="demo-staff").is_staff
    assert not users.get(username="demo-owner").is_staff
    for picture in Picture.objects.all():
        with picture.photo.open("rb"), Image.open(picture.photo) as image:
            assert image.size == (picture.width, picture.height)
            assert image.format == "JPEG"
        assert picture.caption


def test_seed_demo_if_empty_leaves_existing_content_alone():
    call_command("seed_demo", verbosity=0)
    Project.objects.filter(title="Desert Lines").delete()

    call_command("seed_demo", if_empty=True, verbosity=0)

    assert not Project.objects.filter(title="Desert Lines").exists()
