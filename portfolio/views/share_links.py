"""
The owner's side of sharing: a project's visibility, its share links, and what their clients
chose (a link's favourites turned on or off, a selection locked, its names as CSV).
"""

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.views.generic import CreateView, UpdateView, View
from django.views.generic.base import TemplateResponseMixin

from portfolio.access import Viewer
from portfolio.downloads import safe_stem
from portfolio.forms import ProjectVisibilityForm, ShareLinkFavouritesForm, ShareLinkForm
from portfolio.models import Project, Selection, ShareLink, label_selections
from portfolio.views.editors import EditorRequiredMixin


def sharing_context(
    project: Project,
    user,
    form: ShareLinkForm | None = None,
    favourites_form: ShareLinkFavouritesForm | None = None,
) -> dict:
    """What the project's sharing panel needs (templates/portfolio/_sharing.html)."""
    links = links_with_selections(project)
    for link in links:
        link.favourites_form = (
            favourites_form
            if favourites_form and favourites_form.instance.pk == link.pk
            else ShareLinkFavouritesForm(instance=link)
        )
    return {
        "project": project,
        "viewer": Viewer(user=user),
        "share_links": links,
        "share_link_form": form or ShareLinkForm(),
        "visibility_form": ProjectVisibilityForm(instance=project),
    }


def links_with_selections(project: Project) -> list[ShareLink]:
    """
    The project's links, each with its clients' selections (labelled: label_selections()) and
    their pictures.
    """
    links = list(project.share_links.prefetch_related("selections__favourites__picture"))
    for link in links:
        link.project = project
        selections = link.selections.all()
        label_selections(selections)
        for selection in selections:
            selection.link = link
            for picture in selection.pictures():
                picture.project = project
    return links


class SharingPanelMixin(EditorRequiredMixin):
    """Answer htmx with the sharing panel, a plain post with a redirect to the edit page."""

    template_name = "portfolio/project_sharing.html"
    # The partial lives in the template the page includes, not in the page itself.
    htmx_template_name = "portfolio/_sharing.html#sharing"

    def dispatch(self, request, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.project = self.get_project()
        return super().dispatch(request, *args, **kwargs)

    def edit_url(self) -> str:
        return reverse("portfolio:project-update", kwargs={"slug": self.project.slug}) + "#sharing"

    def panel(self, form=None, status: int = 200, **forms) -> HttpResponse:
        context = sharing_context(self.project, self.request.user, form, **forms)
        # TemplateResponse itself: the revoke view is a plain View, with no response_class.
        return TemplateResponse(self.request, self.get_template_names(), context, status=status)

    def done(self, message: str) -> HttpResponse:
        if self.request.htmx:
            return self.panel()
        messages.success(self.request, message)
        return HttpResponseRedirect(self.edit_url())


class ProjectVisibilityView(EditorRequiredMixin, UpdateView):
    """POST handler: make the project public, unlisted or private, in one click."""

    form_class = ProjectVisibilityForm
    http_method_names = ["post"]
    htmx_template_name = "portfolio/_visibility.html"
    template_name = "portfolio/project_form.html"

    def get_queryset(self):
        return self.editable_projects()

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(next_url=self.next_url(self.get_success_url()), **kwargs)

    def form_valid(self, form) -> HttpResponse:
        project = form.save()
        if self.request.htmx:
            return self.render_to_response(self.get_context_data(form=form))
        label = project.get_visibility_display().partition(":")[0]
        messages.success(self.request, f"“{project}” is now {label.lower()}.")
        return HttpResponseRedirect(self.next_url(self.get_success_url()))

    def form_invalid(self, form) -> HttpResponse:
        self.object.refresh_from_db()
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_success_url(self) -> str:
        return reverse("portfolio:studio")


class ShareLinkCreateView(SharingPanelMixin, CreateView):
    """A new share link for the project: the form on the edit page posts here."""

    form_class = ShareLinkForm
    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs) -> HttpResponse:
        return self.panel()

    def form_valid(self, form) -> HttpResponse:
        form.instance.project = self.project
        link = form.save()
        return self.done(f"Link “{link.label}” made: copy it from the list.")

    def form_invalid(self, form) -> HttpResponse:
        return self.panel(form, status=400)


class ShareLinkRevokeView(SharingPanelMixin, View):
    """POST handler: the link stops working at once (its image URLs within their lifetime)."""

    def post(self, request, *args, **kwargs) -> HttpResponse:
        link = get_object_or_404(ShareLink, project=self.project, pk=kwargs["pk"])
        link.revoke()
        return self.done(f"Link “{link.label}” revoked.")


# ---------------------------------------------------------------- what the clients chose


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
        same_link = [
            selection if other.pk == selection.pk else other
            for other in Selection.objects.filter(link_id=selection.link_id).only(
                "pk", "name", "created"
            )
        ]
        label_selections(same_link)
        # A name is no file name: "J. Doe" has no extension to drop.
        name = f"{project.slug}-{safe_stem(f'{selection.label}.csv') or 'selection'}.csv"
        response = HttpResponse(
            selection.as_csv(),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": content_disposition_header(True, name)},
        )
        add_never_cache_headers(response)  # Clients' names: for no shared cache.
        return response
