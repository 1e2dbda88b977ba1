from django.contrib.sitemaps import views as sitemaps
from django.urls import path

from portfolio.cache import cached_for_visitors
from portfolio.discovery.feeds import NewProjectsFeed
from portfolio.discovery.sitemaps import SITEMAPS
from portfolio.views import (
    files,
    people,
    public,
    share_links,
    sharing,
    studio,
    system,
)

app_name = "portfolio"

picture = "projects/<slug:slug>/pictures/<int:pk>"
link = "projects/<slug:slug>/links"
shared = "s/<str:token>"

urlpatterns = [
    path("", public.GalleryView.as_view(), name="gallery"),
    path("about/", public.AboutView.as_view(), name="about"),
    path("healthz", system.healthz, name="healthz"),
    # Discovery (portfolio/discovery/): what search engines and feed readers fetch.
    path("robots.txt", public.RobotsView.as_view(), name="robots"),
    path(
        "sitemap.xml",
        cached_for_visitors(sitemaps.index),
        {
            "sitemaps": SITEMAPS,
            "sitemap_url_name": "portfolio:sitemap-section",
            "template_name": "portfolio/sitemap_index.xml",
        },
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cached_for_visitors(sitemaps.sitemap),
        {"sitemaps": SITEMAPS, "template_name": "portfolio/sitemap.xml"},
        name="sitemap-section",
    ),
    path("feed/", NewProjectsFeed(), name="feed"),
    path("studio/", studio.StudioView.as_view(), name="studio"),
    path("studio/profile/", people.ProfileUpdateView.as_view(), name="profile"),
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
    path(f"{picture}/", public.PictureDetailView.as_view(), name="picture-detail"),
    path(f"{picture}/edit/", studio.PictureUpdateView.as_view(), name="picture-update"),
    path(f"{picture}/cover/", studio.PictureCoverView.as_view(), name="picture-cover"),
    path(f"{picture}/move/", studio.PictureMoveView.as_view(), name="picture-move"),
    path(f"{picture}/move-to/", studio.PictureMoveToView.as_view(), name="picture-move-to"),
    path(
        "projects/<slug:slug>/pictures/arrange/",
        studio.PictureArrangeView.as_view(),
        name="picture-arrange",
    ),
    path(f"{picture}/focus/", studio.PictureFocusView.as_view(), name="picture-focus"),
    path(f"{picture}/delete/", studio.PictureDeleteView.as_view(), name="picture-delete"),
    # Downloads from a project's own page (its owner, staff; anyone if it is public and allows).
    path(
        f"{picture}/download/",
        files.ProjectPictureDownloadView.as_view(),
        name="picture-download",
    ),
    path(
        "projects/<slug:slug>/download/",
        files.ProjectZipDownloadView.as_view(),
        name="project-download",
    ),
    # Sharing, the owner's side.
    path(
        "projects/<slug:slug>/visibility/",
        share_links.ProjectVisibilityView.as_view(),
        name="project-visibility",
    ),
    path(f"{link}/", share_links.ShareLinkCreateView.as_view(), name="share-link-create"),
    path(
        f"{link}/<int:pk>/revoke/",
        share_links.ShareLinkRevokeView.as_view(),
        name="share-link-revoke",
    ),
    path(
        f"{link}/<int:pk>/favourites/",
        share_links.ShareLinkFavouritesView.as_view(),
        name="share-link-favourites",
    ),
    path(
        "projects/<slug:slug>/selections/<int:pk>/lock/",
        share_links.SelectionLockView.as_view(),
        name="selection-lock",
    ),
    path(
        "projects/<slug:slug>/selections/<int:pk>/names.csv",
        share_links.SelectionCsvView.as_view(),
        name="selection-csv",
    ),
    # What a link's holder sees.
    path(f"{shared}/", sharing.SharedProjectView.as_view(), name="share"),
    path(
        f"{shared}/pictures/<int:pk>/download/",
        sharing.SharedPictureDownloadView.as_view(),
        name="share-picture-download",
    ),
    path(f"{shared}/download/", sharing.SharedZipDownloadView.as_view(), name="share-download"),
    # Client proofing: favourites and the selection sent to the owner.
    path(
        f"{shared}/favourites/<int:picture_id>/",
        sharing.FavouriteToggleView.as_view(),
        name="share-favourite",
    ),
    path(
        f"{shared}/selection/",
        sharing.SelectionStartView.as_view(),
        name="share-selection-start",
    ),
    path(
        f"{shared}/selection/send/",
        sharing.SelectionSendView.as_view(),
        name="share-selection-send",
    ),
    path(
        f"{shared}/selection/reopen/",
        sharing.SelectionReopenView.as_view(),
        name="share-selection-reopen",
    ),
    path(
        f"{shared}/selection/leave/",
        sharing.SelectionLeaveView.as_view(),
        name="share-selection-leave",
    ),
    # A client's personal link: after the paths above, which no key spells.
    path(
        f"{shared}/selection/<str:key>/",
        sharing.SelectionClaimView.as_view(),
        name="share-selection-claim",
    ),
    # Private files on disk, behind signed URLs (portfolio/access.py).
    path("files/<str:token>/<str:basename>", files.SignedFileView.as_view(), name="file"),
]
