"""The dashboard's activity feed reads audit entries as sentences (accounts.audit.audit_sentence), never codes."""

import pytest
from django.utils import translation

from accounts.audit import AuditAction, audit_approver_ids, audit_sentence
from accounts.models import AuditEntry

# What writers put in entries (accounts.services, sales.services, core.transitions...): the sentence reads
# each, and also an entry with nothing but its action.
_FULL = {
    "actor_username": "sari",
    "target_type": "sales.order",
    "target_id": "41",
    "target_label": "Order #12",
    "data": {"approved_by": 7, "for": "order.void", "to": "11.00", "from": "10.00"},
}


@pytest.mark.parametrize("action", list(AuditAction), ids=lambda a: a.value)
@pytest.mark.parametrize("language", ["en", "id"])
def test_every_action_reads_as_a_sentence(action, language):
    with translation.override(language):
        for fields in (_FULL, {}):
            entry = AuditEntry(action=action.value, **fields)
            sentence = audit_sentence(entry, {7: "budi"})
            assert sentence.strip()
            assert action.value not in sentence  # never the raw code
            assert "%(" not in sentence and "%s" not in sentence
            assert "sales.order" not in sentence


def test_a_void_names_who_and_the_approver():
    entry = AuditEntry(action=AuditAction.ORDER_VOID.value, actor_username="sari", target_type="sales.order",
                       target_id="41", target_label="Order #12", data={"approved_by": 7, "reason": "x"})  # fmt: skip
    assert audit_approver_ids([entry]) == {7}
    assert audit_sentence(entry, {7: "budi"}) == "sari voided order #12 (approved by budi)"
    # An approver no longer on the staff list: the sentence stands without the name.
    assert audit_sentence(entry, {}) == "sari voided order #12"


def test_labels_of_several_spellings_read_the_same():
    older = AuditEntry(action=AuditAction.ORDER_SEND.value, actor_username="sari", target_type="sales.order",
                       target_id="41", target_label="order 12")  # fmt: skip
    assert audit_sentence(older) == "sari sent order #12 to the kitchen"
    shift = AuditEntry(action=AuditAction.SHIFT_PAY_OUT.value, actor_username="budi", target_type="sales.shift",
                       target_id="5", target_label="shift 5")  # fmt: skip
    assert audit_sentence(shift) == "budi paid cash out of shift 5"
    opened = AuditEntry(action=AuditAction.SHIFT_OPEN.value, actor_username="sari", target_type="sales.shift",
                        target_id="12", target_label="Till 1")  # fmt: skip
    assert audit_sentence(opened) == "sari opened shift 12"  # not "opened a shift on shift 12"


def test_entries_without_actor_or_label():
    failed = AuditEntry(action=AuditAction.AUTH_LOGIN_FAILED.value)
    assert audit_sentence(failed) == "A sign-in as someone unknown failed"
    emailed = AuditEntry(action=AuditAction.STOCK_SUPPLIER_CREATE.value, actor_username="owner",
                         target_type="inventory.supplier", target_id="3")  # fmt: skip
    assert audit_sentence(emailed) == "owner added the supplier #3"
    assert audit_sentence(AuditEntry(action=AuditAction.SETTINGS_SALES_UPDATE.value)) == (
        "The system changed the sales settings"
    )


def test_approvals_say_what_for():
    granted = AuditEntry(action=AuditAction.APPROVAL_GRANTED.value, actor_username="sari",
                         target_type="accounts.user", target_id="7", target_label="budi",
                         data={"for": "order.refund"})  # fmt: skip
    assert audit_sentence(granted) == "budi approved a refund for sari"


def test_a_retired_action_shows_its_stored_value():
    assert audit_sentence(AuditEntry(action="old.thing", actor_username="x")) == "old.thing"


def test_odd_data_never_raises():
    for data in ({"approved_by": True}, {"approved_by": "7"}, {"for": 3}, {"to": None}, []):
        entry = AuditEntry(action=AuditAction.ORDER_REFUND.value, actor_username="sari", data=data)
        assert audit_sentence(entry, {7: "budi"}).startswith("sari refunded")
