"""
Client proofing (models/proofing.py), both sides.

The client's side lives under a share link (/s/<token>/…): its views are the share page's
(SharedProjectView), so the link's password, expiry and revocation apply to every request, and
a refusal shows the page again. A link that takes no favourites answers 404 here. The
visitor's selection is the one whose id their session keeps for the link: "remembered in their
browser" is the session cookie, and typing the same name again (on another device, after the
cookie is gone) opens the same selection.

The owner's side is a part of the sharing panel on the project's edit page: a link's
favourites turned on or off, a selection locked, its names as CSV.
"""

from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.views.generic import View
from django.views.generic.base import TemplateResponseMixin

from portfolio.downloads import safe_stem
from portfolio.forms import SelectionSendForm, SelectionStartForm, ShareLinkFavouritesForm
from portfolio.models import Picture, Selection, SelectionRefused, ShareLink
from portfolio.views.editors import EditorRequiredMixin
from portfolio.views.events import request_refused
from portfolio.views.htmx import wants_fragment
from portfolio.views.share_links import SharingPanelMixin
from portfolio.views.sharing import SharedProjectView

FAVOURITES_ONLY = "favourites"  # ?favourites=1: the share page shows only the visitor's.


def current_selection(request, link: ShareLink) -> Selection | None:
    """The selection this visitor chooses in on this link, as their session remembers it."""
    selection_id = request.session.get(selection_session_key(link))
    selection = Selection.objects.filter(link=link, pk=selection_id).first()
    if selection is not None:
        selection.link = link
    return selection


def selection_session_key(link: ShareLink) -> str:
    return f"share-link-{link.pk}-selection"


def proofing_context(request, link: ShareLink, pictures: list[Picture]) -> dict:
    """What the share page adds for a link that takes favourites (SharedProjectView)."""
    if not link.allows_favourites:
        return {}
    selection = current_selection(request, link)
    chosen = set(selection.favourites.values_list("picture_id", flat=True)) if selection else set()
    for picture in pictures:
        picture.is_favourite = picture.pk in chosen
    query = request.POST if request.method == "POST" else request.GET  # A refused POST too.
    only_favourites = bool(selection) and query.get(FAVOURITES_ONLY) == "1"
    context = {
        "selection": selection,
        "favourite_count": len(chosen),
        "can_choose": bool(selection) and not selection.refusal(),
        "only_favourites": only_favourites,
        "start_form": SelectionStartForm(),
        "send_form": SelectionSendForm(instance=selection) if selection else None,
        # The hearts post with htmx: _base.html gives it the CSRF token.
        "htmx_posts": bool(selection),
    }
    if only_favourites:
        context["pictures"] = [picture for picture in pictures if picture.is_favourite]
    return context


# ---------------------------------------------------------------- the client's side


class ProofingActionView(SharedProjectView):
    """
    The POST handlers under a link that takes favourites; each acts, then returns to the share
    page. Refused, htmx gets the status and a "request-refused" event; a plain form, the page
    again with the reason (a 4xx, so that nothing mistakes a refusal for a success).
    """

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs) -> HttpResponse:
        if not self.link.allows_favourites:
            return not_found(request)
        self.selection = current_selection(request, self.link)
        try:
            return self.act()
        except SelectionRefused as refusal:
            return self.refused(str(refusal), status=409)

    def act(self) -> HttpResponse:
        raise NotImplementedError

    def back(self, anchor: str = "selection") -> HttpResponse:
        url = self.link.get_absolute_url()
        if self.request.POST.get(FAVOURITES_ONLY) == "1":
            url += f"?{FAVOURITES_ONLY}=1"
        return HttpResponseRedirect(f"{url}#{anchor}")

    def refused(self, message: str, status: int) -> HttpResponse:
        if wants_fragment(self.request):
            return request_refused(HttpResponse(status=status), message)
        messages.error(self.request, message)
        return self.page(status)

    def invalid(self, form_name: str, form) -> HttpResponse:
        """A form with errors: the page shows it again, its errors by its fields."""
        if wants_fragment(self.request):
            errors = [error for field_errors in form.errors.values() for error in field_errors]
            return request_refused(HttpResponse(status=400), " ".join(errors))
        return self.page(400, **{form_name: form})

    def needs_selection(self) -> None:
        if self.selection is None:
            raise SelectionRefused("Type your name first, to start your selection.")


