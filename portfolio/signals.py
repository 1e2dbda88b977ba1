"""
The background work that model writes call for, enqueued once they commit (portfolio/tasks.py).

Wired in PortfolioConfig.ready(): the models say what happened (Django's signals, and
`selection_sent`), and import no task, so imports point one way (tasks → models).
"""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from portfolio.models import Picture, Project, PublicTotals, Selection
from portfolio.models.proofing import selection_sent
from portfolio.tasks import (
    delete_renditions_on_commit,
    make_renditions_on_commit,
    move_picture_files_on_commit,
    move_project_files_on_commit,
    notify_owner_on_commit,
)


@receiver(post_save, sender=Picture, dispatch_uid="make_renditions_of_a_saved_picture")
def make_renditions_of_a_saved_picture(
    sender, instance: Picture, created: bool, update_fields, using: str, raw: bool, **kwargs
) -> None:
    """A new picture's renditions; its card again when its focal point moved."""
    if raw or not instance.photo:
        return
    if created:
        make_renditions_on_commit(instance, using=using)
    elif instance.focal_point_moved(update_fields):
        make_renditions_on_commit(instance, using=using, force=True)


@receiver(post_save, sender=Picture, dispatch_uid="move_files_of_a_picture_given_another_project")
def move_files_of_a_picture_given_another_project(
    sender, instance: Picture, created: bool, update_fields, using: str, raw: bool, **kwargs
) -> None:
    """As when a project's visibility changes: its files follow once committed."""
    if not (raw or created) and instance.project_moved(update_fields):
        move_picture_files_on_commit(instance.pk, using=using)


@receiver(post_delete, sender=Picture, dispatch_uid="delete_renditions_with_their_picture")
def delete_renditions_with_their_picture(sender, instance: Picture, using: str, **kwargs) -> None:
    delete_renditions_on_commit(instance, using)


@receiver(post_save, sender=Project, dispatch_uid="move_files_when_visibility_changes")
def move_files_when_visibility_changes(
    sender, instance: Project, created: bool, using: str, raw: bool, **kwargs
) -> None:
    """Its pages follow a new visibility at once; its files, in the background."""
    if not (raw or created) and instance.visibility_changed():
        move_project_files_on_commit(instance.pk, using=using)


@receiver(selection_sent, sender=Selection, dispatch_uid="notify_owner_of_a_sent_selection")
def notify_owner_of_a_sent_selection(sender, selection: Selection, using: str, **kwargs) -> None:
    notify_owner_on_commit(selection.pk, using=using)


@receiver(post_save, sender=PublicTotals, dispatch_uid="count_afresh_after_loading_totals")
def count_afresh_after_loading_totals(sender, using: str, raw: bool, **kwargs) -> None:
    """
    loaddata restores the counts a dump held (its row, its pending changes), and the
    projects it loads are counted again by their triggers: once the load commits, the
    counts are made afresh from the projects.
    """
    if raw:
        transaction.on_commit(partial(PublicTotals.recount, using), using=using)
