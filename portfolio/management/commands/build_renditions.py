from django.core.management.base import BaseCommand, CommandError

from portfolio.images.renditions import rendition_spec
from portfolio.models import Picture
from portfolio.tasks import make_renditions


class Command(BaseCommand):
    help = (
        "Make the renditions that are missing or outdated (made for other widths or format). "
        "Each picture is recorded as soon as it is done: interrupted, it resumes where it "
        "stopped; run twice, the second run has nothing to do. A picture that cannot be "
        "rendered is reported and the others are made; the exit status is then 1."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Remake the renditions of every picture."
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        pictures = Picture.objects.all() if force else Picture.objects.needing_renditions()
        picture_ids = list(pictures.exclude(photo="").order_by("pk").values_list("pk", flat=True))
        total = len(picture_ids)
        self.stdout.write(f"{total} picture(s) to do for “{rendition_spec()}”.")
        progress = Progress(self.stdout, total)
        made, failed = 0, []
        for picture_id in picture_ids:
            try:
                # The task's own code, here and now: it fetches the picture afresh, skips it if
                # deleted or already done since the list was made, and records it at once.
                made += make_renditions.call(picture_id, force=force)
            except Exception as error:  # One broken file must not stop the others.
                failed.append(picture_id)
                self.stderr.write(f"Picture {picture_id}: {type(error).__name__}: {error}")
            progress.advance()
        progress.finish()
        self.stdout.write(f"Renditions made for {made} picture(s).")
        if failed:
            ids = ", ".join(map(str, failed))
            raise CommandError(f"{len(failed)} picture(s) failed, ids: {ids}")


class Progress:
    """Progress as "[ 120/5000]   2.4%": redrawn on a terminal, a line a percent in logs."""

    def __init__(self, stream, total: int) -> None:
        self.stream, self.total, self.done = stream, total, 0
        self.interactive = stream.isatty()
        self.last_percent = -1

    def advance(self) -> None:
        self.done += 1
        percent = 100 * self.done / self.total
        if self.interactive:
            self.stream.write(f"\r{self._line(percent)}", ending="")
            self.stream.flush()
        elif int(percent) != self.last_percent:
            self.last_percent = int(percent)
            self.stream.write(self._line(percent))

    def finish(self) -> None:
        if self.interactive and self.total:
            self.stream.write("")

    def _line(self, percent: float) -> str:
        digits = len(str(self.total))
        return f"[{self.done:>{digits}}/{self.total}] {percent:5.1f}%"
