"""
What a share link's holder sees: the project's pictures, a password form if the owner set one,
and downloads as far as the link allows. Nothing else of the site.

A wrong or revoked link, or one whose project was made private, answers 404; an expired one
410; both with a page that says so. Share pages are never indexed, send no referrer to other
sites and are never kept by a cache.

Client proofing (models/proofing.py) lives under the link too, as the share page's own views, so
the link's password, expiry and revocation apply to every request, and a refusal shows the page
again. A link that takes no favourites answers 404 there. The visitor's selection is the one
whose id their session keeps for the link: "remembered in their browser" is the session cookie,
and typing the same name again (on another device, after the cookie is gone) opens the same
selection. The owner's side of proofing is in views/share_links.py.
"""

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import constant_time_compare
from django.views.generic import TemplateView

from portfolio.access import Grant, Viewer
from portfolio.forms import SelectionSendForm, SelectionStartForm
from portfolio.models import Picture, Project, Selection, SelectionRefused, ShareLink
from portfolio.views.events import request_refused
from portfolio.views.files import PictureDownloadView, ProjectZipView
from portfolio.views.htmx import wants_fragment


class SharePasswordForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autofocus": True}))


def cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


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

    @property
    def throttle_credentials(self) -> dict:
        # django-axes counts failures per (this link, address), as it does sign-ins.
        return {"username": self.link.throttle_username}

    def password_required(self, request) -> HttpResponse:
        if not AxesProxyHandler.is_allowed(request, self.throttle_credentials):
            response = TemplateResponse(
                request, "portfolio/share_locked.html", {"minutes": cooloff_minutes()}, status=429
            )
            return share_headers(response)
        # Only a post of the password form tries one: a heart posted after the session that
        # proved it lapsed is shown the form, with no error.
        attempt = request.method == "POST" and "password" in request.POST
        form = SharePasswordForm(request.POST if attempt else None)
        if form.is_valid():
            # Counted before it is checked, atomically (models/sharing.py): a right one resets.
            counted = self.link.take_password_try(
                request.axes_ip_address, request.axes_user_agent, request.axes_path_info
            )
            if counted and self.link.check_password(form.cleaned_data["password"]):
                AxesProxyHandler.reset_attempts(
                    ip_address=getattr(request, "axes_ip_address", None),
                    username=self.throttle_credentials["username"],
                )
                request.session.cycle_key()
                request.session[self.link.session_key] = self.link.password_proof
                # Back to the page asked for; from an address that takes posts only (a
                # heart's), to the link's page.
                if "get" in self.http_method_names:
                    return redirect(request.get_full_path())
                return redirect(self.link.get_absolute_url())
            form.add_error("password", "That is not the password of this link.")
            if not AxesProxyHandler.is_allowed(request, self.throttle_credentials):
                response = TemplateResponse(
                    request,
                    "portfolio/share_locked.html",
                    {"minutes": cooloff_minutes()},
                    status=429,
                )
                return share_headers(response)
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

    # ------------------------------------------------------------ what it grants

    @property
    def viewer(self) -> Viewer:
        return Viewer(link=self.link)

    @property
    def grant(self) -> Grant | None:
        return self.viewer.grant(self.link.project)

    def get_project_and_grant(self) -> tuple[Project, Grant]:
        return self.link.project, self.grant


class SharedProjectView(ShareLinkMixin, TemplateView):
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
        pictures = list(project.pictures.in_display_order())
        project.first_pictures = pictures[:1]  # The cover (_project_hero.html), no query.
        context = {
            "link": self.link,
            "project": project,
            "pictures": pictures,
            "viewer": self.viewer,
            "grant": self.grant,
            "can_edit": False,
        }
        context.update(proofing_context(self.request, self.link, pictures), **proofing)
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
