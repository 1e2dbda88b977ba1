from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from portfolio.models import Category, Picture, Project, SiteIdentity


@admin.display(description="preview")
def thumbnail(picture: Picture) -> str:
    if not picture.photo:
        return "—"
    # The height keeps the picture's proportions: no inline style, which the CSP forbids.
    return format_html(
        '<img src="{}" alt="" width="96" height="{}">',
        picture.photo.url,
        round(96 * picture.height / picture.width) if picture.width else 96,
    )


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class PictureAdminForm(forms.ModelForm):
    """
    The photo is chosen when a picture is added, through the gate like every upload;
    an existing picture's photo is read-only: replacing it means adding a new picture.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "photo" in self.fields:
            # Disabled, the field ignores whatever file a request sends for it.
            self.fields["photo"].disabled = True
            self.fields["photo"].help_text = "To show another file, add a new picture."


class PictureInline(admin.TabularInline):
    model = Picture
    form = PictureAdminForm
    fields = [thumbnail, "photo", "caption", "position"]
    readonly_fields = [thumbnail]
    extra = 0
    ordering = ["position", "id"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "category", "is_published", "picture_count", "created"]
    list_filter = ["category", "is_published", "owner"]
    list_select_related = ["owner", "category"]
    search_fields = ["title", "slug", "description", "owner__username"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["owner", "category"]
    raw_id_fields = ["cover"]
    date_hierarchy = "created"
    inlines = [PictureInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(picture_total=models.Count("pictures"))

    @admin.display(description="pictures", ordering="picture_total")
    def picture_count(self, project: Project) -> int:
        return project.picture_total


@admin.register(Picture)
class PictureAdmin(admin.ModelAdmin):
    form = PictureAdminForm
    list_display = [thumbnail, "__str__", "project", "width", "height", "position", "created"]
    list_display_links = [thumbnail, "__str__"]
    list_filter = ["project__category", "project__is_published"]
    list_select_related = ["project"]
    search_fields = ["caption", "original_filename", "project__title"]
    autocomplete_fields = ["project"]
    readonly_fields = [thumbnail, "width", "height", "original_filename", "created"]
    fields = [
        "project",
        thumbnail,
        "photo",
        "caption",
        "position",
        "width",
        "height",
        "original_filename",
        "created",
    ]


@admin.register(SiteIdentity)
class SiteIdentityAdmin(admin.ModelAdmin):
    """The one row (made by the migrations): edited, never added to or deleted."""

    fieldsets = [
        (None, {"fields": ["name", "tagline", "credit"]}),
        ("About page", {"fields": ["about"]}),
        ("Contact", {"fields": ["email", "instagram_url", "website_url"]}),
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        """GET handler for the list: there is one row, so its form."""
        identity = SiteIdentity.current()
        return HttpResponseRedirect(
            reverse("admin:portfolio_siteidentity_change", args=[identity.pk])
        )
