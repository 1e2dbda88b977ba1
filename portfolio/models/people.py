"""People: what an owner says about themself once, for every picture they upload."""

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.urls import reverse

from portfolio.images.metadata import CREDIT_FIELDS


class Profile(models.Model):
    """
    An owner's credit defaults: written into each picture they upload whose file lacks them
    (images/metadata.py), so the files visitors download say who made them.

    A change counts for the pictures uploaded after it: a stored picture's files never change.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    creator = models.CharField(
        max_length=200, blank=True, help_text="Your name as the pictures' creator."
    )
    copyright_notice = models.CharField(
        max_length=500, blank=True, help_text="For example “© 2026 Ann Lee. All rights reserved.”"
    )
    credit_line = models.CharField(
        max_length=200, blank=True, help_text="How publishers should credit you."
    )
    rights_url = models.URLField(
        "web statement of rights",
        max_length=500,
        blank=True,
        # A page visitors open from the file or the JSON-LD: the web's addresses only.
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="A page that says how your pictures may be used, such as a licence.",
    )
    # What downloaded originals say besides the credit (images/originals.py): never where
    # they were taken, nor a serial number.
    camera_details_in_originals = models.BooleanField(
        "camera details in downloaded originals",
        default=False,
        help_text="Keep the camera, lens, exposure and capture date in the originals clients "
        "download. Location and serial numbers are always removed.",
    )

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    def get_absolute_url(self) -> str:
        return reverse("portfolio:profile")

    def credit_defaults(self) -> dict[str, str]:
        return {name: value for name in CREDIT_FIELDS if (value := getattr(self, name))}
