import re

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal

from portfolio.access import PictureMedia, grant_for
from portfolio.models import (
    Category,
    Favourite,
    PasswordTries,
    Picture,
    Profile,
    Project,
    Selection,
    ShareLink,
    SiteIdentity,
)


def preview_for(request):
    """
    The "preview" column for this request's staff member: a small image of each picture,
    through portfolio/access.py like every media URL (signed for them where it is private).
    The same function all through the request, as the admin compares fields by identity.
    """
    if not hasattr(request, "portfolio_preview"):

        @admin.display(description="preview")
        def preview(picture: Picture) -> str:
            media = PictureMedia(picture, grant_for(picture.project, user=request.user))
            if not media.rendition_urls:
                return "—"
            src = media.rendition_urls[0][1]
            # The height keeps the picture's proportions: no inline style (the CSP).
            width, height = picture.display_width, picture.display_height
            return format_html(
                '<img src="{}" alt="" width="96" height="{}">',
                src,
                round(96 * height / width) if width else 96,
            )

        request.portfolio_preview = preview
    return request.portfolio_preview


class BoundedCountPaginator(Paginator):
    """
    Counts at most PORTFOLIO_ADMIN_COUNT_LIMIT rows: a search's count stops there rather than
    reading a million rows; past it, the list pages on up to that many.
    """

    @cached_property
    def count(self) -> int:
        return self.object_list[: settings.PORTFOLIO_ADMIN_COUNT_LIMIT].count()


# What a trigram index can look up: three letters or digits in a row.
TRIGRAM = re.compile(r"[^\W_]{3}")


class LargeListAdmin(admin.ModelAdmin):
    """
    A list that stays fast at a million rows: no count of everything, a bounded one, and a
    search that finds its rows through indexes.
    """

    paginator = BoundedCountPaginator
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        """
        Django's search, on PostgreSQL on the rows one term finds through indexes: each
        field's match is a query of its own table (a trigram index serves it, migration 0017),
        where Django's OR across a join reads every row. The term found in the fewest rows
        finds them; every term is then checked on them as Django checks it. A term found
        in PORTFOLIO_ADMIN_COUNT_LIMIT rows or more is left to Django's search, which meets
        a page of such common matches soon reading the newest rows first.
        """
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        search_fields = self.get_search_fields(request)
        if not search_fields or connections[queryset.db].vendor != "postgresql":
            # No trigram indexes (SQLite): finding a term's rows would read the table again.
            return queryset, may_have_duplicates
        each_term_rows = [
            rows
            for term in search_terms(search_term)
            if (rows := self.rows_matching(term, search_fields)) is not None
        ]
        limit, fewest = settings.PORTFOLIO_ADMIN_COUNT_LIMIT, None
        for rows in each_term_rows:
            # Counted up to the fewest rows so far: past them, a term cannot have fewer.
            found = rows[:limit].count()
            if found < limit:
                limit, fewest = found, rows
            if not limit:
                break  # A term in no row: nothing to look for after it.
        if fewest is not None:
            queryset = queryset.filter(pk__in=fewest)
        return queryset, may_have_duplicates

    def rows_matching(self, term: str, search_fields) -> models.QuerySet | None:
        """
        The ids of the rows some search field contains the term in: one query a table (the
        fields of one table OR'ed, which PostgreSQL answers from their indexes together),
        their union. None when no index could serve it: a term without three letters or
        digits in a row (no trigram), or a field searched otherwise than by icontains.
        """
        if not TRIGRAM.search(term) or any(field[0] in "^=@" for field in search_fields):
            return None
        by_table = {}
        for field in search_fields:
            relation = field.rpartition(LOOKUP_SEP)[0]
            match = models.Q(**{f"{field}__icontains": term})
            by_table[relation] = by_table.get(relation, models.Q()) | match
        rows = [
            self.model._default_manager.filter(match).order_by().values("pk")
            for match in by_table.values()
        ]
        first, *others = rows
        return first.union(*others, all=True).order_by() if others else first


