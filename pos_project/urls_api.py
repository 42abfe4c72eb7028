"""The JSON API of a business (docs/api.md), included first by urls_tenant.

`/api/v1/` is composed of every installed app's own `<app>/api.py` (or `<app>/api/` package) `urlpatterns`, in
INSTALLED_APPS order, each under the namespace `<app>-api`: an app adds resources without touching this file.
The schema, Swagger UI and Redoc are served from our own static files (drf-spectacular-sidecar), never a CDN;
they describe the API, not a business's data, so they are open to anyone who can reach the host.
"""

from importlib import import_module
from importlib.util import find_spec

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.apps import apps
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from core.api import api_error


def _app_routes() -> list:
    routes = []
    for config in apps.get_app_configs():
        name = f"{config.name}.api"
        if not config.name.isidentifier() or find_spec(config.name) is None or find_spec(name) is None:
            continue
        module = import_module(name)
        patterns = getattr(module, "urlpatterns", None)
        if patterns:
            routes.append(path("", include((patterns, f"{config.label}-api"))))
    return routes


@csrf_exempt  # a write to a path that does not exist is a 404 in the API's format, not a CSRF page
def not_found(request, rest=""):
    """Any other path under /api/: the API's 404, in its error format (not the HTML page)."""
    body, status = api_error("not_found", _("There is no such API path."), status_code=404)
    return JsonResponse(body, status=status)


# Swagger UI and Redoc set styles inline (Redoc's styled-components, Swagger's widgets) and Redoc searches in a
# worker made from a blob: these two pages only relax the site's style and worker policy; scripts stay 'self'.
_DOCS_CSP = {"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"], "img-src": ["data:"]}


class SwaggerView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"


class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"


# Included under "api/" (pos_project/urls_tenant.py): one prefix check for every other request.
urlpatterns = [
    path("v1/", include(_app_routes())),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", csp_update(_DOCS_CSP)(SwaggerView.as_view(url_name="api-schema")), name="api-docs"),
    path("redoc/", csp_update(_DOCS_CSP)(RedocView.as_view(url_name="api-schema")), name="api-redoc"),
    re_path(r"^(?P<rest>[\s\S]*)\Z", not_found),  # any character, a line break too (%0A in a path)
]
