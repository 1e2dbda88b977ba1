from django.urls import path

from portfolio.views import public, studio, system

app_name = "portfolio"

picture = "projects/<slug:slug>/pictures/<int:pk>"

urlpatterns = [
    path("", public.GalleryView.as_view(), name="gallery"),
    path("about/", public.AboutView.as_view(), name="about"),
    path("healthz", system.healthz, name="healthz"),
    path("studio/", studio.StudioView.as_view(), name="studio"),
    # Before projects/<slug>/: "new" is a reserved slug (models.RESERVED_SLUGS).
    path("projects/new/", studio.ProjectCreateView.as_view(), name="project-create"),
    path("projects/<slug:slug>/", public.ProjectDetailView.as_view(), name="project-detail"),
    path("projects/<slug:slug>/edit/", studio.ProjectUpdateView.as_view(), name="project-update"),
    path(
        "projects/<slug:slug>/delete/", studio.ProjectDeleteView.as_view(), name="project-delete"
    ),
    path(
        "projects/<slug:slug>/pictures/",
        studio.PictureUploadView.as_view(),
        name="picture-upload",
    ),
    path(f"{picture}/edit/", studio.PictureUpdateView.as_view(), name="picture-update"),
    path(f"{picture}/cover/", studio.PictureCoverView.as_view(), name="picture-cover"),
    path(f"{picture}/move/", studio.PictureMoveView.as_view(), name="picture-move"),
    path(f"{picture}/delete/", studio.PictureDeleteView.as_view(), name="picture-delete"),
]
