"""
An outage of the media storage: how to tell one from a bad file, and what the owner is told.
The middleware that turns one into a clear answer (503), never a crash, is a view's concern:
portfolio/views/system.py.
"""

import errno

from botocore.exceptions import BotoCoreError, ClientError

STORAGE_UNAVAILABLE_MESSAGE = (
    "The picture storage is not answering, so your upload could not be stored. "
    "Please try again in a few minutes."
)
# For one file of a batch whose first files were stored before the storage failed.
STORAGE_UNAVAILABLE_REASON = (
    "not stored: the picture storage stopped answering. Please try this one again in a "
    "few minutes."
)

# What a full, read-only or failing disk says; other OSErrors (bad images) are not outages.
DISK_FAILURES = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EIO})


def is_storage_outage(exception: Exception) -> bool:
    """Whether the exception comes from the media storage itself, not from what was sent."""
    if isinstance(exception, BotoCoreError | ClientError):
        return True
    return isinstance(exception, OSError) and exception.errno in DISK_FAILURES
