"""The one way a service says no: a stable code for programs, a translated message for people.

Services raise `ServiceError`; views show its message (forms add it to the form, the till's JSON endpoints and
the API answer `error_body()` with `error_status()`), and nothing else is needed to render it. It is a Django
`ValidationError`, so forms and any code that already catches those keep working.

Codes are dotted, lower-case and stable (`order.not_open`, `stock.insufficient`, `idempotency.key_reused`): a
client may branch on them, so a code is never renamed once shipped. The message may be reworded freely. Codes
are listed where they are raised, never in a central registry, so a new error costs one line.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.utils.functional import Promise

Message = str | Promise

# What an API answers for a refusal of each kind; everything else is a 400.
CONFLICT = 409
FORBIDDEN = 403
NOT_FOUND = 404
UNPROCESSABLE = 422


class ServiceError(ValidationError):
    """A refused write. `code` is stable; `message` is shown to people (already translated or lazy).

    `field` puts the message on one input; `fields` carries several inputs' messages at once (a form checked
    as a whole), each `{field: [message, ...]}`. `status` is what an HTTP caller answers with.
    """

    def __init__(
        self,
        code: str,
        message: Message,
        *,
        field: str | None = None,
        fields: Mapping[str, Sequence[Message]] | None = None,
        status: int = 400,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        if fields:
            super().__init__(
                {name: [ValidationError(text, code=code) for text in texts] for name, texts in fields.items()}
            )
        elif field:
            super().__init__({field: [ValidationError(message, code=code, params=params)]})
        else:
            super().__init__(message, code=code, params=params)
        self.code = code
        self.summary = message
        self.status = status


def _messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def error_code(exc: ValidationError) -> str:
    """The stable code of any validation error (forms' own errors are "invalid")."""
    code = getattr(exc, "code", None)
    if code:
        return code
    if hasattr(exc, "error_dict"):
        codes = {e.code for errors in exc.error_dict.values() for e in errors if e.code}
        if len(codes) == 1:
            return codes.pop()
    return "invalid"


def error_status(exc: ValidationError) -> int:
    return getattr(exc, "status", 400)


def error_body(exc: ValidationError) -> dict[str, Any]:
    """The one JSON shape of an error, for the till's endpoints and the API:
    `{"error": {"code": ..., "message": ..., "fields": {field: [message, ...]}}}`."""
    fields = {}
    if hasattr(exc, "error_dict"):
        fields = {name: [str(m) for m in ValidationError(errors).messages] for name, errors in exc.error_dict.items()}
    general = fields.pop("__all__", [])
    summary = getattr(exc, "summary", None)
    if summary is None or fields:
        message = " ".join(_messages(exc))
    else:  # the summary, then what applies to no one field (a batch's bad lines: "Line 3: no such SKU")
        message = " ".join([str(summary), *(text for text in general if text not in str(summary))])
    return {"error": {"code": error_code(exc), "message": message, "fields": fields}}


def bad_request(message: Message, *, code: str = "request.invalid") -> ServiceError:
    """A request the client should not have sent (malformed JSON, a missing id): 400 with a message."""
    return ServiceError(code, message)


def error_response(exc: ValidationError) -> JsonResponse:
    """A refusal as JSON: `error_body` with its status (the till's endpoints; the API renders the same body)."""
    return JsonResponse(error_body(exc), status=error_status(exc))
