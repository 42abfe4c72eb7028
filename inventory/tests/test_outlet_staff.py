"""Staff limited to their outlets (issue 12, point 17): they report waste only there, and every stock page (on
hand, movements, low stock, adjustments, transfers, purchase orders, counts) shows and acts on their outlets only."""

import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry, Role
from accounts.tests.factories import KitchenUserFactory, SupervisorFactory
from business.selectors import outlet_default
from business.tests.factories import OutletFactory
from inventory.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    StockAdjustment,
    StockCount,
    StockLevel,
    StockMovement,
    Transfer,
)
from inventory.services.counts import count_start
from inventory.services.purchasing import supplier_create
from inventory.services.stock import MovementLine, movements_post
from inventory.services.transfers import transfer_create, transfer_send

from .stock_helpers import second_outlet, stock_item


def test_a_cook_of_one_outlet_cannot_report_waste_at_another(in_tenant):
    main, harbour = OutletFactory(code="MAIN"), OutletFactory(code="HARBOUR", name="Harbour")
    stock_item(sku="EGG")
    cook = Client(HTTP_HOST=in_tenant.host)
    cook.force_login(KitchenUserFactory(outlet_ids=[main.pk]))
    url = reverse("inventory:adjustment_create")
    page = cook.get(url).content.decode()
    assert f'value="{main.pk}"' in page and "Harbour" not in page
    data = {"item": "EGG", "quantity": "-2", "reason": "waste", "note": "", "key": uuid.uuid4().hex}
    refused = cook.post(url, {**data, "outlet": harbour.pk})
    assert refused.status_code == 400
    assert not StockAdjustment.objects.exists() and not StockMovement.objects.exists()
    assert cook.post(url, {**data, "outlet": main.pk, "key": uuid.uuid4().hex}).status_code == 302
    assert StockAdjustment.objects.get().outlet_id == main.pk


# --- Every stock page of a supervisor limited to one outlet (issue 12, point 17) --------------------------------
# MAIN is theirs, HARBOUR and the WAREHOUSE are not. Another outlet's documents answer the same 404 as unknown
# ones; lists and totals show only MAIN's; forms offer only MAIN. A transfer is visible when either end is MAIN;
# it is sent, edited and cancelled only from MAIN and received only at MAIN.


@pytest.fixture
def shops(in_tenant):
    main, harbour = outlet_default(), second_outlet("Harbour")
    warehouse = second_outlet("Warehouse")
    owner = in_tenant.users[Role.ADMIN_TENANT]
    mine, theirs = stock_item(name="Main beans", sku="MAIN-B"), stock_item(name="Sea kelp", sku="HB-KELP")
    for item, outlet in ((mine, main), (theirs, harbour), (theirs, warehouse)):
        movements_post(outlet_id=outlet.pk, kind="receiving", lines=[MovementLine(item.pk, Decimal(10))],
                       source_type="test")  # fmt: skip
    StockLevel.objects.filter(item=theirs).update(reorder_point=Decimal(50))  # low at HARBOUR and the WAREHOUSE
    supplier = supplier_create(name="Laut Segar", email="", contact_name="")
    po = PurchaseOrder.objects.create(supplier=supplier, outlet=harbour, status=PurchaseOrder.Status.SENT,
                                      created_by=owner)  # fmt: skip
    po_line = PurchaseOrderLine.objects.create(purchase_order=po, item=theirs, quantity=Decimal(5), unit_cost=100)
    count = count_start(outlet=harbour, user=owner)
    adjustment = StockAdjustment.objects.create(outlet=harbour, reason="waste", status=StockAdjustment.Status.PENDING,
                                                created_by=owner)  # fmt: skip
    outgoing = transfer_create(from_outlet=main, to_outlet=harbour, user=owner, lines=[("MAIN-B", "2")])
    transfer_send(transfer=outgoing, user=owner)
    incoming = transfer_create(from_outlet=harbour, to_outlet=main, user=owner, lines=[("HB-KELP", "3")])
    elsewhere = transfer_create(from_outlet=harbour, to_outlet=warehouse, user=owner, lines=[("HB-KELP", "1")])
    supervisor = Client(HTTP_HOST=in_tenant.host)
    supervisor.force_login(SupervisorFactory(outlet_ids=[main.pk]))
    return {
        "main": main, "harbour": harbour, "po": po, "po_line": po_line, "count": count, "adjustment": adjustment,
        "outgoing": outgoing, "incoming": incoming, "elsewhere": elsewhere, "supervisor": supervisor,
    }  # fmt: skip


