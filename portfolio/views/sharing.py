"""
What a share link's holder sees: the project's pictures, a password form if the owner set one,
and downloads as far as the link allows. Nothing else of the site.

A wrong or revoked link, or one whose project was made private, answers 404; an expired one
410; both with a page that says so. Share pages are never indexed, send no referrer to other
sites and are never kept by a cache. Client proofing (favourites) is in views/proofing.py.
"""

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import constant_time_compare
from django.views.generic import TemplateView

from portfolio.access import Grant, grant_for
from portfolio.models import Project, ShareLink
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
        return {"username": f"share-link:{self.link.pk}"}

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
            if self.link.check_password(form.cleaned_data["password"]):
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
            user_login_failed.send(
                sender=ShareLink, credentials=self.throttle_credentials, request=request
            )
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
    def grant(self) -> Grant:
        return grant_for(self.link.project, link=self.link)

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
        pictures = [p.shown_to(self.grant) for p in project.pictures.in_display_order()]
        context = {
            "link": self.link,
            "project": project,
            "pictures": pictures,
            "grant": self.grant,
            "can_edit": False,
        }
        # Imported here: proofing's views build on this one.
        from portfolio.views.proofing import proofing_context

        context.update(proofing_context(self.request, self.link, pictures), **proofing)
        return self.render_to_response(context, status=status)


class SharedPictureDownloadView(ShareLinkMixin, PictureDownloadView):
    pass


class SharedZipDownloadView(ShareLinkMixin, ProjectZipView):
    pass
