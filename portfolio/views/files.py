"""
Bytes: private files on disk behind signed URLs, and downloads (one picture, or a ZIP).

Who may fetch what is decided by portfolio/access.py: these views find who is asking (the
signed URL's holder, the signed-in user, the share link) and ask access.decide() once per file.
Downloads come in two sizes: "web" (a 2048 px JPEG) and "original". An original's bytes come
from access.original_bytes() alone, always as an attachment. A ZIP holds a download slot while
it streams (models/downloads.py): beyond the limits, a 429 that says when to try again.
"""

import io
import itertools
import time
from collections.abc import Iterator
from functools import partial
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.generic import View

from portfolio.access import (
    ORIGINAL,
    Grant,
    PictureMedia,
    accel_redirect_path,
    decide,
    grant_for,
    original_bytes,
    read_signed_file_url,
)
from portfolio.addresses import client_address
from portfolio.downloads import SlotHeldStream, named_downloads, stream_zip
from portfolio.images.originals import OriginalRefused
from portfolio.models import DownloadsBusy, DownloadSlot, Picture, Project, ShareLink


def _private_headers(response: HttpResponse, seconds: int) -> HttpResponse:
    patch_cache_control(response, private=True, max_age=max(0, seconds))
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    # Also on what nginx sends for us (X-Accel-Redirect): a file is never sniffed as a page.
    response["X-Content-Type-Options"] = "nosniff"
    return response


def grant_of_holder(holder: str, project: Project) -> Grant | None:
    """
    The grant a signed URL's holder gets now for `project`, if it is still the one signed:
    None once the link is revoked or expired, the project made private, the account closed...
    """
    kind, _, key = holder.partition(":")
    grant = None
    if kind == "public":
        grant = grant_for(project)
    elif kind == "user" and key.isdigit():
        user = get_user_model().objects.filter(pk=key).first()
        grant = grant_for(project, user=user) if user else None
    elif kind == "link" and key.isdigit():
        link = ShareLink.objects.filter(pk=key, project=project).first()
        if link is not None:
            link.project = project
            grant = grant_for(project, link=link)
    return grant if grant is not None and grant.holder == holder else None


class SignedFileView(View):
    """
    One file named by a signed URL (access.signed_file_url), while the grant still holds.

    On disk only (S3 checks its own presigned URLs). Behind nginx, the bytes are sent by nginx
    from an internal location (X-Accel-Redirect); otherwise by Django.
    """

    http_method_names = ["get", "head"]

    def get(self, request, token: str, basename: str) -> HttpResponse:
        signed = read_signed_file_url(token)
        if signed is None or PurePosixPath(signed.name).name != basename:
            raise Http404("This address has expired or was never valid.")
        picture = Picture.objects.select_related("project").filter(pk=signed.picture_id).first()
        if picture is None:
            raise Http404("This address no longer works.")
        decision = decide(
            grant_of_holder(signed.holder, picture.project),
            picture,
            name=signed.name,
            public=signed.public,
            attachment=bool(signed.filename),
        )
        if not decision:
            raise Http404("This address no longer works.")
        seconds = signed.expires - int(time.time())
        if decision.name == picture.photo.name:
            # decide() lets an original out only as an attachment: the URL names its file.
            response = _original_response(picture, signed.filename)
        elif not decision.public and settings.PORTFOLIO_PRIVATE_MEDIA_ACCEL_PREFIX:
            response = HttpResponse(content_type="")  # nginx sets it from the file name.
            del response["Content-Type"]
            response["X-Accel-Redirect"] = accel_redirect_path(decision.name)
            if signed.filename:
                response["Content-Disposition"] = content_disposition_header(True, signed.filename)
        else:
            try:
                file = decision.storage.open(decision.name, "rb")
            except FileNotFoundError:
                raise Http404("This file is gone.") from None
            response = FileResponse(
                file, as_attachment=bool(signed.filename), filename=signed.filename or basename
            )
        return _private_headers(response, seconds)


def _original_response(picture: Picture, filename: str) -> HttpResponse:
    """An original as it may leave: an attachment, whatever the URL asked."""
    try:
        data = original_bytes(picture)
    except FileNotFoundError:
        raise Http404("This file is gone.") from None
    except OriginalRefused:
        return HttpResponse(
            "This original cannot be sent: its metadata could not be cleaned.",
            status=422,
            content_type="text/plain; charset=utf-8",
        )
    return FileResponse(io.BytesIO(data), as_attachment=True, filename=filename)


