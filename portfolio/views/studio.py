"""The owners' pages: their projects, uploads and arranging pictures."""

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.generic import (
    CreateView,
    DeleteView,
    FormView,
    ListView,
    UpdateView,
    View,
)
from django.views.generic.detail import SingleObjectMixin
from django_htmx.http import reswap, retarget

from portfolio.access import Viewer
from portfolio.forms import (
    PictureCaptionForm,
    PictureFocusForm,
    PictureUploadForm,
    ProjectForm,
    UploadResult,
    save_uploads,
)
from portfolio.models import InvalidCursor, Picture, Project, Step
from portfolio.views.editors import EditorRequiredMixin
from portfolio.views.events import request_refused, upload_judged
from portfolio.views.public import PictureGridMixin, picture_grid_context
from portfolio.views.share_links import sharing_context
from portfolio.views.steps import AFTER, StepsMixin


class StudioView(StepsMixin, EditorRequiredMixin, ListView):
    """GET handler for the owner's own projects, drafts included, newest first, in steps."""

    template_name = "portfolio/studio.html"
    context_object_name = "project_list"  # Named from a queryset, not from a step's list.
    step_template_name = "portfolio/studio.html#project-step"

    def get_queryset(self):
        return self.editable_projects().filter(owner=self.request.user).with_cover()

    def get_context_data(self, **kwargs) -> dict:
        step = self.get_step(self.object_list)
        return super().get_context_data(
            object_list=step.items,
            viewer=Viewer(user=self.request.user),
            **self.step_context(step),
            **kwargs,
        )


class ProjectCreateView(EditorRequiredMixin, CreateView):
    model = Project
    form_class = ProjectForm

    def form_valid(self, form) -> HttpResponse:
        form.instance.owner = self.request.user
        response = super().form_valid(form)
        messages.success(self.request, f"“{self.object}” created. Now add its pictures.")
        return response

    def get_success_url(self) -> str:
        return reverse("portfolio:project-update", kwargs={"slug": self.object.slug})


class ProjectUpdateView(PictureGridMixin, EditorRequiredMixin, UpdateView):
    """The project's details, its upload form and its pictures to arrange."""

    form_class = ProjectForm

    def get_queryset(self):
        return self.editable_projects().select_related("category")

    def get(self, request, *args, **kwargs) -> HttpResponse:
        if self.asks_where():
            return self.where_is(self.get_object().pictures.all())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs) -> dict:
        edit_url = reverse("portfolio:project-update", kwargs={"slug": self.object.slug})
        viewer = Viewer(user=self.request.user)
        context = self.grid_context(
            self.object,
            self.object.pictures.all(),
            viewer=viewer,
            can_edit=True,
            next_url=edit_url,
        )
        context.update(
            sharing_context(self.object, self.request.user), upload_form=PictureUploadForm()
        )
        return super().get_context_data(**context, **kwargs)

    def form_invalid(self, form) -> HttpResponse:
        # The form wrote its (invalid) values onto the project: links must use the saved slug.
        self.object.refresh_from_db()
        return super().form_invalid(form)

    def form_valid(self, form) -> HttpResponse:
        try:
            response = super().form_valid(form)
        except Project.NotUpdated:
            # Deleted in another tab since this page was opened: nothing to save it into.
            raise Http404("This project was deleted meanwhile.") from None
        messages.success(self.request, "Project saved.")
        return response

    def get_success_url(self) -> str:
        return reverse("portfolio:project-update", kwargs={"slug": self.object.slug})


class ProjectDeleteView(EditorRequiredMixin, DeleteView):
    """Ask, then delete the project with its pictures (django-cleanup removes the files)."""

    def get_queryset(self):
        return self.editable_projects()

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, f"“{self.object}” and its pictures were deleted.")
        return response

    def get_success_url(self) -> str:
        return reverse("portfolio:studio")


