"""
What a share link's holder sees: the project's pictures, a password form if the owner set one,
and downloads as far as the link allows. Nothing else of the site.

A wrong or revoked link, or one whose project was made private, answers 404; an expired one
410; both with a page that says so. Share pages are never indexed, send no referrer to other
sites and are never kept by a cache.

Client proofing (models/proofing.py) lives under the link too, as the share page's own views, so
the link's password, expiry and revocation apply to every request, and a refusal shows the page
again. A link that takes no favourites answers 404 there. The visitor's selection is the one
whose id their session keeps for the link: "remembered in their browser" is the session cookie.
Starting one hands its client a personal link with its key once (and e-mails it if they give an
address); opening it in another browser makes that browser choose in it too. Typing a name
never opens anyone's selection. The owner's side of proofing is in views/share_links.py.
"""

import logging
import math
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import constant_time_compare
from django.views.generic import TemplateView, View

from portfolio.access import Grant, Viewer
from portfolio.addresses import client_address
from portfolio.forms import SelectionSendForm, SelectionStartForm
from portfolio.models import Picture, Project, Selection, SelectionRefused, ShareLink
from portfolio.views.events import request_refused
from portfolio.views.files import PictureDownloadView, ProjectZipView
from portfolio.views.htmx import wants_fragment
from portfolio.views.public import PictureGridMixin
from portfolio.views.steps import AFTER

logger = logging.getLogger(__name__)


class SharePasswordForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autofocus": True}))


