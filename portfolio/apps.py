import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger(__name__)


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = "Portfolio"

    def ready(self) -> None:
        from PIL import Image

        # Pillow's own decompression-bomb guard follows our pixel limit (warning above it,
        # error at twice it) for every image we open, not only uploads.
        Image.MAX_IMAGE_PIXELS = settings.PORTFOLIO_UPLOAD_MAX_PIXELS

        # Connects what enqueues background work as models are written: models import no task.
        import portfolio.signals  # noqa: F401
        from portfolio.uploads import remove_stale_upload_files

        # In every process as it starts, servers and commands alike: the temporary upload
        # folder exists before Django's checks look for it, and what killed workers left goes.
        try:
            remove_stale_upload_files()
        except OSError as error:  # A read-only build, say: the check (files.E001) tells.
            logger.warning("The temporary upload folder is not usable: %s", error)
