"""A receiver's check, taken from docs/webhooks.md and nothing else: the Python snippet under "Verifying a
delivery" is read out of the document and run against real deliveries caught by a real local receiver. If the
docs and the sender ever disagree, this fails."""

import base64
import json
import re
import shutil
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.models import OutboxEvent
from core.outbox import event_emit
from integrations.webhooks import services

from . import webhook_receiver
from .webhook_factories import WebhookEndpointFactory

receiver = webhook_receiver.receiver  # the fixture
pytestmark = pytest.mark.django_db
DOCS = Path(settings.BASE_DIR) / "docs" / "webhooks.md"


def _reference_verify():
    """`verify(secret, headers, body, now=None)` exactly as the docs print it."""
    text = DOCS.read_text()
    section = text[text.index("## Verifying a delivery") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)[1]
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)  # noqa: S102 - our own documentation's snippet
    return namespace["verify"]


def _deliver(tenant_receiver) -> None:
    with transaction.atomic():
        event = event_emit("order.paid", {"order": 9, "currency": "IDR", "total_minor": 50000})
    services.webhook_deliveries_create(OutboxEvent.objects.get(pk=event.pk))
    assert services.webhook_send_due()["delivered"] == 1


def test_the_documented_verifier_accepts_a_real_delivery_and_refuses_tampering(in_tenant, receiver):
    verify = _reference_verify()
    endpoint = WebhookEndpointFactory(url=receiver.url())
    _deliver(receiver)
    got = receiver.received[0]
    assert verify(endpoint.secret, got.headers, got.body)
    # A changed body, another secret, a changed or missing timestamp, a missing signature: all refused.
    assert not verify(endpoint.secret, got.headers, got.body.replace(b"50000", b"5000"))
    assert not verify(endpoint.secret, got.headers, got.body + b" ")
    assert not verify("whsec_someone-else", got.headers, got.body)
    later = {**got.headers, "POS-Timestamp": str(int(got.headers["POS-Timestamp"]) + 1)}
    assert not verify(endpoint.secret, later, got.body)
    assert not verify(endpoint.secret, {k: v for k, v in got.headers.items() if k != "POS-Timestamp"}, got.body)
    assert not verify(endpoint.secret, {k: v for k, v in got.headers.items() if k != "POS-Signature"}, got.body)
    # A captured request sent again ten minutes later is refused; within the tolerance it is accepted.
    assert not verify(endpoint.secret, got.headers, got.body, now=time.time() + 600)
    assert verify(endpoint.secret, got.headers, got.body, now=time.time() + 60)


def test_during_a_rotation_the_old_and_the_new_secret_both_verify_then_only_the_new(in_tenant, receiver):
    verify = _reference_verify()
    endpoint = WebhookEndpointFactory(url=receiver.url())
    old = endpoint.secret
    new = services.webhook_secret_rotate(endpoint_id=endpoint.pk, actor=None)
    _deliver(receiver)
    during = receiver.received[0]
    assert verify(old, during.headers, during.body) and verify(new, during.headers, during.body)
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1), tick=True):
        _deliver(receiver)
        after = receiver.received[1]
        assert verify(new, after.headers, after.body) and not verify(old, after.headers, after.body)


NODE_RUNNER = """
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const verdicts = input.cases.map(c => verify(c.secret, c.headers, Buffer.from(c.body, "base64"), c.now));
process.stdout.write(JSON.stringify(verdicts));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_documented_node_verifier_agrees(in_tenant, receiver):
    """The Node.js snippet of the docs, run by node on the same real delivery (headers lower-cased, as Node's
    http module gives them)."""
    text = DOCS.read_text()
    code = re.search(r"```js\n(.*?)```", text[text.index("## Verifying a delivery") :], re.S)[1]
    endpoint = WebhookEndpointFactory(url=receiver.url())
    _deliver(receiver)
    got = receiver.received[0]
    headers = {k.lower(): v for k, v in got.headers.items()}
    now = time.time()

    def case(secret=endpoint.secret, body=got.body, at=now):
        return {"secret": secret, "headers": headers, "body": base64.b64encode(body).decode(), "now": at}

    cases = [case(), case(body=got.body + b" "), case(secret="whsec_other"), case(at=now + 600)]
    result = subprocess.run(["node", "-e", code + NODE_RUNNER], input=json.dumps({"cases": cases}),
                            capture_output=True, text=True, timeout=30, check=True)  # fmt: skip
    assert json.loads(result.stdout) == [True, False, False, False]
