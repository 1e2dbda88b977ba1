"""
Background work, run by the TASKS backend (immediately, in the embedded default).

The renditions' lifecycle, all of it (images/renditions.py only turns a file into files),
and with them the placeholder and the link-preview card made from the same decode:
- made once the transaction that stores a new picture commits (Picture.save calls
  make_renditions_on_commit), by the make_renditions task;
- recorded on the picture's row only if the row still holds the photo they were made from,
  and deleted at once otherwise (the picture was deleted meanwhile);
- remade by `manage.py build_renditions`, which runs the same task, when they are missing (a
  failed or killed task) or were made for other settings;
- remade when the owner moves a picture's focal point (Picture.save), for its card;
- deleted once the deletion of their picture commits (delete_renditions_on_commit).
A stored picture's photo never changes (Picture.save refuses it), so nothing else can happen.
"""

import logging
import sys
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.dispatch import receiver
from django.tasks import task
from django.tasks.signals import task_finished

from portfolio.images.renditions import (
    delete_renditions,
    possible_rendition_names,
    rendition_spec,
    store_renditions,
)

if TYPE_CHECKING:
    from portfolio.models import Picture

logger = logging.getLogger(__name__)


def make_renditions_on_commit(picture: "Picture", using: str, force: bool = False) -> None:
    """Enqueue the renditions of a picture stored (or to remake), once the transaction commits."""
    # Robust: a queue that refuses the task leaves the picture to build_renditions, not a 500.
    enqueue = partial(make_renditions.enqueue, picture.pk, **({"force": True} if force else {}))
    transaction.on_commit(enqueue, using=using, robust=True)


@task
def make_renditions(picture_id: int, force: bool = False) -> bool:
    """
    Make and record the renditions, card and placeholder of a picture, unless they are up
    to date (or `force`).

    Safe to run twice and after the picture was deleted: return whether it recorded any.
    """
    from portfolio.models import Picture  # portfolio.models imports this module.

    picture = Picture.objects.filter(pk=picture_id).first()
    if picture is None or not picture.photo or not (force or picture.renditions_outdated):
        return False
    storage, photo_name, spec = picture.photo.storage, picture.photo.name, rendition_spec()
    try:
        stored = store_renditions(storage, photo_name, spec, picture.focal_point)
    except Exception:
        logger.exception("Renditions of picture %s failed; build_renditions retries.", picture_id)
        raise
    made = {record["name"] for record in stored.renditions} | {stored.card} - {""}
    recorded = Picture.objects.filter(pk=picture_id, photo=photo_name).update(
        renditions=stored.renditions,
        renditions_spec=spec,
        placeholder=stored.placeholder,
        card=stored.card,
    )
    if not recorded:
        delete_renditions(storage, made)
        return False
    # Remade for other settings: the files of the widths or format no longer made go.
    # (The focal point the card was cut around is the one read above: moved meanwhile, the
    # save that moved it has enqueued this task again.)
    delete_renditions(storage, set(picture.rendition_names) - made)
    return True


def delete_renditions_on_commit(picture: "Picture", using: str) -> None:
    """
    Delete the renditions of a picture being deleted once that commits, as django-cleanup
    does its photo.

    The recorded ones, and every name they may have under the current settings: the task
    may have recorded them after this instance was loaded.
    """
    names = set(picture.rendition_names)
    if picture.photo and picture.width and picture.height:
        names |= possible_rendition_names(picture.photo.name, picture.width, picture.height)
    if names:
        transaction.on_commit(
            partial(delete_renditions, picture.photo.storage, sorted(names)), using=using
        )


@receiver(task_finished, dispatch_uid="let_a_stopped_worker_stop")
def let_a_stopped_worker_stop(sender, task_result, **kwargs) -> None:
    """
    Raise again a SystemExit (or any BaseException that is no Exception) a task was stopped by.

    The immediate backend records it as the task's failure and goes on: gunicorn stopping a
    worker past its timeout (sys.exit in the worker) would see the request carry on instead.
    The signal is sent while that exception is being handled.
    """
    stopped_by = sys.exception()
    if stopped_by is not None and not isinstance(stopped_by, Exception):
        raise stopped_by
