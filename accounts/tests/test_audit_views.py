"""The owner's audit log page: search (action, person, target, dates), pages with a bounded query count, and the
CSV export (issue 12)."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.audit import AuditAction
from accounts.models import AuditEntry, Role
from accounts.services import audit_record


@pytest.fixture
def entries(tenant):
    """60 test entries by the cashier, one device entry by the owner about a till, one dated last month."""
    with tenant_context(tenant.tenant):
        cashier, owner = tenant.users[Role.CASHIER], tenant.users[Role.ADMIN_TENANT]
        for n in range(60):
            audit_record(action=AuditAction.TEST, actor=cashier, label=f"search-{n}")
        device = audit_record(action=AuditAction.DEVICE_REGISTER, actor=owner, target=owner,
                              label='=HYPERLINK("http://evil.test","Counter")')  # fmt: skip
        with connection.cursor() as cursor:  # written a month ago (created_at is set on insert only)
            cursor.execute(
                "INSERT INTO accounts_auditentry (created_at, actor_username, action, target_type, target_id,"
                " target_label, data, prev_hash, hash) VALUES (now() - interval '30 days', 'owner', 'test.entry',"
                " '', '', 'search-old', '{}', '', '')"
            )
    return {"device": device, "owner": owner}


def _rows(client, **params):
    response = client.get(reverse("accounts:audit_index"), params)
    assert response.status_code == 200
    return response, response.content.decode().count('data-testid="audit-entry"')


def test_the_owner_searches_by_action_person_target_and_date_in_pages(tenant, entries, django_assert_max_num_queries):
    owner = tenant.client(Role.ADMIN_TENANT)
    owner.get(reverse("accounts:audit_index"))  # warm-up
    with django_assert_max_num_queries(8):
        response, shown = _rows(owner, action="test.entry", person="cashier", target="search-")
    assert shown == 50 and "60 entries" in response.content.decode()
    with django_assert_max_num_queries(8):
        _response, shown = _rows(owner, action="test.entry", person="cashier", target="search-", page=2)
    assert shown == 10
    _response, shown = _rows(owner, person="OWNER", action="device.register")
    assert shown == 1
    device = entries["device"]
    _response, shown = _rows(owner, target=f"accounts.user#{device.target_id}", action="device.register")
    assert shown == 1
    today = timezone.localdate()
    _response, shown = _rows(owner, target="search-old", start=(today - timedelta(days=31)).isoformat(),
                             end=(today - timedelta(days=29)).isoformat())  # fmt: skip
    assert shown == 1
    _response, shown = _rows(owner, target="search-old", start=(today - timedelta(days=29)).isoformat())
    assert shown == 0
    _response, shown = _rows(owner, target="search-old", end=(today - timedelta(days=31)).isoformat())
    assert shown == 0


def test_a_bad_search_answers_400_with_the_reason(tenant, entries):
    owner = tenant.client(Role.ADMIN_TENANT)
    response = owner.get(reverse("accounts:audit_index"), {"start": "2026-13-45", "action": "nope"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode() and "Enter a valid date" in response.content.decode()
    response = owner.get(reverse("accounts:audit_export"), {"start": "2026-05-02", "end": "2026-05-01"})
    assert response.status_code == 400 and "The end is before the start" in response.content.decode()


def test_the_export_is_the_search_as_csv_with_formulas_neutralised(tenant, entries):
    owner = tenant.client(Role.ADMIN_TENANT)
    response = owner.get(reverse("accounts:audit_export"), {"action": "device.register", "person": "owner"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:6] == ["when", "who", "action", "target_type", "target_id", "target"]
    [row] = rows[1:]
    assert row[1:6] == ["owner", "device.register", "accounts.user", str(entries["owner"].pk),
                        '\'=HYPERLINK("http://evil.test","Counter")']  # fmt: skip


def test_exporting_the_log_is_itself_audited_without_the_searched_names(tenant, entries):
    owner = tenant.client(Role.ADMIN_TENANT)
    query = {"action": "device.register", "person": "owner", "start": "2026-05-01"}
    assert owner.get(reverse("accounts:audit_export"), query).status_code == 200
    with tenant_context(tenant.tenant):
        entry = AuditEntry.objects.get(action="audit.export")
    assert entry.actor == tenant.users[Role.ADMIN_TENANT]
    assert entry.data == {"action": "device.register", "start": "2026-05-01", "end": None, "person": True,
                          "target": False}  # fmt: skip
    assert owner.get(reverse("accounts:audit_export"), {"start": "x"}).status_code == 400  # refused: not audited
    with tenant_context(tenant.tenant):
        assert AuditEntry.objects.filter(action="audit.export").count() == 1


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN])
def test_only_the_owner_reads_or_exports_the_log(tenant, entries, role):
    client = tenant.client(role)
    assert client.get(reverse("accounts:audit_index")).status_code == 403
    assert client.get(reverse("accounts:audit_export")).status_code == 403
    assert tenant.client().get(reverse("accounts:audit_export")).status_code == 302  # to sign in


def test_the_log_reads_as_sentences_with_approvers_named_and_keeps_the_code(tenant, django_assert_max_num_queries):
    with tenant_context(tenant.tenant):
        cashier, supervisor = tenant.users[Role.CASHIER], tenant.users[Role.SUPERVISOR]
        for n in range(3):
            audit_record(action=AuditAction.ORDER_VOID, actor=cashier, label=f"Order #{n}",
                         data={"approved_by": supervisor.pk, "reason": "wrong table"})  # fmt: skip
    owner = tenant.client(Role.ADMIN_TENANT)
    owner.get(reverse("accounts:audit_index"))  # warm-up
    with django_assert_max_num_queries(9):  # the approvers' names in one query, however many entries name them
        response, shown = _rows(owner, action=AuditAction.ORDER_VOID.value)
    html = response.content.decode()
    assert shown == 3
    assert f"{cashier.username} voided Order #2 (approved by {supervisor.username})" in html
    assert f'<code class="muted">{AuditAction.ORDER_VOID.value}</code>' in html
