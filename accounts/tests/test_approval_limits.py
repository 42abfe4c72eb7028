"""Approval PINs cannot be guessed (issue 12, point 1): five wrong PINs in a row lock one approver's PIN, and five
wrong approval PINs asked for by one person, whoever's PINs they were, pause that person's approvals until the
pause passes or the owner lifts it. Both are audited and e-mailed to the owner (queued in the mail outbox with the
change, sent by beat's mail_send_due)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role, User
from accounts.tests.factories import SupervisorFactory
from mailer.services import mail_send_due
from pos_project.errors import ServiceError

RIGHT_PIN = "2580"


def _set_pin(user, pin):
    from accounts.services import staff_set_pin

    return staff_set_pin(user=User.objects.get(pk=user.pk), pin=pin, actor=user)


def test_parallel_style_claims_stop_at_five_and_a_right_pin_gives_its_try_back(in_tenant):
    """A try is counted before the hash is checked; the right PIN does not count as a failure."""
    from accounts.services import APPROVAL_MAX_FAILURES, approver_verify

    cashier = in_tenant.users[Role.CASHIER]
    a, b = SupervisorFactory(), SupervisorFactory()
    _set_pin(a, RIGHT_PIN)
    _set_pin(b, RIGHT_PIN)
    for _ in range(3):
        with pytest.raises(ServiceError) as wrong:
            approver_verify(pin="1111", approver_id=a.pk, capability="order.refund", user=cashier)
        assert wrong.value.code == "pin.wrong"
    assert approver_verify(pin=RIGHT_PIN, approver_id=b.pk, capability="order.refund", user=cashier) == b
    assert User.objects.get(pk=cashier.pk).approval_failures == 3
    with pytest.raises(ServiceError) as wrong:
        approver_verify(pin="1111", approver_id=b.pk, capability="order.refund", user=cashier)
    assert wrong.value.code == "pin.wrong"
    with pytest.raises(ServiceError) as paused:
        approver_verify(pin="1111", approver_id=b.pk, capability="order.void", user=cashier)
    assert paused.value.code == "approval.blocked"
    assert User.objects.get(pk=cashier.pk).approval_failures == 0  # the pause replaced the count
    # While paused, even the right PIN of a PIN that is not locked is refused, and no hash is checked.
    failures_b = User.objects.get(pk=b.pk).pin_failures
    with pytest.raises(ServiceError) as still:
        approver_verify(pin=RIGHT_PIN, approver_id=a.pk, capability="order.refund", user=cashier)
    assert still.value.code == "approval.blocked"
    assert User.objects.get(pk=b.pk).pin_failures == failures_b
    assert APPROVAL_MAX_FAILURES == 5


def test_the_pause_passes_by_itself_or_when_the_owner_lifts_it(tenant):
    from accounts.services import approver_verify

    owner = tenant.client(Role.ADMIN_TENANT)
    with tenant_context(tenant.tenant):
        cashier = tenant.users[Role.CASHIER]
        supervisor = SupervisorFactory()
        _set_pin(supervisor, RIGHT_PIN)
        User.objects.filter(pk=cashier.pk).update(approval_blocked_until=timezone.now() + timedelta(minutes=10))
    page = owner.get("/backoffice/staff/").content.decode()
    assert 'data-testid="approvals-paused"' in page and "Lift the pause" in page
    assert owner.post(f"/backoffice/staff/{cashier.pk}/approvals/unblock/").status_code == 302
    with tenant_context(tenant.tenant):
        assert User.objects.get(pk=cashier.pk).approval_blocked_until is None
        lifted = AuditEntry.objects.get(action="approval.requester_unblocked")
        assert lifted.target_label == cashier.username and lifted.actor_username == "owner"
        assert approver_verify(pin=RIGHT_PIN, approver_id=supervisor.pk, capability="order.refund",
                               user=cashier) == supervisor  # fmt: skip
        # A pause whose time has passed lets the person ask again.
        User.objects.filter(pk=cashier.pk).update(approval_blocked_until=timezone.now() - timedelta(seconds=1))
        assert approver_verify(pin=RIGHT_PIN, approver_id=supervisor.pk, capability="order.refund",
                               user=cashier) == supervisor  # fmt: skip
    assert "approvals-paused" not in owner.get("/backoffice/staff/").content.decode()


def test_lifting_a_pause_is_for_owners_only(tenant):
    with tenant_context(tenant.tenant):
        cashier = tenant.users[Role.CASHIER]
        until = timezone.now() + timedelta(minutes=10)
        User.objects.filter(pk=cashier.pk).update(approval_blocked_until=until)
    refused = tenant.client(Role.SUPERVISOR).post(f"/backoffice/staff/{cashier.pk}/approvals/unblock/")
    assert refused.status_code == 403
    with tenant_context(tenant.tenant):
        assert User.objects.get(pk=cashier.pk).approval_blocked_until == until
        assert not AuditEntry.objects.filter(action="approval.requester_unblocked").exists()


def test_the_owner_is_told_when_an_approvers_pin_locks(in_tenant, django_capture_on_commit_callbacks):
    from accounts.services import approver_verify

    supervisor = SupervisorFactory(first_name="Sari")
    _set_pin(supervisor, RIGHT_PIN)
    people = [in_tenant.users[Role.CASHIER], in_tenant.users[Role.KITCHEN], in_tenant.users[Role.CASHIER]]
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        for n in range(5):  # spread over people asking: the approver's own lock still counts them all
            with pytest.raises(ServiceError):
                approver_verify(pin="1111", approver_id=supervisor.pk, capability="order.refund",
                                user=people[n % len(people)])  # fmt: skip
    assert User.objects.get(pk=supervisor.pk).pin_locked_at is not None
    locked = AuditEntry.objects.get(action="auth.pin_locked")
    assert locked.target_label == supervisor.username and locked.data == {"for": "order.refund", "failures": 5}
    assert mail.outbox == []  # queued with the lock, sent by beat's next run
    assert mail_send_due()["sent"] >= 1
    [message] = [m for m in mail.outbox if "PIN is locked" in m.subject]
    assert message.to == [in_tenant.users[Role.ADMIN_TENANT].email]
    assert f"{supervisor.username}'s PIN was locked" in message.body
    # Running the sender again (beat's next minute) sends nothing twice.
    assert mail_send_due()["sent"] == 0
    assert len([m for m in mail.outbox if "PIN is locked" in m.subject]) == 1


def test_a_mail_server_that_is_down_loses_no_alert(in_tenant, settings):
    """The mail server refuses connections when the PIN locks: the lock, its audit entry and the owner's e-mail
    all commit; the e-mail waits in the outbox for the next try instead of being lost."""
    import socket

    from accounts.services import pin_check
    from mailer.models import Message

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = probe.getsockname()[1]
    settings.EMAIL_BACKEND, settings.EMAIL_HOST = "django.core.mail.backends.smtp.EmailBackend", "127.0.0.1"
    supervisor = SupervisorFactory()
    _set_pin(supervisor, RIGHT_PIN)
    with translation.override("en"):
        for _ in range(5):
            with pytest.raises(ServiceError):
                pin_check(user=supervisor, pin="1111", purpose="order.void")
    assert mail_send_due() == {"sent": 0, "retry": 1, "failed": 0}
    assert User.objects.get(pk=supervisor.pk).pin_locked_at is not None
    assert AuditEntry.objects.filter(action="auth.pin_locked").count() == 1
    [alert] = Message.objects.filter(kind=Message.Kind.SECURITY_ALERT)
    assert alert.status == "queued" and alert.attempts == 1 and "PIN is locked" in alert.subject
    assert alert.to == [in_tenant.users[Role.ADMIN_TENANT].email]
