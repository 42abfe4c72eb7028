"""The API's one error format (core/api.py's exception handler), exception by exception."""

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions

from core.api import api_exception_handler
from pos_project.errors import CONFLICT, ServiceError


def _handled(exc):
    response = api_exception_handler(exc, {})
    assert set(response.data) == {"error"} and set(response.data["error"]) == {"code", "message", "fields"}
    return response.status_code, response.data["error"], response


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (exceptions.NotAuthenticated(), 401, "auth.required"),
        (exceptions.AuthenticationFailed(), 401, "auth.failed"),
        (exceptions.PermissionDenied(), 403, "access.denied"),
        (DjangoPermissionDenied(), 403, "access.denied"),
        (exceptions.NotFound(), 404, "not_found"),
        (Http404(), 404, "not_found"),
        (exceptions.MethodNotAllowed("DELETE"), 405, "request.method_not_allowed"),
        (exceptions.ParseError(), 400, "request.malformed"),
        (exceptions.UnsupportedMediaType("text/plain"), 415, "request.unsupported_media_type"),
        (ServiceError("order.not_open", "Closed.", status=CONFLICT), 409, "order.not_open"),
        (exceptions.PermissionDenied(detail=exceptions.ErrorDetail("No.", code="auth.scope_missing")), 403,
         "auth.scope_missing"),
    ],
)  # fmt: skip
def test_each_refusal_has_its_status_and_stable_code(exc, status, code):
    got_status, error, _ = _handled(exc)
    assert (got_status, error["code"]) == (status, code) and error["message"] and error["fields"] == {}


def test_throttled_is_429_with_retry_after_in_whole_seconds():
    status, error, response = _handled(exceptions.Throttled(wait=2.2))
    assert (status, error["code"], response["Retry-After"]) == (429, "throttle.rate_limited", "3")


def test_nested_validation_errors_are_flattened_to_dotted_fields():
    exc = exceptions.ValidationError(
        {"name": ["Required."], "lines": [{}, {"quantity": ["Too many."]}], "non_field_errors": ["Both at once."]}
    )
    status, error, _ = _handled(exc)
    assert status == 400 and error["code"] == "invalid" and error["message"] == "Both at once."
    assert error["fields"] == {"name": ["Required."], "lines.1.quantity": ["Too many."]}


def test_a_plain_django_validation_error_with_fields_is_invalid_with_those_fields():
    status, error, _ = _handled(DjangoValidationError({"when": ["Not a date."]}))
    assert (status, error["code"], error["fields"]) == (400, "invalid", {"when": ["Not a date."]})


def test_a_service_error_keeps_its_fields():
    status, error, _ = _handled(ServiceError("category.invalid", "Fix it.", fields={"name": ["Needed."]}))
    assert (status, error["code"], error["fields"]) == (400, "category.invalid", {"name": ["Needed."]})


def test_a_batchs_problems_that_belong_to_no_field_follow_the_summary_in_the_message():
    """A stock document refused line by line (fields {"__all__": [...]}): one answer names every bad line."""
    lines = ["Line 2: no stock item with SKU X.", "Line 5: quantity missing."]
    exc = ServiceError("stock.lines_invalid", "Some lines need fixing.", fields={"__all__": lines})
    status, error, _ = _handled(exc)
    assert (status, error["fields"]) == (400, {})
    assert error["message"] == "Some lines need fixing. Line 2: no stock item with SKU X. Line 5: quantity missing."


def test_anything_unexpected_is_left_to_django_as_a_500():
    assert api_exception_handler(RuntimeError("bug"), {}) is None