def search_terms(search_term: str) -> list[str]:
    """The search's terms as Django's admin reads them: words, or quoted phrases."""
    return [
        unescape_string_literal(bit) if bit[0] in "\"'" and bit[0] == bit[-1] else bit
        for bit in smart_split(search_term)
    ]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class PictureAdminForm(forms.ModelForm):
    """
    The photo is chosen when a picture is added, through the gate like every upload;
    an existing picture's photo is read-only: replacing it means adding a new picture.
    The gate fills the credit a file lacks from its project's owner's profile.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "photo" in self.fields:
            # Disabled, the field ignores whatever file a request sends for it. A plain file
            # input: the default one links the stored file, which has no public URL.
            self.fields["photo"].disabled = True
            self.fields["photo"].widget = forms.FileInput()
            self.fields[
                "photo"
            ].help_text = (
                f"Stored as {self.instance.photo.name}. To show another file, add a new picture."
            )

    def full_clean(self) -> None:
        if self.instance.project_id and not self.instance.pk and "photo" in self.fields:
            # A new picture of an inline: its project is the page's, set by the formset.
            self.fields["photo"].credit_defaults = self.instance.credit_defaults()
        super().full_clean()

    def clean_project(self) -> Project:
        # Cleaned before the photo (fields in order), so the gate knows the owner in time.
        project = self.cleaned_data["project"]
        if "photo" in self.fields:
            self.fields["photo"].credit_defaults = project.credit_defaults()
        return project


class PictureInline(admin.TabularInline):
    model = Picture
    form = PictureAdminForm
    fields = ["photo", "caption", "position"]
    extra = 0
    ordering = ["position", "id"]

    def get_fields(self, request, obj=None):
        return [preview_for(request), *self.fields]

    def get_readonly_fields(self, request, obj=None):
        return [preview_for(request)]


@admin.register(Project)
class ProjectAdmin(LargeListAdmin):
    list_display = ["title", "owner", "category", "visibility", "picture_count", "created"]
    # Dates as a filter: a date hierarchy reads every project's date on each page (DISTINCT).
    list_filter = ["category", "visibility", "owner", "created"]
    list_select_related = ["owner", "category"]
    search_fields = ["title", "slug", "description", "owner__username"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["owner", "category"]
    raw_id_fields = ["cover"]
    inlines = [PictureInline]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "creator", "copyright_notice"]
    search_fields = ["user__username", "creator"]
    autocomplete_fields = ["user"]


@admin.register(Picture)
class PictureAdmin(LargeListAdmin):
    form = PictureAdminForm
    # The newest first, on the primary key: the display order (position) has no index alone.
    ordering = ["-id"]
    list_display = ["__str__", "project", "width", "height", "position", "created"]
    list_filter = ["project__category", "project__visibility"]
    list_select_related = ["project"]
    search_fields = ["caption", "original_filename", "project__title"]
    autocomplete_fields = ["project"]
    readonly_fields = [
        "width",
        "height",
        "original_filename",
        "created",
        "camera_line",
        "credit",
    ]
    fields = [
        "project",
        "photo",
        "caption",
        "position",
        "width",
        "height",
        "original_filename",
        "created",
        "camera_line",
        "credit",
    ]

    def get_list_display(self, request):
        return [preview_for(request), *self.list_display]

    def get_list_display_links(self, request, list_display):
        return list_display[:2]

    def get_fields(self, request, obj=None):
        fields = list(self.fields)
        return [*fields[:1], preview_for(request), *fields[1:]]

    def get_readonly_fields(self, request, obj=None):
        return [preview_for(request), *self.readonly_fields]


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    """Staff see and revoke links; the address itself is only on the owner's edit page."""

    list_display = ["label", "project", "downloads", "expires_at", "revoked_at", "use_count"]
    list_filter = ["downloads"]
    list_select_related = ["project"]
    search_fields = ["label", "project__title"]
    readonly_fields = ["project", "created", "revoked_at", "last_used_at", "use_count"]
    fields = [
        "project",
        "label",
        "expires_at",
        "downloads",
        "allows_favourites",
        "favourite_limit",
        *readonly_fields[1:],
    ]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # Made by owners, on their project's page, with a password if they like.

    @admin.action(description="Revoke the selected links")
    def revoke(self, request, queryset) -> None:
        for link in queryset:
            link.revoke()


@admin.register(PasswordTries)
class PasswordTriesAdmin(admin.ModelAdmin):
    """Wrong share link passwords per client address: deleting a row lets that address in."""

    list_display = ["link", "address", "count", "last_try"]
    list_select_related = ["link__project"]
    search_fields = ["address", "link__label"]
    readonly_fields = list_display

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class FavouriteInline(admin.TabularInline):
    model = Favourite
    fields = ["picture", "created"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # Chosen by the client, within the link's limit.

    def get_queryset(self, request):
        # Each row shows its picture and its own name (Favourite.__str__: the selection's, its
        # link's): fetched with the rows, not three queries each.
        return super().get_queryset(request).select_related("picture", "selection__link")


@admin.register(Selection)
class SelectionAdmin(admin.ModelAdmin):
    """Staff see the clients' selections and lock them, as owners do on their project's page."""

    list_display = ["name", "link", "sent_at", "locked_at", "updated"]
    list_select_related = ["link__project"]
    search_fields = ["name", "link__label", "link__project__title"]
    readonly_fields = ["link", "created", "updated", "sent_at", "locked_at"]
    fields = ["link", "name", "note", *readonly_fields[1:]]
    inlines = [FavouriteInline]
    actions = ["lock", "unlock"]

    def has_add_permission(self, request) -> bool:
        return False  # Started by a link's holder, under their name.

    @admin.action(description="Lock the selected selections")
    def lock(self, request, queryset) -> None:
        for selection in queryset:
            selection.lock()

    @admin.action(description="Unlock the selected selections")
    def unlock(self, request, queryset) -> None:
        for selection in queryset:
            selection.unlock()


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
