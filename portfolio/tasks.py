"""Background work, run by the TASKS backend (immediately, in the embedded default)."""

import logging

from django.tasks import task

logger = logging.getLogger(__name__)


@task
def make_renditions(picture_id: int, force: bool = False) -> bool:
    """
    Make the renditions of a picture, unless they are already up to date.

    Safe to run twice and after the picture was deleted: return whether it made any.
    """
    from portfolio.models import Picture  # portfolio.models imports this module.

    picture = Picture.objects.filter(pk=picture_id).first()
    if picture is None or not (force or picture.renditions_outdated):
        return False
    try:
        return picture.make_renditions()
    except Exception:
        logger.exception(
            "Renditions of picture %s failed; build_renditions will retry.", picture_id
        )
        raise