class PictureUploadView(EditorRequiredMixin, FormView):
    """
    Store the posted file as a picture, or say why not; a plain post may carry several.

    Each file is cleaned by its own PictureUploadForm, whose field runs the gate. htmx gets
    the feedback fragment with the new picture out of band; a plain post is redirected with
    messages. When nothing could be stored the answer is a 400 with the reasons (for a plain
    post, this page with the form again). Every answer says what happened in an event for
    upload.js too (portfolio/views/events.py).
    """

    form_class = PictureUploadForm
    template_name = "portfolio/picture_upload.html"
    htmx_template_name = "portfolio/_upload_form.html#upload-feedback"
    signed_out_message = (
        "You are no longer signed in. Reload the page, sign in and add the rest again."
    )

    def get(self, request, *args, **kwargs) -> HttpResponse:
        self.project = self.get_project()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs) -> HttpResponse:
        """POST handler: judge and store each file posted, in order."""
        # Other people's projects are a 404 before any file is looked at.
        self.project = self.get_project()
        forms = self.form_class.for_each_file(request.POST, request.FILES, project=self.project)
        if not request.FILES.getlist("photos"):
            return self.form_invalid(forms[0])
        try:
            result = save_uploads(forms)
        except Project.DoesNotExist:
            # Deleted while its files were coming in: they went with it.
            raise Http404("No such project.") from None
        return self.judged(result)

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "project": self.project}

    def handle_no_permission(self) -> HttpResponse:
        response = super().handle_no_permission()
        if self.request.htmx:
            request_refused(response, self.signed_out_message)
        return response

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context.update(
            project=self.project,
            viewer=Viewer(user=self.request.user),
            upload_form=context["form"],
            next_url=self.next_url(self.project.get_absolute_url()),
        )
        return context

    def judged(self, result: UploadResult) -> HttpResponse:
        """The answer to files the gate judged: what was stored, and what not, and why."""
        status = 400 if result.rejections and not result.pictures else 200
        if not self.request.htmx and result.pictures:
            count = len(result.pictures)
            messages.success(self.request, f"{count} picture{'s' if count != 1 else ''} added.")
            for rejection in result.rejections:
                messages.error(self.request, f"{rejection.name}: {rejection.reason}")
            return HttpResponseRedirect(self.next_url(self.project.get_absolute_url()))
        # An unbound form: the page shows the reasons from the result, not as form errors.
        context = self.get_context_data(form=self.form_class(project=self.project), result=result)
        if self.request.htmx:
            # The new pictures are rendered as grid items: with their tools and cover badge.
            context.update(can_edit=True, cover_id=self.project.cover_picture_id)
        response = self.render_to_response(context, status=status)
        return upload_judged(response, pictures=result.pictures, refused=len(result.rejections))

    def form_invalid(self, form) -> HttpResponse:
        # No file at all: nothing to judge.
        response = self.render_to_response(self.get_context_data(form=form), status=400)
        return request_refused(response, " ".join(form.errors.get("photos", ["Nothing sent."])))


class PictureArrangeView(EditorRequiredMixin, View):
    """
    POST handler: put the pictures posted (`pictures`, ids) in that order, in the places they
    hold (Project.arrange). upload.js sends it when a selection's pictures were stored out of
    the order it sent them in; it reorders the grid itself, so the answer is an empty 204.
    """

    def post(self, request, *args, **kwargs) -> HttpResponse:
        project = self.get_project()
        # One comma-separated field: a shoot of thousands stays under
        # DATA_UPLOAD_MAX_NUMBER_FIELDS.
        values = [v for value in request.POST.getlist("pictures") for v in value.split(",") if v]
        try:
            picture_ids = [int(value) for value in values]
        except ValueError:
            return HttpResponseBadRequest("pictures must be picture ids.")
        if not all(0 < pk < 2**63 for pk in picture_ids):  # Beyond any id (SQLite overflows).
            return HttpResponseBadRequest("pictures must be picture ids.")
        try:
            project.arrange(picture_ids)
        except ValueError as error:
            return HttpResponseBadRequest(str(error))
        except Project.DoesNotExist:
            raise Http404("No such project.") from None
        return HttpResponse(status=204)