def _snapshot():
    """Everything a refused request must leave as it was."""
    return (
        list(StockMovement.objects.order_by("pk").values_list("pk", flat=True)),
        list(StockLevel.objects.order_by("pk").values_list("pk", "quantity")),
        list(StockAdjustment.objects.order_by("pk").values_list("pk", "status")),
        list(Transfer.objects.order_by("pk").values_list("pk", "status")),
        list(PurchaseOrder.objects.order_by("pk").values_list("pk", "status", "outlet_id")),
        list(StockCount.objects.order_by("pk").values_list("pk", "status")),
        AuditEntry.objects.count(),
    )


def test_stock_on_hand_movements_and_low_stock_show_only_ones_outlets(shops, django_assert_max_num_queries):
    supervisor, harbour = shops["supervisor"], shops["harbour"]
    for name in ("stock_list", "movement_list", "low_stock"):
        with django_assert_max_num_queries(15):
            page = supervisor.get(reverse(f"inventory:{name}"))
        assert page.status_code == 200, name
        text = page.content.decode()
        assert "Sea kelp" not in text and "Warehouse" not in text, name
        # Asking for another outlet by hand is the same as asking for one that does not exist.
        assert supervisor.get(reverse(f"inventory:{name}"), {"outlet": harbour.pk}).status_code == 400, name
    assert "Main beans" in supervisor.get(reverse("inventory:stock_list")).content.decode()
    for name in ("stock_export", "movement_export"):
        text = b"".join(supervisor.get(reverse(f"inventory:{name}")).streaming_content).decode()
        assert "Main beans" in text and "Sea kelp" not in text, name


def test_another_outlets_adjustments_are_not_listed_shown_or_decided(shops, django_assert_max_num_queries):
    supervisor, adjustment = shops["supervisor"], shops["adjustment"]
    before = _snapshot()
    for name in ("adjustment_list", "adjustment_approvals"):
        with django_assert_max_num_queries(12):
            page = supervisor.get(reverse(f"inventory:{name}"))
        assert page.status_code == 200 and str(adjustment) not in page.content.decode(), name
    assert supervisor.get(reverse("inventory:adjustment_detail", args=[adjustment.pk])).status_code == 404
    assert supervisor.post(reverse("inventory:adjustment_approve", args=[adjustment.pk])).status_code == 404
    assert supervisor.post(reverse("inventory:adjustment_reject", args=[adjustment.pk])).status_code == 404
    assert _snapshot() == before


def test_a_transfer_is_seen_when_either_end_is_ones_and_worked_only_at_ones_end(shops, django_assert_max_num_queries):
    supervisor, outgoing, incoming, elsewhere = (shops[k] for k in ("supervisor", "outgoing", "incoming", "elsewhere"))
    with django_assert_max_num_queries(12):
        page = supervisor.get(reverse("inventory:transfer_list")).content.decode()
    assert str(outgoing) in page and str(incoming) in page and str(elsewhere) not in page
    assert "Warehouse" not in page  # the in-transit strip too
    before = _snapshot()
    # Neither end is MAIN: as if it did not exist.
    for name in ("transfer_detail", "transfer_edit", "transfer_receive"):
        assert supervisor.get(reverse(f"inventory:{name}", args=[elsewhere.pk])).status_code == 404, name
    for name in ("transfer_send", "transfer_cancel", "transfer_receive"):
        assert supervisor.post(reverse(f"inventory:{name}", args=[elsewhere.pk])).status_code == 404, name
    # HARBOUR → MAIN: seen; HARBOUR sends, edits and cancels it, not MAIN.
    detail = supervisor.get(reverse("inventory:transfer_detail", args=[incoming.pk]))
    assert detail.status_code == 200
    assert reverse("inventory:transfer_send", args=[incoming.pk]) not in detail.content.decode()  # not offered
    assert supervisor.post(reverse("inventory:transfer_send", args=[incoming.pk])).status_code == 404
    assert supervisor.post(reverse("inventory:transfer_cancel", args=[incoming.pk])).status_code == 404
    edit = {"item": "HB-KELP", "quantity": "9"}
    assert supervisor.post(reverse("inventory:transfer_edit", args=[incoming.pk]), edit).status_code == 404
    # MAIN → HARBOUR, on its way: HARBOUR receives it, not MAIN.
    line = outgoing.lines.get()
    refused = supervisor.post(reverse("inventory:transfer_receive", args=[outgoing.pk]), {f"received-{line.pk}": "2"})
    assert refused.status_code == 404
    assert _snapshot() == before
    assert incoming.lines.get().quantity == 3
    # A new transfer leaves only from MAIN: the form offers MAIN alone, and HARBOUR typed in is refused.
    form = supervisor.get(reverse("inventory:transfer_create")).content.decode()
    from_select = form[form.index('name="from_outlet"') : form.index('name="to_outlet"')]
    assert "Harbour" not in from_select and "Warehouse" not in from_select
    data = {"from_outlet": shops["harbour"].pk, "to_outlet": shops["main"].pk, "item": "HB-KELP", "quantity": "1"}
    assert supervisor.post(reverse("inventory:transfer_create"), data).status_code == 400
    assert _snapshot() == before


