"""A property-based run of the whole API against its own live schema (issue 14: "schemathesis against the live
schema in the test suite: zero server errors and every response matching the schema").

The schema is read from /api/schema/ of a real tenant (so an endpoint another app adds is fuzzed as soon as it is
in its `<app>/api.py`); every operation gets generated requests, valid and invalid, sent in-process through the
WSGI application with a real owner's API key on that tenant's host. Each response must not be a 5xx and must
match the schema: its status documented, its content type and body as described. Everything a request writes is
rolled back with the test's transaction.
"""

import time

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pos_project.wsgi import application

# Cases per operation and mode (valid and invalid data), shared out of a total so the run stays under a minute on
# a 2-core box however many operations the apps add: at most 25 each, at least 5.
TOTAL_CASES = 1600
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def live_schema(tenant):
    """The schema as the tenant's host serves it, called through the WSGI application in this process. As
    Django's test client does, requests do not close the connection when they finish: it holds the test's
    transaction."""
    raw = Client(HTTP_HOST=tenant.host).get("/api/schema/", {"format": "json"}).json()
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = application
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield schema
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def test_every_operation_answers_within_its_schema_and_never_a_5xx(api, tenant, live_schema, record_property):
    key = api().credential
    headers = {"Authorization": f"Bearer {key}", "Host": tenant.host}
    operations = [result.ok() for result in live_schema.get_all_operations()]
    assert len(operations) >= 4
    examples = max(5, min(25, TOTAL_CASES // (2 * len(operations))))
    counted = {"cases": 0}
    started = time.monotonic()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            def run(case):
                counted["cases"] += 1
                response = case.call(headers=headers)
                case.validate_response(response, checks=CHECKS, headers=headers)  # raises with a curl to reproduce

            run()
    elapsed = time.monotonic() - started
    record_property("schemathesis_cases", counted["cases"])
    print(f"schemathesis: {counted['cases']} cases over {len(operations)} operations in {elapsed:.1f} s")  # noqa: T201
