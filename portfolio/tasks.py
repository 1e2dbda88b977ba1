"""
Background work, run by the TASKS backend (immediately, in the embedded default).

The renditions' lifecycle, all of it (images/renditions.py only turns a file into files),
and with them the placeholder, the link-preview card and the web size made from the same
decode:
- made by the gate's own decode of an upload (images/gate.py), and stored and recorded once
  the transaction that stores the new picture commits (portfolio/signals.py calls
  make_renditions_on_commit as it is saved); else, or if that fails, by the make_renditions
  task;
- recorded on the picture's row only if the row still holds the photo they were made from,
  and deleted at once otherwise (the picture was deleted meanwhile);
- remade by `manage.py build_renditions`, which runs the same task, when they are missing (a
  failed or killed task) or were made for other settings;
- remade when the owner moves a picture's focal point (signals.py), for its card;
- deleted once the deletion of their picture commits (delete_renditions_on_commit).
A stored picture's photo never changes (Picture.save refuses it), so nothing else can happen.

Visibility moves: the renditions of a public project live in the public storage, the others
in the private one (portfolio/access.py). When a project's visibility changes, the
move_project_files task moves each picture's renditions (settle_picture_files): copied, then
recorded on the row, then deleted where they were. Interrupted anywhere, nothing is lost and a
rerun finishes; pages follow the row, so they show each picture from where it is. It goes
through the pictures in batches of PORTFOLIO_MOVE_BATCH_PICTURES (settle_project_batch), so
its memory and each query are bounded whatever the project holds, and tells the page cache
once, at its end (cache.content_changed_once). A picture given another project (the admin)
is moved the same way, alone (move_picture_files).

And the e-mail that tells an owner a client sent a selection (notify_owner_of_selection),
so that a slow mail server holds up a worker, not the client's request.
"""

import logging
import sys
from functools import partial

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.tasks import task
from django.tasks.signals import task_finished

from portfolio.access import rendition_storage
from portfolio.cache import content_changed_once
from portfolio.images.renditions import (
    Derivatives,
    StoredDerivatives,
    delete_renditions,
    possible_rendition_names,
    rendition_spec,
    save_derivatives,
    store_renditions,
)
from portfolio.models import Picture, Project, Selection

logger = logging.getLogger(__name__)


def make_renditions_on_commit(picture: Picture, using: str, force: bool = False) -> None:
    """
    Once the transaction commits, store the renditions the gate made of a new picture, or
    enqueue the task that makes them (a picture to remake, or none made).
    """
    derivatives, spec = getattr(picture, "derivatives_from_upload", (None, ""))
    picture.derivatives_from_upload = (None, "")
    if derivatives is not None and not force:
        store = partial(store_upload_renditions, picture.pk, picture.photo.name, derivatives, spec)
        transaction.on_commit(store, using=using, robust=True)
        return
    # Robust: a queue that refuses the task leaves the picture to build_renditions, not a 500.
    enqueue = partial(make_renditions.enqueue, picture.pk, **({"force": True} if force else {}))
    transaction.on_commit(enqueue, using=using, robust=True)


def store_upload_renditions(
    picture_id: int, photo_name: str, derivatives: Derivatives, spec: str
) -> bool:
    """
    Store and record what the gate's decode made of a new picture; enqueue the task instead
    if the settings or the picture changed meanwhile, or storing fails.
    """
    picture = Picture.objects.select_related("project").filter(pk=picture_id).first()
    if picture is None or picture.photo.name != photo_name:
        return False
    if spec != rendition_spec() or picture.focal_point != (0.5, 0.5):
        make_renditions.enqueue(picture_id)
        return False
    public = picture.project.is_public
    try:
        stored = save_derivatives(photo_name, spec, derivatives, rendition_storage(public))
    except Exception:
        logger.exception("Storing the renditions of picture %s failed; remade.", picture_id)
        make_renditions.enqueue(picture_id)
        return False
    return _record(picture, stored, spec, public)


@task
def make_renditions(picture_id: int, force: bool = False) -> bool:
    """
    Make and record the renditions, card, web size and placeholder of a picture, unless
    they are up to date (or `force`).

    Safe to run twice and after the picture was deleted: return whether it recorded any.
    """
    picture = Picture.objects.select_related("project").filter(pk=picture_id).first()
    if picture is None or not picture.photo or not (force or picture.renditions_outdated):
        return False
    photo_name, spec = picture.photo.name, rendition_spec()
    public = picture.project.is_public
    storage = rendition_storage(public)
    try:
        stored = store_renditions(
            picture.photo.storage,
            photo_name,
            spec,
            into=storage,
            focal_point=picture.focal_point,
            xmp=picture.credit_xmp,
            credit=picture.credit,
        )
    except Exception:
        logger.exception("Renditions of picture %s failed; build_renditions retries.", picture_id)
        raise
    return _record(picture, stored, spec, public)