def share_headers(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    # Not "no-referrer": under it Chromium posts a share page's forms (the password, the
    # favourites) with "Origin: null", which Django's CSRF check refuses. "same-origin" still
    # sends nothing to any other site.
    response["Referrer-Policy"] = "same-origin"
    add_never_cache_headers(response)
    return response


class ShareLinkMixin:
    """Resolve the link in the URL; answer its unavailable page unless it opens its project."""

    def dispatch(self, request, *args, **kwargs) -> HttpResponse:
        self.link = ShareLink.from_token(kwargs["token"])
        if self.link is None or not self.link.is_usable:
            # Only an expired link says so: a revoked one looks like a link that never was.
            expired = self.link is not None and self.link.is_expired and not self.link.is_revoked
            return share_headers(
                TemplateResponse(
                    request,
                    "portfolio/share_unavailable.html",
                    {"expired": expired},
                    status=410 if expired else 404,
                )
            )
        if self.link.has_password and not self.password_given():
            return self.password_required(request)
        return share_headers(super().dispatch(request, *args, **kwargs))

    # ------------------------------------------------------------ the password

    def password_given(self) -> bool:
        proof = self.request.session.get(self.link.session_key, "")
        return constant_time_compare(proof, self.link.password_proof)

    def password_required(self, request) -> HttpResponse:
        # Counted per link and client address (models/sharing.py): only this address waits.
        address = client_address(request)
        if wait := self.link.password_wait(address):
            return self.password_locked(request, wait)
        # Only a post of the password form tries one: a heart posted after the session that
        # proved it lapsed is shown the form, with no error.
        attempt = request.method == "POST" and "password" in request.POST
        form = SharePasswordForm(request.POST if attempt else None)
        if form.is_valid():
            # Counted before it is checked, atomically; a right one starts the count again.
            if not self.link.take_password_try(address):
                return self.password_locked(request, self.link.password_wait(address))
            if self.link.check_password(form.cleaned_data["password"]):
                self.link.forget_password_tries(address)
                request.session.cycle_key()
                request.session[self.link.session_key] = self.link.password_proof
                # Back to the page asked for; from an address that takes posts only (a
                # heart's), to the link's page.
                if "get" in self.http_method_names:
                    return redirect(request.get_full_path())
                return redirect(self.link.get_absolute_url())
            form.add_error("password", "That is not the password of this link.")
            if wait := self.link.password_wait(address):
                return self.password_locked(request, wait)
        status = 400 if request.method == "POST" else 200
        if status == 400 and wants_fragment(request):  # A heart: htmx swaps no 4xx, so is told.
            message = "Enter this link's password again: reload the page."
            return share_headers(request_refused(HttpResponse(status=status), message))
        response = TemplateResponse(
            request,
            "portfolio/share_password.html",
            {"form": form, "link": self.link},
            status=status,
        )
        return share_headers(response)

    def password_locked(self, request, seconds: int) -> HttpResponse:
        """429: this address used up its tries; it may try again in `seconds`."""
        seconds = max(1, seconds)
        response = TemplateResponse(
            request,
            "portfolio/share_locked.html",
            {"minutes": math.ceil(seconds / 60)},
            status=429,
        )
        response["Retry-After"] = str(seconds)
        return share_headers(response)

    # ------------------------------------------------------------ what it grants

    @property
    def viewer(self) -> Viewer:
        return Viewer(link=self.link)

    @property
    def grant(self) -> Grant | None:
        return self.viewer.grant(self.link.project)

    def get_project_and_grant(self) -> tuple[Project, Grant]:
        return self.link.project, self.grant


class SharedProjectView(ShareLinkMixin, PictureGridMixin, TemplateView):
    """The project as its link's holder sees it (a POST carries the password)."""

    template_name = "portfolio/share_project.html"
    http_method_names = ["get", "head", "post"]

    def post(self, request, *args, **kwargs) -> HttpResponse:
        return redirect(self.link.get_absolute_url())  # The password was given already.

    def get(self, request, *args, **kwargs) -> HttpResponse:
        self.link.record_use()
        return self.page()

    def page(self, status: int = 200, **proofing) -> HttpResponse:
        """The share page; `proofing` replaces parts of its selection (a form with errors)."""
        project = self.link.project
        context = {"link": self.link, **proofing_context(self.request, self.link)}
        pictures = project.pictures.all()
        if context.get("only_favourites"):
            pictures = pictures.filter(favourites__selection=context["selection"])
            # The page still opens on the project's cover, which may be no favourite.
            project.first_picture = project.pictures.in_display_order().first()
        if self.asks_where():  # Among the pictures this page shows: only theirs, if so.
            return self.where_is(pictures)
        context.update(self.grid_context(project, pictures, viewer=self.viewer, can_edit=False))
        mark_favourites(context["pictures"], context.get("chosen", set()))
        if context.get("only_favourites"):
            context["picture_count"] = context["favourite_count"]
        context.update(proofing)
        return self.render_to_response(context, status=status)


class SharedPictureDownloadView(ShareLinkMixin, PictureDownloadView):
    pass


class SharedZipDownloadView(ShareLinkMixin, ProjectZipView):
    pass


# ---------------------------------------------------------------- favourites (models/proofing.py)

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


def new_key_session_key(link: ShareLink) -> str:
    """Where the personal link of a selection just started waits to be shown, once."""
    return f"share-link-{link.pk}-selection-new-key"


def personal_link(request, link: ShareLink, key: str) -> str:
    path = reverse("portfolio:share-selection-claim", kwargs={"token": link.token, "key": key})
    return request.build_absolute_uri(path)


def proofing_context(request, link: ShareLink) -> dict:
    """What the share page adds for a link that takes favourites (SharedProjectView)."""
    if not link.allows_favourites:
        return {}
    selection = current_selection(request, link)
    chosen = set(selection.favourites.values_list("picture_id", flat=True)) if selection else set()
    query = request.POST if request.method == "POST" else request.GET  # A refused POST too.
    # Shown on the first page after starting, then forgotten: only its hash is kept.
    new_key = request.session.pop(new_key_session_key(link), "") if selection else ""
    return {
        "selection": selection,
        "chosen": chosen,
        "personal_link": personal_link(request, link, new_key) if new_key else "",
        "favourite_count": len(chosen),
        "can_choose": bool(selection) and not selection.refusal(),
        # Over every step: the grid shows only theirs, stepping through them alone.
        "only_favourites": bool(selection) and query.get(FAVOURITES_ONLY) == "1",
        "start_form": SelectionStartForm(),
        "send_form": SelectionSendForm(instance=selection) if selection else None,
        # The hearts post with htmx: _base.html gives it the CSRF token.
        "htmx_posts": bool(selection),
    }


def mark_favourites(pictures: list[Picture], chosen: set[int]) -> None:
    for picture in pictures:
        picture.is_favourite = picture.pk in chosen


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
        query = {}
        if self.request.POST.get(FAVOURITES_ONLY) == "1":
            query[FAVOURITES_ONLY] = "1"
        if after := self.request.POST.get(AFTER):  # A heart on a later step's page.
            query[AFTER] = after
        url = self.link.get_absolute_url() + (f"?{urlencode(query)}" if query else "")
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
    """POST handler: a new selection under this name, kept by this browser."""

    def act(self) -> HttpResponse:
        if self.selection is not None:  # The form sent twice: the first one is theirs.
            return self.back()
        form = SelectionStartForm(self.request.POST)
        if not form.is_valid():
            return self.invalid("start_form", form)
        selection, key = Selection.objects.start(self.link, form.cleaned_data["name"])
        self.request.session[selection_session_key(self.link)] = selection.pk
        self.request.session[new_key_session_key(self.link)] = key
        if address := form.cleaned_data["email"]:
            try:
                selection.email_personal_link(address, personal_link(self.request, self.link, key))
            except Exception:  # The mail server's failure is not the client's.
                logger.exception("Selection %s: its personal link not e-mailed", selection.pk)
                messages.error(
                    self.request, "We could not e-mail your personal link: copy it from here."
                )
            else:
                messages.success(self.request, f"Your personal link is on its way to {address}.")
        return self.back()


class SelectionClaimView(ShareLinkMixin, View):
    """GET handler: a personal link makes this browser choose in its selection."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs) -> HttpResponse:
        selection = (
            Selection.objects.filter(link=self.link).with_key(kwargs["key"]).first()
            if self.link.allows_favourites
            else None
        )
        if selection is None:
            return not_found(request)
        request.session[selection_session_key(self.link)] = selection.pk
        messages.success(request, f"Welcome back, {selection.name}: here is your selection.")
        return HttpResponseRedirect(f"{self.link.get_absolute_url()}#selection")


class SelectionLeaveView(ProofingActionView):
    """POST handler: this browser stops choosing in it (its personal link still opens it)."""

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
        self.selection.send(form.cleaned_data["note"], name=form.cleaned_data["name"])
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
