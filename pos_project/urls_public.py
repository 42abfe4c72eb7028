"""URLs of the platform itself (served on BASE_DOMAIN, in the public schema)."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from pos_project import health

urlpatterns = [
    path("", TemplateView.as_view(template_name="platform/home.html"), name="platform_home"),
    # The platform's sign-in (password, then the second factor) and its account pages; the admin uses them.
    path("", include("accounts.urls_public")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("metrics", health.metrics, name="metrics"),
]

handler400 = "pos_project.error_pages.bad_request"
handler403 = "pos_project.error_pages.forbidden"
handler404 = "pos_project.error_pages.not_found"
handler500 = "pos_project.error_pages.server_error"
