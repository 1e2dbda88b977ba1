"""
Settle what a stopped worker or an older release may have left: each picture's renditions in
the storage its project calls for, each project's count of pictures its rows', and the
public projects' and pictures' counts the sitemap reads (PublicTotals).
"""

from django.core.management.base import BaseCommand

from portfolio.models import Project, PublicTotals
from portfolio.tasks import move_project_files


class Command(BaseCommand):
    help = (
        "Move the renditions of every project to the storage its visibility calls for (public "
        "or private), finishing moves a stopped worker left half done, and count each "
        "project's pictures afresh (what the previous release wrote while this one migrated), "
        "and the public projects and their pictures. Safe to run any time."
    )

    def handle(self, *args, **options) -> None:
        moved = 0
        for project_id in Project.objects.values_list("pk", flat=True).iterator():
            moved += move_project_files.call(project_id)
        self.stdout.write(f"Files of {moved} picture(s) moved.")
        counted = Project.objects.count_pictures(changed=False)
        self.stdout.write(f"Pictures of {counted} project(s) counted.")
        totals = PublicTotals.recount()
        self.stdout.write(
            f"{totals.projects} public project(s) of {totals.pictures} picture(s) counted."
        )
