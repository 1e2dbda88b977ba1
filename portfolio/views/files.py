"""
Bytes: private files on disk behind signed URLs, and downloads (one picture, or a ZIP).

Who may fetch what is decided by portfolio/access.py (a Grant); these views only check it and
send the bytes. Downloads come in two sizes: "web" (the largest rendition) and "original".
"""

import time
from pathlib import PurePosixPath

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.generic import View

from portfolio.access import Grant, accel_redirect_path, read_signed_file_url, rendition_storage
from portfolio.downloads import download_names, stream_zip
from portfolio.models import Picture, Project

SIZES = ("web", "original")


def _private_headers(response: HttpResponse, seconds: int) -> HttpResponse:
    patch_cache_control(response, private=True, max_age=max(0, seconds))
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


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
        grant = signed.grant.current(picture) if picture else None
        if grant is None or not self._names_a_file_of(picture, signed, grant):
            raise Http404("This address no longer works.")
        storage = signed.storage
        seconds = signed.expires - int(time.time())
        if not signed.public and settings.PORTFOLIO_PRIVATE_MEDIA_ACCEL_PREFIX:
            response = HttpResponse(content_type="")  # nginx sets it from the file name.
            del response["Content-Type"]
            response["X-Accel-Redirect"] = accel_redirect_path(signed.name)
            if signed.filename:
                response["Content-Disposition"] = content_disposition_header(True, signed.filename)
        else:
            try:
                file = storage.open(signed.name, "rb")
            except FileNotFoundError:
                raise Http404("This file is gone.") from None
            response = FileResponse(
                file, as_attachment=bool(signed.filename), filename=signed.filename or basename
            )
        return _private_headers(response, seconds)

    @staticmethod
    def _names_a_file_of(picture: Picture, signed, grant: Grant) -> bool:
        """Whether the name is this picture's, where it is now, and the grant allows it."""
        if signed.name == picture.photo.name:
            return not signed.public and grant.may_download_originals
        if signed.name not in picture.rendition_names:
            return False
        if signed.public != picture.renditions_public:
            return False  # Moved since: the page hands out the new address.
        if signed.filename:
            return grant.may_download
        return signed.public or grant.sees_private


class DownloadMixin:
    """A project's pictures for download, as far as the viewer's grant allows."""

    def get_project_and_grant(self) -> tuple[Project, Grant]:
        raise NotImplementedError

    def allowed_size(self, grant: Grant) -> str:
        size = self.request.GET.get("size", "web")
        if size not in SIZES:
            raise Http404("No such size.")
        if size == "original" and not grant.may_download_originals:
            raise Http404("Originals are not for download here.")
        if not grant.may_download:
            raise Http404("Downloads are not allowed here.")
        return size

    def downloadable_pictures(self, project: Project, grant: Grant, size: str) -> list[Picture]:
        pictures = [p.shown_to(grant) for p in project.pictures.in_display_order()]
        if size == "original":
            return [picture for picture in pictures if picture.photo]
        return [picture for picture in pictures if picture.media.renditions_visible]

    @staticmethod
    def stored_name(picture: Picture, size: str) -> str:
        return picture.photo.name if size == "original" else picture.renditions[-1]["name"]

    @classmethod
    def names(cls, pictures: list[Picture], size: str) -> dict[int, str]:
        return download_names(
            pictures, lambda picture: PurePosixPath(cls.stored_name(picture, size)).suffix
        )


class PictureDownloadView(DownloadMixin, View):
    """One picture as an attachment: a redirect to a URL that works for a while."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs) -> HttpResponse:
        project, grant = self.get_project_and_grant()
        size = self.allowed_size(grant)
        pictures = self.downloadable_pictures(project, grant, size)
        picture = next((p for p in pictures if p.pk == self.kwargs["pk"]), None)
        if picture is None:
            raise Http404("No such picture to download.")
        filename = self.names(pictures, size)[picture.pk]
        media = picture.media
        url = (
            media.original_url(filename)
            if size == "original"
            else media.web_download_url(filename)
        )
        if url:
            response = redirect(url)
        else:
            # A public rendition in a bucket has no URL that names it as an attachment: small
            # enough to pass through.
            file = rendition_storage(True).open(self.stored_name(picture, size), "rb")
            response = FileResponse(file, as_attachment=True, filename=filename)
        return _private_headers(response, 0)


class ProjectZipView(DownloadMixin, View):
    """Every picture of the project in one ZIP, streamed while it is made."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs) -> HttpResponse:
        project, grant = self.get_project_and_grant()
        size = self.allowed_size(grant)
        pictures = self.downloadable_pictures(project, grant, size)
        if not pictures:
            raise Http404("Nothing to download yet.")
        names = self.names(pictures, size)

        def entries():
            for picture in pictures:
                storage = (
                    picture.photo.storage
                    if size == "original"
                    else rendition_storage(picture.renditions_public)
                )
                name = self.stored_name(picture, size)
                yield (
                    names[picture.pk],
                    lambda storage=storage, name=name: storage.open(name, "rb"),
                    picture.created.timetuple()[:6],
                )

        response = StreamingHttpResponse(stream_zip(entries()), content_type="application/zip")
        suffix = "originals" if size == "original" else "web"
        response["Content-Disposition"] = content_disposition_header(
            True, f"{project.slug}-{suffix}.zip"
        )
        return _private_headers(response, 0)


class ProjectDownloadMixin(DownloadMixin):
    """Downloads from a project's own page: its owner and staff, or anyone if it is public."""

    def get_project_and_grant(self) -> tuple[Project, Grant]:
        user = self.request.user
        project = get_object_or_404(Project.objects.visible_to(user), slug=self.kwargs["slug"])
        return project, Grant.for_user(user, project)


class ProjectPictureDownloadView(ProjectDownloadMixin, PictureDownloadView):
    pass


class ProjectZipDownloadView(ProjectDownloadMixin, ProjectZipView):
    pass
