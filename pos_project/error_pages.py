"""Friendly error pages, in the layout of whoever is looking."""

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _

from pos_project.errors import ServiceError, error_response
from pos_project.errors import bad_request as bad_request_error
from pos_project.parsing import has_nul


def forbidden(request, exception=None):
    return render(request, "errors/403.html", status=403)


def not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # No context processors that could fail again: a plain page.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("errors/500.html").render())


def bad_request(request, exception=None):
    """400: what the request sent cannot be read (handler400, and an uncaught ServiceError)."""
    message = getattr(exception, "summary", None) or _("The request could not be read.")
    if _wants_json(request):
        return error_response(exception if isinstance(exception, ServiceError) else bad_request_error(message))
    return render(request, "errors/400.html", {"message": message}, status=getattr(exception, "status", 400))


def _wants_json(request) -> bool:
    """The till's script, and anything under the JSON API (which answers JSON whatever it was sent)."""
    return (
        request.content_type == "application/json"
        or "application/json" in request.headers.get("Accept", "")
        or request.path_info.startswith(settings.API_PATH_PREFIX)
    )


class ServiceErrorMiddleware:
    """The last word on bad input: a request whose path, query or form carries a NUL byte is refused before
    the view reads it (PostgreSQL cannot store or compare text with one), and a `ServiceError` a view did not
    catch (e.g. `pos_project.parsing.query_id` refusing `?outlet=²`) answers its status with its message, as
    the 400 page or, for the till's script, the JSON error shape. Never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # A form's fields are read after the CSRF check has read them anyway; a view exempt from it (a signed
        # callback) reads its raw body, which reading the form here would use up.
        exempt = getattr(view_func, "csrf_exempt", False)
        if _carries_nul(request, form=request.method == "POST" and not exempt):
            return bad_request(request, bad_request_error(_("The request contains a NUL character.")))
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, ServiceError):
            return bad_request(request, exception)
        return None


def _carries_nul(request, *, form: bool) -> bool:
    if has_nul(request.path):
        return True
    params = [request.GET]
    if form and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        params.append(request.POST)
    return any(has_nul(key) or has_nul(value) for query in params for key, values in query.lists() for value in values)