class PictureMixin(EditorRequiredMixin, SingleObjectMixin):
    """One picture of a project the user may edit, and the answer after changing it."""

    model = Picture

    def get_queryset(self):
        return Picture.objects.filter(
            project__in=self.editable_projects(), project__slug=self.kwargs["slug"]
        ).select_related("project")

    def get_object(self, queryset=None) -> Picture:
        # Its own pages (caption, focus, delete) show it as its editor sees it, drafts too.
        return super().get_object(queryset)

    def get_context_data(self, **kwargs) -> dict:
        # Where the page's form returns to, and its Cancel link leads.
        next_url = self.next_url(self.object.project.get_absolute_url())
        viewer = Viewer(user=self.request.user)
        return super().get_context_data(next_url=next_url, viewer=viewer, **kwargs)

    def changed(
        self,
        picture: Picture,
        fragment: str = "_picture_grid.html#picture-item",
        *,
        redrawn: Iterable[int | None] = (),
        **changes,
    ) -> HttpResponse:
        """
        Answer htmx with what changed (_picture_changed.html): `fragment` for the picture (""
        where its item goes), the pictures `redrawn` (ids) that the page shows, and the
        `changes` a move or a deletion makes (ShownGrid); a plain post, with a redirect to its
        page.
        """
        project = picture.project
        next_url = self.next_url(project.get_absolute_url())
        if not self.request.htmx:
            anchor = f"#picture-{picture.pk}" if picture.pk else ""
            return HttpResponseRedirect(f"{next_url.split('#')[0]}{anchor}")
        viewer = Viewer(user=self.request.user)
        context = picture_grid_context(
            project, [], viewer=viewer, can_edit=True, next_url=next_url
        )
        # The picture itself is in `fragment`, or placed, unless only redrawn (a new cover).
        ids = {pk for pk in redrawn if pk and (pk != picture.pk or not fragment)}
        shown = self.shown_grid(project)
        # The project page opens on its cover, which the change may have changed: it comes
        # too. Not to the edit page, which has none (htmx would log a swap with no target).
        asked_from = urlsplit(self.request.htmx.current_url or "").path
        context.update(
            picture=picture,
            fragment=f"portfolio/{fragment}" if fragment else "",
            redrawn=[p for p in project.pictures.filter(pk__in=ids) if shown.shows(p)],
            hero=asked_from == project.get_absolute_url(),
            **changes,
        )
        if more := changes.get("more"):
            context["next_step_url"] = f"{asked_from}?{AFTER}={more.next_cursor}"
        return TemplateResponse(self.request, "portfolio/_picture_changed.html", context)

    def shown_grid(self, project: Project) -> "ShownGrid":
        # Kept for the request: a move reads it before and after.
        if getattr(self, "_shown_grid", None) is None:
            self._shown_grid = ShownGrid(project, self.request.POST.get("shown_through"))
        return self._shown_grid

    def rearranged(self, picture: Picture, change: Callable[[], object]) -> HttpResponse:
        """
        Make `change` (a move, a deletion) and answer with where the picture now is on the
        page: put back at its place when the page shows that place, else gone (a later step
        brings it); the More link again when its last picture was this one; the cover's badge
        where it moved.
        """
        project = picture.project
        shown = self.shown_grid(project)
        cover_before = project.cover_picture_id
        was_last = shown.last is not None and shown.last.pk == picture.pk
        if was_last:  # The page's next step now starts after the picture before it.
            shown.last = picture.neighbours()[0]
        change()
        project.refresh_from_db(fields=["cover"])
        shown.refresh()
        changes = {}
        if picture.pk and shown.shows(picture):
            changes["placed_before"] = picture.neighbours()[1]
            changes["placed_last"] = changes["placed_before"] is None
        if was_last and shown.last is not None:
            changes["more"] = Step([], "", project.pictures.cursor_of(shown.last))
        # Its own badge comes with it where it is placed; gone, it needs none.
        covers = {cover_before, project.cover_picture_id} - {picture.pk}
        return self.changed(picture, "", redrawn=covers, **changes)