def test_another_outlets_purchase_orders_are_not_listed_shown_received_or_made(shops, django_assert_max_num_queries):
    supervisor, po, line = shops["supervisor"], shops["po"], shops["po_line"]
    with django_assert_max_num_queries(12):
        page = supervisor.get(reverse("inventory:purchase_order_list")).content.decode()
    assert str(po) not in page and "Harbour" not in page
    before = _snapshot()
    for name in ("purchase_order_detail", "purchase_order_edit", "purchase_order_print", "purchase_order_receive"):
        assert supervisor.get(reverse(f"inventory:{name}", args=[po.pk])).status_code == 404, name
    for name in ("purchase_order_send", "purchase_order_cancel"):
        assert supervisor.post(reverse(f"inventory:{name}", args=[po.pk])).status_code == 404, name
    received = {"key": uuid.uuid4().hex, f"qty-{line.pk}": "5", f"cost-{line.pk}": "100"}
    assert supervisor.post(reverse("inventory:purchase_order_receive", args=[po.pk]), received).status_code == 404
    # New orders deliver only to MAIN; HARBOUR typed in is refused, and the reorder suggestion does not draft for it.
    form = supervisor.get(reverse("inventory:purchase_order_create")).content.decode()
    assert "Harbour" not in form
    data = {"supplier": po.supplier_id, "outlet": shops["harbour"].pk, "key": uuid.uuid4().hex,
            "item": str(line.item_id), "quantity": "1"}  # fmt: skip
    assert supervisor.post(reverse("inventory:purchase_order_create"), data).status_code == 400
    supervisor.post(reverse("inventory:purchase_order_suggest"), {"outlet": shops["harbour"].pk})
    assert _snapshot() == before


def test_another_outlets_stock_counts_are_not_listed_shown_posted_or_started(shops, django_assert_max_num_queries):
    supervisor, count = shops["supervisor"], shops["count"]
    with django_assert_max_num_queries(12):
        page = supervisor.get(reverse("inventory:count_list")).content.decode()
    assert str(count) not in page
    before = _snapshot()
    for name in ("count_detail", "count_review"):
        assert supervisor.get(reverse(f"inventory:{name}", args=[count.pk])).status_code == 404, name
    scan = {"code": "HB-KELP", "quantity": "4", "key": uuid.uuid4().hex}
    assert supervisor.post(reverse("inventory:count_scan", args=[count.pk]), scan).status_code == 404
    line = count.lines.first()
    sheet = {f"line-{line.pk}": "4", f"was-{line.pk}": ""}
    assert supervisor.post(reverse("inventory:count_detail", args=[count.pk]), sheet).status_code == 404
    for name in ("count_post", "count_cancel"):
        assert supervisor.post(reverse(f"inventory:{name}", args=[count.pk])).status_code == 404, name
    assert not count.lines.filter(counted__isnull=False).exists()
    form = supervisor.get(reverse("inventory:count_create")).content.decode()
    assert "Harbour" not in form
    assert supervisor.post(reverse("inventory:count_create"), {"outlet": shops["harbour"].pk}).status_code == 400
    assert _snapshot() == before
