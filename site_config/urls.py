from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

# Django's own refusals (too many files, too much form data) explained, not a bare 400.
handler400 = "portfolio.views.system.bad_request"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("portfolio.urls")),
]

# In development Django serves uploads itself. static() adds nothing when DEBUG
# is off: in production a web server or the object storage serves them.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
