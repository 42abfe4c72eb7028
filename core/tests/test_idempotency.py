"""The one idempotency helper: Stripe's semantics on the real database (docs/adr/0006)."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.audit import AuditAction
from accounts.models import AuditEntry
from accounts.services import audit_record
from core.idempotency import (
    fingerprint,
    idempotency_claim,
    idempotency_purge,
    idempotent_response,
    idempotent_write,
    key_check,
)
from core.models import IdempotencyKey
from pos_project.errors import ServiceError
from pos_project.testing.locks import wait_for_lock_waiters


def _write(key: str, target: str, request: dict | None = None) -> AuditEntry:
    """A keyed write whose effect is an audit entry (a real tenant table)."""
    return idempotent_write(key=key, action="test.write", request=request or {"target": target}, model=AuditEntry,
                            write=lambda: audit_record(action=AuditAction.TEST, label=target))  # fmt: skip


@pytest.mark.parametrize("bad", ["", "   ", "x" * 256, "naïve", "tab\tkey"])
def test_a_key_is_1_to_255_printable_ascii_characters(bad):
    with pytest.raises(ServiceError) as refused:
        key_check(bad)
    assert refused.value.code == "idempotency.key_invalid" and "idempotency_key" in refused.value.message_dict
    assert key_check("  9f1c-ok  ") == "9f1c-ok" and key_check("k" * 255) == "k" * 255


def test_the_fingerprint_ignores_key_order_but_not_values_or_the_action():
    assert fingerprint("a", {"x": 1, "y": [1, 2]}) == fingerprint("a", {"y": [1, 2], "x": 1})
    assert fingerprint("a", {"x": 1}) != fingerprint("a", {"x": 2})
    assert fingerprint("a", {"x": 1}) != fingerprint("b", {"x": 1})


def test_the_same_key_and_request_gets_the_first_result_and_does_nothing_again(in_tenant):
    first = _write("k-same", "one")
    again = _write("k-same", "one")
    assert again.pk == first.pk
    assert AuditEntry.objects.filter(action=AuditAction.TEST, target_label="one").count() == 1


def test_the_same_key_with_another_request_is_refused_with_422_and_does_nothing(in_tenant):
    _write("k-other", "one")
    with pytest.raises(ServiceError) as refused:
        _write("k-other", "two")
    assert (refused.value.code, refused.value.status) == ("idempotency.key_reused", 422)
    with pytest.raises(ServiceError):  # another action with the same parameters is another request too
        idempotent_write(key="k-other", action="test.else", request={"target": "one"}, model=AuditEntry,
                         write=lambda: audit_record(action=AuditAction.TEST, label="else"))  # fmt: skip
    assert AuditEntry.objects.filter(action=AuditAction.TEST, target_label__in=["one", "else"]).count() == 1


def test_a_refused_write_keeps_no_key_so_a_corrected_retry_runs(in_tenant):
    def refuse():
        audit_record(action=AuditAction.TEST, label="half")
        raise ServiceError("test.refused", "No.")

    with pytest.raises(ServiceError):
        idempotent_write(key="k-retry", action="test.write", request={"target": "x"}, model=AuditEntry, write=refuse)
    assert not IdempotencyKey.objects.filter(key="k-retry").exists()
    assert not AuditEntry.objects.filter(target_label="half").exists()  # rolled back with its key
    assert _write("k-retry", "x").target_label == "x"


def test_a_claim_runs_only_inside_the_write_transaction(committed_db):
    alpha, _ = committed_db
    with tenant_context(alpha.tenant), pytest.raises(RuntimeError):
        idempotency_claim(key="k-out", action="test", request={})


def test_an_endpoint_replays_its_first_response_even_after_the_object_changed(in_tenant):
    entry = _write("k-resp", "one")
    assert idempotent_response(key="k-resp", status=201, body={"target": entry.target_label}) == (
        201,
        {"target": "one"},
    )
    # (An audit entry cannot change; the body below stands for the object as it is now.)
    assert idempotent_response(key="k-resp", status=201, body={"target": "changed since"}) == (201, {"target": "one"})


def test_keys_are_kept_a_day_at_least_then_purged(in_tenant, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 1  # asking for less than a day still keeps a day
    _write("k-old", "old")
    _write("k-new", "new")
    IdempotencyKey.objects.filter(key="k-old").update(created_at=timezone.now() - timedelta(hours=25))
    IdempotencyKey.objects.filter(key="k-new").update(created_at=timezone.now() - timedelta(hours=23))
    assert idempotency_purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["k-new"]


def test_a_concurrent_duplicate_waits_for_the_first_and_gets_its_result(committed_db):
    """Two connections, one key: the second INSERT waits on the first's uncommitted row (seen in
    pg_stat_activity), then finds it committed and replays it: one effect."""
    alpha, _ = committed_db
    inside, release, results = threading.Event(), threading.Event(), {}
    token = f"race-{uuid.uuid4().hex[:12]}"  # the committed entries stay (the audit log is append-only)
    key = f"k-{token}"

    def first():
        try:
            with tenant_context(alpha.tenant):

                def slow():
                    entry = audit_record(action=AuditAction.TEST, label=f"{token} first")
                    inside.set()
                    release.wait(20)
                    return entry

                results["first"] = idempotent_write(key=key, action="test.race", request={}, model=AuditEntry,
                                                    write=slow).pk  # fmt: skip
        finally:
            connection.close()

    def second():
        try:
            with tenant_context(alpha.tenant):
                results["second"] = idempotent_write(
                    key=key, action="test.race", request={}, model=AuditEntry,
                    write=lambda: audit_record(action=AuditAction.TEST, label=f"{token} second"),
                ).pk  # fmt: skip
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    try:
        threads[0].start()
        assert inside.wait(10)
        threads[1].start()
        assert wait_for_lock_waiters(query_contains="core_idempotencykey", timeout=20)
        release.set()
        for thread in threads:
            thread.join(30)
        assert results["first"] == results["second"]
        with tenant_context(alpha.tenant):
            assert AuditEntry.objects.filter(action=AuditAction.TEST, target_label__startswith=token).count() == 1
    finally:
        release.set()
        for thread in threads:
            thread.join(30)
        with tenant_context(alpha.tenant):
            IdempotencyKey.objects.filter(key=key).delete()
