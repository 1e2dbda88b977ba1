"""The app's models, one module per concern; import them from here."""

from portfolio.models.downloads import DownloadsBusy, DownloadSlot
from portfolio.models.people import Profile
from portfolio.models.pictures import Picture, PictureQuerySet, picture_upload_to
from portfolio.models.projects import (
    RESERVED_SLUGS,
    Category,
    CategoryQuerySet,
    Downloads,
    Project,
    ProjectQuerySet,
    Visibility,
)
from portfolio.models.proofing import (
    Favourite,
    Selection,
    SelectionQuerySet,
    SelectionRefused,
    label_selections,
)
from portfolio.models.sharing import PasswordTries, ShareLink
from portfolio.models.site import SiteIdentity
from portfolio.models.steps import InvalidCursor, Place, Step, SteppedQuerySet
from portfolio.models.totals import Counted, PublicChange, PublicTotals

__all__ = [
    "RESERVED_SLUGS",
    "PasswordTries",
    "ShareLink",
    "Category",
    "CategoryQuerySet",
    "Downloads",
    "DownloadsBusy",
    "DownloadSlot",
    "Favourite",
    "Picture",
    "PictureQuerySet",
    "Profile",
    "Project",
    "ProjectQuerySet",
    "Selection",
    "SelectionQuerySet",
    "SelectionRefused",
    "label_selections",
    "Visibility",
    "SiteIdentity",
    "Counted",
    "PublicChange",
    "PublicTotals",
    "InvalidCursor",
    "Place",
    "Step",
    "SteppedQuerySet",
    "picture_upload_to",
]
