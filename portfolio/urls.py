from django.urls import path

from portfolio import views

app_name = "portfolio"

picture = "projects/<slug:slug>/pictures/<int:pk>"

urlpatterns = [
    path("", views.GalleryView.as_view(), name="gallery"),
    path("healthz", views.healthz, name="healthz"),
    path("studio/", views.StudioView.as_view(), name="studio"),
    # Before projects/<slug>/: "new" is a reserved slug (models.RESERVED_SLUGS).
    path("projects/new/", views.ProjectCreateView.as_view(), name="project-create"),
    path("projects/<slug:slug>/", views.ProjectDetailView.as_view(), name="project-detail"),
    path("projects/<slug:slug>/edit/", views.ProjectUpdateView.as_view(), name="project-update"),
    path("projects/<slug:slug>/delete/", views.ProjectDeleteView.as_view(), name="project-delete"),
    path(
        "projects/<slug:slug>/pictures/",
        views.PictureUploadView.as_view(),
        name="picture-upload",
    ),
    path(f"{picture}/edit/", views.PictureUpdateView.as_view(), name="picture-update"),
    path(f"{picture}/cover/", views.PictureCoverView.as_view(), name="picture-cover"),
    path(f"{picture}/move/", views.PictureMoveView.as_view(), name="picture-move"),
    path(f"{picture}/delete/", views.PictureDeleteView.as_view(), name="picture-delete"),
]
