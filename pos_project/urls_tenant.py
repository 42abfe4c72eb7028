"""URLs of a business (served on <slug>.BASE_DOMAIN, in that tenant's schema)."""

from django.urls import include, path

from pos_project import health

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("sales.urls")),
    path("", include("kitchen.urls")),
    path("", include("backoffice.urls")),
    path("", include("catalog.urls")),
    path("", include("inventory.urls")),
    path("", include("business.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("metrics", health.metrics, name="metrics"),
    path("floor/", health.floor, name="floor"),
]

handler403 = "pos_project.error_pages.forbidden"
handler404 = "pos_project.error_pages.not_found"
handler500 = "pos_project.error_pages.server_error"
