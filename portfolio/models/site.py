"""The site's identity: its name, tagline, about text, contact links and credit line."""

from django.db import models
from django.urls import reverse

from portfolio.cache import PublicContent, PublicContentQuerySet

IDENTITY_ID = 1


class SiteIdentity(PublicContent):
    """The one settings row staff edit in the admin; every page's title, header and footer."""

    name = models.CharField(max_length=100, default="Portfolio")
    tagline = models.CharField(
        max_length=200, blank=True, default="Photography and design projects."
    )
    about = models.TextField(
        blank=True,
        default="This portfolio shows photography and design projects.",
        help_text="The about page's text; blank lines separate paragraphs.",
    )
    email = models.EmailField(blank=True, help_text="Shown on the about page and in the footer.")
    instagram_url = models.URLField("Instagram URL", blank=True)
    website_url = models.URLField("website URL", blank=True)
    credit = models.CharField(
        "footer credit line",
        max_length=200,
        blank=True,
        default="Pictures belong to their authors.",
    )

    objects = PublicContentQuerySet.as_manager()

    class Meta:
        verbose_name = "site identity"
        verbose_name_plural = "site identity"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=IDENTITY_ID), name="one_site_identity")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portfolio:about")

    @classmethod
    def current(cls) -> "SiteIdentity":
        """The row, made with the defaults if missing (a fresh install, a flushed database)."""
        identity = cls.objects.filter(pk=IDENTITY_ID).first()
        if identity is None:
            identity, _ = cls.objects.get_or_create(pk=IDENTITY_ID)
        return identity

    @classmethod
    def for_request(cls, request) -> "SiteIdentity":
        """The row, read once for `request` whoever asks: its templates, its link previews."""
        if not hasattr(request, "_site_identity"):
            request._site_identity = cls.current()
        return request._site_identity

    @property
    def contact_links(self) -> list[tuple[str, str]]:
        """(label, URL) of each contact given, e-mail first."""
        links = [
            ("E-mail", f"mailto:{self.email}" if self.email else ""),
            ("Instagram", self.instagram_url),
            ("Website", self.website_url),
        ]
        return [(label, url) for label, url in links if url]
