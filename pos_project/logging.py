"""JSON log lines that carry the request id, the tenant and the user of the request being served."""

import contextvars
import logging
import uuid

_request = contextvars.ContextVar("request", default=None)


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request = _request.get()
        record.request_id = getattr(request, "request_id", "-")
        record.tenant = getattr(getattr(request, "tenant", None), "schema_name", "-")
        # Only a user that was already loaded: logging must never trigger a query of its own.
        user = getattr(request, "_cached_user", None)
        record.user = user.get_username() if user is not None and user.is_authenticated else "-"
        return True


class RequestContextMiddleware:
    """Makes the request visible to the log filter; echoes (or creates) X-Request-ID."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        valid = 0 < len(incoming) <= 64 and incoming.isascii() and incoming.isprintable()
        request.request_id = incoming if valid else uuid.uuid4().hex
        token = _request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        response["X-Request-ID"] = request.request_id
        return response
