from django.urls import path

from portfolio import views

app_name = "portfolio"

urlpatterns = [
    path("", views.GalleryView.as_view(), name="gallery"),
    path("healthz", views.healthz, name="healthz"),
    path("projects/<slug:slug>/", views.ProjectDetailView.as_view(), name="project-detail"),
]
