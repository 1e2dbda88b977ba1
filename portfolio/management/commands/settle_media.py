"""Finish every visibility move: each picture's renditions in the storage its project calls for."""

from django.core.management.base import BaseCommand

from portfolio.models import Project
from portfolio.tasks import move_project_files


class Command(BaseCommand):
    help = (
        "Move the renditions of every project to the storage its visibility calls for (public "
        "or private), finishing moves a stopped worker left half done. Safe to run any time."
    )

    def handle(self, *args, **options) -> None:
        moved = 0
        for project_id in Project.objects.values_list("pk", flat=True).iterator():
            moved += move_project_files.call(project_id)
        self.stdout.write(f"Files of {moved} picture(s) moved.")