class FavouriteToggleView(ProofingActionView):
    """POST handler: a picture becomes one of the visitor's favourites, or stops being one."""

    def act(self) -> HttpResponse:
        picture = Picture.objects.filter(
            project=self.link.project, pk=self.kwargs["picture_id"]
        ).first()
        if picture is None:
            return not_found(self.request)
        self.needs_selection()
        picture.is_favourite = self.selection.toggle(picture)
        if not wants_fragment(self.request):
            return self.back(anchor=f"picture-{picture.pk}")
        context = {
            "link": self.link,
            "selection": self.selection,
            "picture": picture,
            "can_choose": True,
            "only_favourites": self.request.POST.get(FAVOURITES_ONLY) == "1",
            "favourite_count": self.selection.favourites.count(),
        }
        return TemplateResponse(self.request, "portfolio/_favourite_toggled.html", context)


class SelectionStartView(ProofingActionView):
    """POST handler: choose under this name, a new selection or the one of that name."""

    def act(self) -> HttpResponse:
        form = SelectionStartForm(self.request.POST)
        if not form.is_valid():
            return self.invalid("start_form", form)
        selection = Selection.objects.start(self.link, form.cleaned_data["name"])
        self.request.session[selection_session_key(self.link)] = selection.pk
        return self.back()


class SelectionLeaveView(ProofingActionView):
    """POST handler: this browser stops choosing under that name (the selection stays)."""

    def act(self) -> HttpResponse:
        self.request.session.pop(selection_session_key(self.link), None)
        return self.back()


class SelectionSendView(ProofingActionView):
    """POST handler: send the selection, with the client's name and note, to the owner."""

    def act(self) -> HttpResponse:
        self.needs_selection()
        form = SelectionSendForm(self.request.POST, instance=self.selection)
        if not form.is_valid():
            return self.invalid("send_form", form)
        # Not form.save(): it writes the whole row as read, a lock made since included.
        try:
            self.selection.send(form.cleaned_data["note"], name=form.cleaned_data["name"])
        except IntegrityError:  # Someone took the name since the form was checked.
            raise SelectionRefused(form.name_taken_message) from None
        count = self.selection.favourites.count()
        messages.success(
            self.request, f"Sent: {count} picture{'s' if count != 1 else ''}. Thank you!"
        )
        return self.back()


class SelectionReopenView(ProofingActionView):
    """POST handler: change a sent selection again, until the owner locks it."""

    def act(self) -> HttpResponse:
        self.needs_selection()
        self.selection.reopen()
        messages.success(self.request, "Reopened: change it, then send it again.")
        return self.back()


def not_found(request) -> HttpResponse:
    return TemplateResponse(request, "portfolio/share_unavailable.html", {}, status=404)


# ---------------------------------------------------------------- the owner's side


class SelectionLockView(SharingPanelMixin, View):
    """POST handler: lock the selection (its client can no longer change it), or unlock it."""

    def post(self, request, *args, **kwargs) -> HttpResponse:
        selection = get_object_or_404(Selection, link__project=self.project, pk=kwargs["pk"])
        if request.POST.get("lock") == "0":
            selection.unlock()
            return self.done(f"{selection.name}’s selection unlocked: they may change it.")
        selection.lock()
        return self.done(f"{selection.name}’s selection locked.")


class ShareLinkFavouritesView(SharingPanelMixin, TemplateResponseMixin, View):
    """POST handler: a link takes favourites or no longer does (freezing its selections)."""

    def post(self, request, *args, **kwargs) -> HttpResponse:
        link = get_object_or_404(ShareLink, project=self.project, pk=kwargs["pk"])
        form = ShareLinkFavouritesForm(request.POST, instance=link)
        if not form.is_valid():
            return self.panel(status=400, favourites_form=form)
        # Its two columns only: a revocation or a client's visit since it was read stays.
        form.save(commit=False).save(update_fields=form.Meta.fields)
        if link.allows_favourites:
            limit = f", up to {link.favourite_limit}" if link.favourite_limit else ""
            return self.done(f"“{link.label}” takes favourites{limit}.")
        return self.done(f"“{link.label}” no longer takes favourites: its selections are kept.")


class SelectionCsvView(EditorRequiredMixin, View):
    """GET handler: the selection's pictures as CSV, one row a file."""

    def get(self, request, *args, **kwargs) -> HttpResponse:
        project = self.get_project()
        selection = get_object_or_404(
            Selection.objects.with_pictures(), link__project=project, pk=kwargs["pk"]
        )
        # A name is no file name: "J. Doe" has no extension to drop.
        name = f"{project.slug}-{safe_stem(f'{selection.name}.csv') or 'selection'}.csv"
        response = HttpResponse(
            selection.as_csv(),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": content_disposition_header(True, name)},
        )
        add_never_cache_headers(response)  # Clients' names: for no shared cache.
        return response
