"""The audit log: actions from one enum, typed targets, no personal data in what it keeps (issue 12)."""

import json

import pytest

from accounts.audit import AuditAction
from accounts.models import AuditEntry, Role
from accounts.services import audit_record, staff_create, staff_update
from business.selectors import outlet_default
from business.services import outlet_update
from inventory.models import PurchaseOrder
from inventory.services.purchasing import (
    POLineInput,
    purchase_order_create,
    purchase_order_email_queue,
    supplier_create,
)
from inventory.tests.stock_helpers import stock_item
from mailer.services import mail_send_due

PERSONAL = {
    "supplier e-mail": "budi.santoso@kopi-supplier.test",
    "supplier phone": "+62 812 5550 101",
    "supplier contact": "Budi Santoso",
    "staff e-mail": "sari.wulandari@mail.test",
    "staff name": "Wulandari",
    "outlet phone": "+62 21 555 0199",
    "outlet address": "Jalan Melati 12",
}


def test_an_action_must_be_a_member_of_the_enum_and_a_stale_string_writes_nothing(in_tenant):
    before = AuditEntry.objects.count()
    with pytest.raises(TypeError, match="not an accounts.audit.AuditAction"):
        audit_record(action="order.void")
    with pytest.raises(TypeError):
        audit_record(action="order.viod")
    assert AuditEntry.objects.count() == before
    entry = audit_record(action=AuditAction.ORDER_VOID)
    assert entry.action == "order.void" and entry.action_label == "Order voided"


def test_the_target_is_typed_by_model_label_and_primary_key(in_tenant):
    owner = in_tenant.users[Role.ADMIN_TENANT]
    user = staff_create(username="typed", role=Role.CASHIER, actor=owner)
    entry = AuditEntry.objects.get(action=AuditAction.STAFF_CREATE, target_id=str(user.pk))
    assert (entry.target_type, entry.target_label, entry.actor_id) == ("accounts.user", "typed", owner.pk)
    assert entry.target_display == "typed"
    bare = audit_record(action=AuditAction.TEST, target=user)
    assert bare.target_display == f"accounts.user #{user.pk}"


def test_no_audit_entry_keeps_e_mails_phone_numbers_names_or_addresses(in_tenant, mailoutbox):
    """Supplier e-mails were stored in `data` when a purchase order was e-mailed, an outlet's phone and address
    when it was edited, an approver's username in the approvals' data."""
    owner = in_tenant.users[Role.ADMIN_TENANT]
    first = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    supplier = supplier_create(
        name="Kopi Supplier",
        contact_name=PERSONAL["supplier contact"],
        email=PERSONAL["supplier e-mail"],
        phone=PERSONAL["supplier phone"],
        actor=owner,
    )
    item = stock_item(name="Audit beans", cost="150")
    po = purchase_order_create(supplier=supplier, outlet=outlet_default(), user=owner, currency="IDR",
                               lines=[POLineInput(item_id=item.pk, quantity="2")])  # fmt: skip
    PurchaseOrder.objects.filter(pk=po.pk).update(status=PurchaseOrder.Status.SENT)
    assert purchase_order_email_queue(purchase_order_id=po.pk) is True
    mail_send_due()
    assert mailoutbox[0].to == [PERSONAL["supplier e-mail"]]  # the e-mail went; the log keeps only whose it was
    staff = staff_create(username="sari", role=Role.CASHIER, actor=owner, email=PERSONAL["staff e-mail"],
                         last_name=PERSONAL["staff name"])  # fmt: skip
    staff_update(user=staff, actor=owner, role=Role.SUPERVISOR, is_active=True, email="new@mail.test",
                 last_name=PERSONAL["staff name"])  # fmt: skip
    outlet = outlet_default()
    outlet_update(outlet=outlet, actor=owner, name=outlet.name, address=PERSONAL["outlet address"],
                  phone=PERSONAL["outlet phone"], send_to_kitchen_on_pay=outlet.send_to_kitchen_on_pay)  # fmt: skip

    entries = list(AuditEntry.objects.filter(pk__gt=first).order_by("pk"))
    actions = {e.action for e in entries}
    assert {"stock.supplier_create", "stock.purchase_order_emailed", "staff.update", "outlet.update"} <= actions
    for entry in entries:
        kept = json.dumps(entry.data, ensure_ascii=False) + " " + entry.target_label
        for what, value in PERSONAL.items():
            assert value.lower() not in kept.lower(), f"{entry.action} keeps the {what}: {kept}"
    emailed = next(e for e in entries if e.action == "stock.purchase_order_emailed")
    assert emailed.data == {"supplier": supplier.pk}
    assert (emailed.target_type, emailed.target_id) == ("inventory.purchaseorder", str(po.pk))
    changed = next(e for e in entries if e.action == "outlet.update")
    assert changed.data["changed"] == ["address", "phone"]