class DownloadMixin:
    """A project's pictures for download, as far as access.decide() allows the viewer."""

    def get_project_and_grant(self) -> tuple[Project, Grant | None]:
        raise NotImplementedError

    def downloads(self) -> tuple[Project, Grant, str, Iterator[tuple[Picture, str]]]:
        """
        The project, the grant, the size asked for, and each picture allowed in that size
        (its `decision` on it) with its file name, in display order: the rows are read as
        they are reached, PORTFOLIO_ZIP_ROWS_PER_FETCH a query, never all at once.
        """
        project, grant = self.get_project_and_grant()
        size = self.request.GET.get("size", "web")
        pictures = project.pictures.iterate_in_display_order(settings.PORTFOLIO_ZIP_ROWS_PER_FETCH)

        def allowed() -> Iterator[Picture]:
            for picture in pictures:
                picture.decision = decide(grant, picture, size=size, attachment=True)
                if picture.decision:
                    yield picture

        def extension(picture: Picture) -> str:
            return PurePosixPath(picture.decision.name).suffix

        return project, grant, size, named_downloads(allowed(), extension)


class PictureDownloadView(DownloadMixin, View):
    """One picture as an attachment: a redirect to a URL that works for a while."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs) -> HttpResponse:
        _, grant, size, allowed = self.downloads()
        # Named as in the ZIP: by the pictures before it, read until it comes.
        found = next(((p, name) for p, name in allowed if p.pk == self.kwargs["pk"]), None)
        if found is None:
            raise Http404("No such picture to download.")
        picture, filename = found
        decision = picture.decision
        url = PictureMedia(picture, grant).download_url(size, filename)
        if url:
            response = redirect(url)
        else:
            # A public rendition in a bucket has no URL that names it as an attachment: small
            # enough to pass through.
            file = decision.storage.open(decision.name, "rb")
            response = FileResponse(file, as_attachment=True, filename=filename)
        return _private_headers(response, 0)


class ProjectZipView(DownloadMixin, View):
    """Every picture of the project in one ZIP, streamed while it is made."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs) -> HttpResponse:
        project, grant, size, allowed = self.downloads()
        first = next(allowed, None)
        if first is None:
            raise Http404("Nothing to download here.")
        # Last before the stream that releases it: nothing between may fail and keep it.
        try:
            slot = DownloadSlot.objects.take(grant.holder, client_address(request))
        except DownloadsBusy as busy:
            response = TemplateResponse(
                request, "portfolio/downloads_busy.html", {"message": str(busy)}, status=429
            )
            response["Retry-After"] = str(busy.retry_after)
            return _private_headers(response, 0)

        def entries():
            for picture, name in itertools.chain([first], allowed):
                decision, date_time = picture.decision, picture.created.timetuple()[:6]
                if size != ORIGINAL:
                    yield name, partial(decision.storage.open, decision.name, "rb"), date_time
                    continue
                try:
                    data = original_bytes(picture)
                except OriginalRefused as refused:
                    # The rest of the ZIP still comes, with a note where this file would be.
                    name, data = f"{name} (not sent).txt", f"{name}: {refused}\n".encode()
                yield name, partial(io.BytesIO, data), date_time

        response = StreamingHttpResponse(
            SlotHeldStream(stream_zip(entries()), slot), content_type="application/zip"
        )
        suffix = "originals" if size == ORIGINAL else "web"
        response["Content-Disposition"] = content_disposition_header(
            True, f"{project.slug}-{suffix}.zip"
        )
        return _private_headers(response, 0)


class ProjectDownloadMixin(DownloadMixin):
    """Downloads from a project's own page: its owner and staff, or anyone if it is public."""

    def get_project_and_grant(self) -> tuple[Project, Grant | None]:
        user = self.request.user
        project = get_object_or_404(Project.objects.visible_to(user), slug=self.kwargs["slug"])
        return project, grant_for(project, user=user)


class ProjectPictureDownloadView(ProjectDownloadMixin, PictureDownloadView):
    pass


class ProjectZipDownloadView(ProjectDownloadMixin, ProjectZipView):
    pass
