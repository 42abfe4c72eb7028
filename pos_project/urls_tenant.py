"""URLs of a business (served on <slug>.BASE_DOMAIN, in that tenant's schema)."""

from django.urls import include, path

from pos_project import health

# Django tries the includes in order, and each one that does not match costs (it lists what it tried, for the
# 404 page): the till's and the kitchen's paths, asked most often, come first. No two apps share a path.
urlpatterns = [
    # The JSON API first (docs/api.md): its catch-all keeps every /api/ path in the API's error format.
    path("api/", include("pos_project.urls_api")),
    path("floor/", health.floor, name="floor"),
    path("", include("sales.urls")),
    path("", include("kitchen.urls")),
    path("", include("accounts.urls")),
    path("", include("backoffice.urls")),
    path("", include("integrations.webhooks.urls")),
    path("", include("integrations.keys.urls")),
    path("", include("reports.urls")),
    path("", include("catalog.urls")),
    path("", include("inventory.urls")),
    path("", include("business.urls")),
    path("", include("timeclock.urls")),
    path("", include("tenants.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("metrics", health.metrics, name="metrics"),
]

handler400 = "pos_project.error_pages.bad_request"
handler403 = "pos_project.error_pages.forbidden"
handler404 = "pos_project.error_pages.not_found"
handler500 = "pos_project.error_pages.server_error"
