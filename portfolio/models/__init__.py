"""The app's models, one module per concern; import them from here."""

from portfolio.models.pictures import Picture, PictureQuerySet, picture_upload_to
from portfolio.models.projects import (
    CONTENT_VERSION_SQL,
    RESERVED_SLUGS,
    Category,
    CategoryQuerySet,
    Project,
    ProjectQuerySet,
    lock_public_content,
)

__all__ = [
    "CONTENT_VERSION_SQL",
    "RESERVED_SLUGS",
    "Category",
    "CategoryQuerySet",
    "Picture",
    "PictureQuerySet",
    "Project",
    "ProjectQuerySet",
    "lock_public_content",
    "picture_upload_to",
]
