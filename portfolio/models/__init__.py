"""The app's models, one module per concern; import them from here."""

from portfolio.models.people import Profile
from portfolio.models.pictures import Picture, PictureQuerySet, picture_upload_to
from portfolio.models.projects import (
    RESERVED_SLUGS,
    Category,
    CategoryQuerySet,
    Project,
    ProjectQuerySet,
)

__all__ = [
    "RESERVED_SLUGS",
    "Category",
    "CategoryQuerySet",
    "Picture",
    "PictureQuerySet",
    "Profile",
    "Project",
    "ProjectQuerySet",
    "picture_upload_to",
]
