"""The app's models, one module per concern; import them from here."""

from portfolio.models.pictures import Picture, PictureQuerySet, picture_upload_to
from portfolio.models.projects import (
    RESERVED_SLUGS,
    Category,
    CategoryQuerySet,
    Project,
    ProjectQuerySet,
)
from portfolio.models.site import SiteIdentity

__all__ = [
    "RESERVED_SLUGS",
    "Category",
    "CategoryQuerySet",
    "Picture",
    "PictureQuerySet",
    "Project",
    "ProjectQuerySet",
    "SiteIdentity",
    "picture_upload_to",
]
