"""Guessing a supervisor's PIN at the till (issue 12, point 1): the finding's exact scenario through the till's
endpoint. The rules and their other cases are tested in accounts/tests/test_approval_limits.py."""

import json

import pytest
from django.core import mail
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role, User
from accounts.services import staff_set_pin
from accounts.tests.factories import SupervisorFactory
from mailer.services import mail_send_due
from pos_project.celery import app as celery_app
from sales.models import Order

RIGHT_PIN = "2580"


@pytest.fixture
def eager_celery(monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


def _free_discount(till, key, approver):
    """The finding's order: a 100% discount, approved by `approver` ({"id", "pin"})."""
    body = {"lines": [{"product_id": till["teh"].pk}], "order_discount": {"kind": "percent", "value": "100"},
            "idempotency_key": key, "approver": approver}  # fmt: skip
    return till["client"].post("/till/orders/", json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("supervisors", [1, 25], ids=["one-supervisor", "spread-over-25-supervisors"])
def test_a_hundred_wrong_pins_from_one_cashier_never_reach_the_right_one(
    till, supervisors, eager_celery, django_capture_on_commit_callbacks
):
    """The finding: 100 wrong PINs, then the right one approved a 100% discount. One supervisor's PIN locks after
    five; spread over 25 supervisors (four each, so none locks) it went through before this fix."""
    tenant = till["tenant"]
    with tenant_context(tenant.tenant):
        people = [SupervisorFactory() for _ in range(supervisors)]
        for person in people:
            staff_set_pin(user=person, pin=RIGHT_PIN, actor=person)
    codes = []
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        for n in range(100):
            answer = _free_discount(till, f"guess-{n}", {"id": people[n % supervisors].pk, "pin": f"{n:04d}"[::-1]})
            assert answer.status_code == 403
            codes.append(answer.json()["error"]["code"])
        right = _free_discount(till, "right", {"id": people[-1].pk, "pin": RIGHT_PIN})
    assert right.status_code == 403 and right.json()["error"]["code"] == "approval.blocked"
    assert "paused" in right.json()["error"]["message"]
    assert codes[:4] == ["pin.wrong"] * 4 and set(codes[4:]) == {"approval.blocked"}
    cashier = tenant.users[Role.CASHIER]
    with tenant_context(tenant.tenant):
        assert not Order.objects.exists()  # nothing was approved
        assert not AuditEntry.objects.filter(action="approval.granted").exists()
        blocked = AuditEntry.objects.get(action="approval.requester_blocked")
        assert blocked.actor_id == cashier.pk and blocked.target_label == cashier.username
        # Five hashes checked (the fifth locks the one supervisor's PIN), none after that.
        assert AuditEntry.objects.filter(action__in=("auth.pin_failed", "auth.pin_locked")).count() == 5
        assert AuditEntry.objects.filter(action="approval.refused", data__reason="approval.blocked").count() == 97
        assert User.objects.get(pk=cashier.pk).approval_blocked_until > timezone.now()
        mail_send_due()  # beat's next minute: the owner's alert was queued with the pause
    owner_mail = [m for m in mail.outbox if "PIN approvals paused for cashier" in m.subject]
    assert len(owner_mail) == 1 and owner_mail[0].to == [tenant.users[Role.ADMIN_TENANT].email]
    assert "/backoffice/staff/" in owner_mail[0].body