def _record(picture: Picture, stored: StoredDerivatives, spec: str, public: bool) -> bool:
    """Record stored renditions on the picture's row if it still holds their photo."""
    picture_id, photo_name = picture.pk, picture.photo.name
    storage = rendition_storage(public)
    made = {record["name"] for record in stored.renditions} | {stored.card, stored.web_size} - {""}
    with transaction.atomic():
        if public:
            # Its image is listed from now on (the sitemap): a change of its project. Locked
            # before the picture's row, in the order every writer takes them.
            Project.objects.filter(pk=picture.project_id).touch()
        recorded = Picture.objects.filter(pk=picture_id, photo=photo_name).update(
            renditions=stored.renditions,
            renditions_spec=spec,
            renditions_public=public,
            placeholder=stored.placeholder,
            card=stored.card,
            web_size=stored.web_size,
        )
    if not recorded:
        delete_renditions(storage, made)
        return False
    # Remade for other settings: the files of the widths or format no longer made go, from
    # wherever the old ones were. (The focal point the card was cut around is the one read
    # above: moved meanwhile, the save that moved it has enqueued this task again.)
    delete_renditions(
        rendition_storage(picture.renditions_public), set(picture.rendition_names) - made
    )
    # The project changed visibility while they were made: its move may have passed this one.
    settle_picture_files(picture_id)
    return True


def delete_renditions_on_commit(picture: Picture, using: str) -> None:
    """
    Delete the renditions of a picture being deleted once that commits, as django-cleanup
    does its photo.

    The recorded ones, and every name they may have under the current settings: the task
    may have recorded them after this instance was loaded.
    """
    names = set(picture.rendition_names)
    if picture.photo and picture.width and picture.height:
        names |= possible_rendition_names(picture.photo.name, picture.width, picture.height)
    # From both storages: a move may have been under way.
    for storage in (rendition_storage(True), rendition_storage(False)):
        if names:
            transaction.on_commit(partial(delete_renditions, storage, sorted(names)), using=using)


def move_project_files_on_commit(project_id: int, using: str) -> None:
    """Enqueue the move of a project's files once its new visibility commits."""
    transaction.on_commit(
        partial(move_project_files.enqueue, project_id), using=using, robust=True
    )


@task
def move_project_files(project_id: int, after: int = 0) -> int:
    """
    Put every picture's renditions of a project (those after picture `after`, by id) in the
    storage its visibility calls for, a batch at a time; tell the page cache once, at the end.

    Idempotent and resumable: run it again after any interruption (`manage.py
    settle_media` does, for every project). Return how many pictures' files moved.
    """
    moved = 0
    # Each batch leaves every page right (a row names where its files are), so kept pages
    # need throwing away once, not once a picture: they show what has moved when they were made.
    with content_changed_once():
        while True:
            after, batch_moved = settle_project_batch(project_id, after)
            moved += batch_moved
            if after is None:
                break
        if moved:
            # Its images are listed (or no longer) from now on: a change of the project.
            Project.objects.filter(pk=project_id).touch()
    return moved


def settle_project_batch(project_id: int, after: int = 0) -> tuple[int | None, int]:
    """
    Settle the renditions of the next PORTFOLIO_MOVE_BATCH_PICTURES pictures of a project
    after picture `after`, by id. Return the last id settled (None once none was left) and
    how many pictures' files moved.
    """
    picture_ids = list(
        Picture.objects.filter(project_id=project_id, pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)[: settings.PORTFOLIO_MOVE_BATCH_PICTURES]
    )
    with content_changed_once():  # Run alone (by hand), a batch tells the cache once.
        moved = sum(settle_picture_files(picture_id) for picture_id in picture_ids)
    return (picture_ids[-1] if picture_ids else None), moved


def move_picture_files_on_commit(picture_id: int, using: str) -> None:
    """Enqueue the move of a picture's files once its new project commits."""
    transaction.on_commit(
        partial(move_picture_files.enqueue, picture_id), using=using, robust=True
    )


@task
def move_picture_files(picture_id: int) -> bool:
    """Put a picture's renditions in the storage its project's visibility calls for."""
    return settle_picture_files(picture_id)


def settle_picture_files(picture_id: int) -> bool:
    """
    Move one picture's renditions to the storage its project's visibility calls for.

    Copy (a file already there whole is kept), then record where they are, then delete them
    from the other storage: at every step the row names a storage that holds them all. Then
    leftovers of an interrupted run are deleted. Return whether the row changed.
    """
    picture = Picture.objects.select_related("project").filter(pk=picture_id).first()
    if picture is None or not picture.renditions:
        return False
    public = picture.project.is_public
    target, other = rendition_storage(public), rendition_storage(not public)
    names = picture.rendition_names
    moved = False
    if picture.renditions_public != public:
        for name in names:
            copy_file(name, other, target)
        moved = bool(
            Picture.objects.filter(
                pk=picture_id, renditions=picture.renditions, renditions_public=not public
            ).update(renditions_public=public)
        )
        if not moved:  # Remade or deleted meanwhile: whoever did that placed the new ones.
            return False
    delete_renditions(other, names)
    return moved


def copy_file(name: str, source, target) -> None:
    """Copy `name` from one storage to the other, unless a whole copy is already there."""
    if target.exists(name):
        if not source.exists(name) or target.size(name) == source.size(name):
            return
        target.delete(name)  # Cut short by an interrupted copy (files on disk).
    with source.open(name, "rb") as content:
        stored = target.save(name, content)
    if stored != name:
        target.delete(stored)
        raise RuntimeError(f"{name} could not be stored under its own name in {target}.")


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


def notify_owner_on_commit(selection_id: int, using: str) -> None:
    """E-mail the owner about a sent selection once the sending commits (robust: logged)."""
    transaction.on_commit(
        partial(notify_owner_of_selection.enqueue, selection_id), using=using, robust=True
    )


@task
def notify_owner_of_selection(selection_id: int) -> bool:
    """Tell the owner about a selection still sent; whether a message went."""
    selection = (
        Selection.objects.select_related("link__project__owner").filter(pk=selection_id).first()
    )
    return selection is not None and selection.is_sent and selection.notify_owner()