class ShownGrid:
    """
    What the owner's page shows of a project's grid, as studio.js says with each change it
    posts (`shown_through`): every picture (""), or the first ones through the picture its More
    link names (a cursor); nothing else is known (no script: a plain post, redirected).
    """

    def __init__(self, project: Project, shown_through: str | None):
        self.everything = shown_through == ""
        self.last: Picture | None = None
        if shown_through:
            try:
                position, pk = project.pictures.parse_cursor(shown_through)
            except InvalidCursor:
                return
            # Gone since (another tab): the page shows through its place.
            self.last = project.pictures.filter(pk=pk).first() or Picture(pk=pk, position=position)

    def shows(self, picture: Picture) -> bool:
        if self.everything:
            return True
        last = self.last
        return last is not None and (picture.position, picture.pk) <= (last.position, last.pk)

    def refresh(self) -> None:
        """Read the last picture shown where it is now: a move renumbers."""
        if self.last is not None and self.last.project_id:
            self.last.refresh_from_db(fields=["position"])


class PictureFormView(PictureMixin, UpdateView):
    """
    A form on one picture: its page, or inline in the grid with htmx, where the errors go
    into the picture's own `#<htmx_partial>-<id>` element and a success redraws the picture.
    """

    def form_valid(self, form) -> HttpResponse:
        picture = form.save()
        return self.changed(picture, fragment="_picture_grid.html#picture-item")

    def form_invalid(self, form) -> HttpResponse:
        response = super().form_invalid(form)
        if self.request.htmx:
            target = f"#{self.htmx_partial}-{self.object.pk}"
            return reswap(retarget(response, target), "innerHTML")
        return response


class PictureUpdateView(PictureFormView):
    """Edit a picture's caption."""

    form_class = PictureCaptionForm
    htmx_partial = "caption-errors"


class PictureCoverView(PictureMixin, View):
    """POST handler: make this picture the project's cover."""

    def post(self, request, *args, **kwargs) -> HttpResponse:
        picture = self.get_object()
        project = picture.project
        cover_before = project.cover_picture_id
        project.cover = picture
        project.save(update_fields=["cover", "updated"])
        # The picture with its badge, and the one that had it.
        return self.changed(picture, "", redrawn=[picture.pk, cover_before])


class PictureMoveView(PictureMixin, View):
    """POST handler: move a picture one place earlier (`direction=up`) or later (`down`)."""

    offsets = {"up": -1, "down": 1}

    def post(self, request, *args, **kwargs) -> HttpResponse:
        picture = self.get_object()
        offset = self.offsets.get(request.POST.get("direction", ""))
        if offset is None:
            return HttpResponseBadRequest("direction must be “up” or “down”.")
        return self.rearranged(picture, lambda: picture.move(offset))


class PictureMoveToView(PictureMixin, View):
    """
    POST handler: move a picture to `position` (from 0), as a drop in the grid does, or to
    `place` (from 1), as the owner counts in the Move to form: anywhere, shown or not yet.
    """

    def post(self, request, *args, **kwargs) -> HttpResponse:
        picture = self.get_object()
        place = request.POST.get("place")
        try:
            position = (
                int(place) - 1 if place is not None else int(request.POST.get("position", ""))
            )
        except ValueError:
            return HttpResponseBadRequest("position and place must be whole numbers.")
        return self.rearranged(picture, lambda: picture.move_to(position))


class PictureFocusView(PictureFormView):
    """Set the point crops keep in frame: a click on the picture with htmx, or the form."""

    form_class = PictureFocusForm
    template_name = "portfolio/picture_focus_form.html"
    htmx_partial = "focal-errors"


class PictureDeleteView(PictureMixin, DeleteView):
    """Ask (a page without JavaScript, a confirm() with htmx), then delete the picture."""

    def form_valid(self, form) -> HttpResponse:
        if not self.request.htmx:
            messages.success(self.request, "Picture deleted.")
        # The database lets go of the cover if it was this picture (rearranged() reads it).
        return self.rearranged(self.object, self.object.delete)
