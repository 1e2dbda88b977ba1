from django.apps import AppConfig
from django.conf import settings


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = "Portfolio"

    def ready(self) -> None:
        from PIL import Image

        # Pillow's own decompression-bomb guard follows our pixel limit (warning above it,
        # error at twice it) for every image we open, not only uploads.
        Image.MAX_IMAGE_PIXELS = settings.PORTFOLIO_UPLOAD_MAX_PIXELS
