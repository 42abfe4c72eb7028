"""Suppliers and purchase orders: drafts, sending (e-mail through Celery), receiving in parts through the ledger,
cost updates, suggestions from low stock, and the pages with their guards and query budgets."""

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role
from business.selectors import outlet_default
from core.models import OutboxDelivery, OutboxEvent
from core.outbox import outbox_relay
from inventory.models import (
    GoodsReceipt,
    PurchaseOrder,
    PurchaseOrderLine,
    StockItem,
    StockLevel,
    StockMovement,
    StockSettings,
    Supplier,
)
from inventory.services.purchasing import (
    POLineInput,
    ReceiptLineInput,
    goods_receive,
    new_item_cost,
    purchase_order_cancel,
    purchase_order_create,
    purchase_order_email_queue,
    purchase_order_send,
    purchase_order_update,
    purchase_orders_suggest,
    supplier_archive,
    supplier_create,
    supplier_update,
)
from inventory.services.stock import MovementLine, movements_post, stock_settings_get
from mailer.models import Message
from mailer.services import mail_send_due

from .stock_helpers import assert_ledger_consistent, level_of, second_outlet, stock_item

D = Decimal
Status = PurchaseOrder.Status


def _stock(item: StockItem, outlet, quantity: str, kind: str = StockMovement.Kind.RECEIVING) -> None:
    movements_post(outlet_id=outlet.pk, kind=kind, lines=[MovementLine(item_id=item.pk, quantity=D(quantity))],
                   source_type="test")  # fmt: skip


def _cost_method(method: str) -> None:
    settings = stock_settings_get()
    settings.cost_method = method
    settings.save()


@pytest.fixture
def owner_user(tenant):
    return tenant.users[Role.ADMIN_TENANT]


@pytest.fixture
def shop(in_tenant):
    """A supplier with an address, beans counted in g but bought by the kg (150 a gram), milk counted in
    bottles but bought by the case of 12."""
    supplier = supplier_create(name="Kopi Jaya", email="orders@kopijaya.test", contact_name="Budi")
    beans = stock_item(name="Beans", unit="g", cost="150", purchase_unit="kg", purchase_factor=D(1000),
                       default_supplier=supplier)  # fmt: skip
    milk = stock_item(name="Milk", cost="1000", purchase_unit="case of 12", purchase_factor=D(12),
                      default_supplier=supplier)  # fmt: skip
    return {"outlet": outlet_default(), "supplier": supplier, "beans": beans, "milk": milk}


def _draft(shop, user, lines=None, **kwargs) -> PurchaseOrder:
    lines = lines or [POLineInput(item_id=shop["beans"].pk, quantity="5"),
                      POLineInput(item_id=shop["milk"].pk, quantity="2", unit_cost="120.000")]  # fmt: skip
    return purchase_order_create(supplier=shop["supplier"], outlet=shop["outlet"], user=user, lines=lines,
                                 currency="IDR", **kwargs)  # fmt: skip


def _receive(po, user, quantities: dict, key: str = "", costs: dict | None = None, **kwargs) -> GoodsReceipt:
    lines = {line.item_id: line.pk for line in po.lines.all()}
    costs = costs or {}
    return goods_receive(
        purchase_order=po,
        user=user,
        lines=[
            ReceiptLineInput(po_line_id=lines[item.pk], quantity=q, unit_cost=costs.get(item, ""))
            for item, q in quantities.items()
        ],  # fmt: skip
        currency="IDR",
        idempotency_key=key or uuid.uuid4().hex,
        **kwargs,
    )


# --- Suppliers --------------------------------------------------------------------------------------------------


def test_suppliers_need_a_unique_name_and_a_real_address(in_tenant, owner_user):
    supplier = supplier_create(name="  Susu Segar ", email="sales@susu.test", actor=owner_user)
    assert supplier.name == "Susu Segar"
    with pytest.raises(ValidationError) as exc:
        supplier_create(name="susu segar", email="not-an-address")
    assert exc.value.message_dict == {
        "name": ["A supplier called “susu segar” already exists."],
        "email": ["“not-an-address” is not an e-mail address."],
    }
    with pytest.raises(ValidationError) as exc:
        supplier_create(name="")
    assert exc.value.message_dict == {"name": ["Enter the supplier's name."]}
    assert Supplier.objects.count() == 1
    other = supplier_create(name="Gula Manis")
    with pytest.raises(ValidationError):
        supplier_update(supplier=other, name="SUSU SEGAR")
    assert supplier_update(supplier=other, name="Gula Manis Jaya", phone="0812").name == "Gula Manis Jaya"
    supplier_archive(supplier=other, archived=True, actor=owner_user)
    supplier_archive(supplier=other, archived=True, actor=owner_user)  # twice: harmless, audited once
    assert Supplier.objects.get(pk=other.pk).is_archived
    assert AuditEntry.objects.filter(action="stock.supplier_archive").count() == 1


def test_supplier_pages_create_edit_and_archive(tenant):
    client = tenant.client(Role.ADMIN_TENANT)
    bad = client.post(reverse("inventory:supplier_create"), {"name": "Es Batu", "email": "nope"})
    assert bad.status_code == 400 and "is not an e-mail address" in bad.content.decode()
    assert (
        client.post(reverse("inventory:supplier_create"), {"name": "Es Batu", "email": "a@b.test"}).status_code == 302
    )
    dup = client.post(reverse("inventory:supplier_create"), {"name": "es batu"})
    assert dup.status_code == 400 and "already exists" in dup.content.decode()
    with tenant_context(tenant.tenant):
        supplier = Supplier.objects.get(name="Es Batu")
    url = reverse("inventory:supplier_edit", args=[supplier.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "Es Batu Kristal", "email": "x@b.test"}).status_code == 302
    assert client.post(url, {"action": "archive"}).status_code == 302
    page = client.get(reverse("inventory:supplier_list")).content.decode()
    assert "Es Batu Kristal" in page and "Archived" in page
    with tenant_context(tenant.tenant):
        supplier.refresh_from_db()
        assert (supplier.name, supplier.email, supplier.is_archived) == ("Es Batu Kristal", "x@b.test", True)


# --- Drafts -----------------------------------------------------------------------------------------------------


def test_a_draft_takes_costs_per_purchase_unit_and_defaults_to_the_item_cost(shop, owner_user):
    po = _draft(shop, owner_user, note=" ring first ")
    lines = {line.item_id: line for line in po.lines.all()}
    assert po.status == Status.DRAFT and po.note == "ring first"
    assert lines[shop["beans"].pk].quantity == D(5)
    assert lines[shop["beans"].pk].unit_cost == D("150000")  # 150 a gram × 1000 g in a kg
    assert lines[shop["milk"].pk].unit_cost == D("120000")
    po = purchase_order_update(purchase_order=po, supplier=shop["supplier"], outlet=shop["outlet"], currency="IDR",
                               lines=[POLineInput(item_id=shop["milk"].pk, quantity="3")])  # fmt: skip
    assert [(line.item_id, line.quantity, line.unit_cost) for line in po.lines.all()] == [
        (shop["milk"].pk, D(3), D(12000))
    ]
    purchase_order_send(purchase_order=po, user=owner_user)
    with pytest.raises(ValidationError, match="only a draft can be edited"):
        purchase_order_update(purchase_order=po, supplier=shop["supplier"], outlet=shop["outlet"], currency="IDR",
                              lines=[POLineInput(item_id=shop["beans"].pk, quantity="1")])  # fmt: skip
    assert po.lines.count() == 1


def test_bad_money_and_bad_quantities_are_listed_by_line_and_save_nothing(shop, owner_user):
    beans, milk = shop["beans"], shop["milk"]
    archived = stock_item(name="Old syrup", is_archived=True)
    with pytest.raises(ValidationError) as exc:
        _draft(shop, owner_user, lines=[
            POLineInput(item_id=beans.pk, quantity="abc"),
            POLineInput(item_id=milk.pk, quantity="2", unit_cost="12,50"),
            POLineInput(item_id=None, quantity="", unit_cost=""),  # a blank row is skipped, numbering kept
            POLineInput(item_id=beans.pk, quantity="-1", unit_cost="lots"),
            POLineInput(item_id=archived.pk, quantity="1.2345"),
            POLineInput(item_id=None, quantity="3"),
        ])  # fmt: skip
    assert exc.value.messages == [
        "Line 1: “abc” is not a number.",
        "Line 2: Unit cost: IDR amounts have no decimals.",
        "Line 4: Beans is already on line 1; the quantity cannot be negative; unit cost: “lots” is not an amount.",
        "Line 5: Old syrup is archived; use at most three decimals.",
        "Line 6: Choose an item.",
    ]
    with pytest.raises(ValidationError, match="Add at least one line"):
        _draft(shop, owner_user, lines=[POLineInput(item_id=None, quantity="")])
    assert PurchaseOrder.objects.count() == 0 and PurchaseOrderLine.objects.count() == 0


def test_the_order_form_shows_errors_and_saves_nothing_then_saves_once(tenant, django_capture_on_commit_callbacks):
    with tenant_context(tenant.tenant):
        supplier = supplier_create(name="Form Supplier")
        item = stock_item(name="Form beans", cost="10", purchase_unit="kg", purchase_factor=D(1000))
        outlet = outlet_default()
    client = tenant.client(Role.ADMIN_TENANT)
    assert client.get(reverse("inventory:purchase_order_create")).status_code == 200
    data = {"supplier": supplier.pk, "outlet": outlet.pk, "key": uuid.uuid4().hex, "rows": "2",
            "item-0": item.pk, "qty-0": "x", "cost-0": "1,5"}  # fmt: skip
    response = client.post(reverse("inventory:purchase_order_create"), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "“x” is not a number" in page and "IDR amounts have no decimals" in page
    with tenant_context(tenant.tenant):
        assert not PurchaseOrder.objects.exists()
    data.update({"qty-0": "2", "cost-0": "Rp 12.000"})
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse("inventory:purchase_order_create"), data)
    second = client.post(reverse("inventory:purchase_order_create"), data)  # the same form sent again
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    with tenant_context(tenant.tenant):
        po = PurchaseOrder.objects.get()
        assert [(line.quantity, line.unit_cost) for line in po.lines.all()] == [(D(2), D(12000))]


# --- Sending, printing, cancelling ------------------------------------------------------------------------------


def test_sending_queues_one_e_mail_with_text_and_html(tenant, mailoutbox, monkeypatch,
                                                       django_capture_on_commit_callbacks):  # fmt: skip
    from pos_project.celery import app as celery_app

    with tenant_context(tenant.tenant):
        supplier = supplier_create(name="Mail Supplier", email="po@mail-supplier.test")
        item = stock_item(name="Mail beans", cost="150", purchase_unit="kg", purchase_factor=D(1000))
        po = purchase_order_create(supplier=supplier, outlet=outlet_default(), user=tenant.users[Role.ADMIN_TENANT],
                                   currency="IDR", lines=[POLineInput(item_id=item.pk, quantity="2")])  # fmt: skip
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    client = tenant.client(Role.ADMIN_TENANT)
    url = reverse("inventory:purchase_order_send", args=[po.pk])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url, follow=True)
        again = client.post(url, follow=True)  # a double click: already sent, nothing queued
    # The commit kicks the outbox relay (eager here), whose subscriber puts the e-mail in the mail outbox.
    assert len(callbacks) == 1
    assert "the e-mail to po@mail-supplier.test is on its way" in response.content.decode()
    assert "was already sent" in again.content.decode()
    assert mailoutbox == []
    with tenant_context(tenant.tenant):
        assert mail_send_due()["sent"] == 1  # beat's next minute
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["po@mail-supplier.test"] and mail.subject == f"Alpha Café: purchase order {po}"
    assert "2 kg × Mail beans" in mail.body and "Rp 300.000" in mail.body
    html, mimetype = mail.alternatives[0]
    assert mimetype == "text/html" and "Mail beans" in html and "Rp 150.000" in html
    with tenant_context(tenant.tenant):
        assert purchase_order_email_queue(purchase_order_id=po.pk) is False  # relayed twice: queues nothing more
        assert mail_send_due()["sent"] == 0
        assert PurchaseOrder.objects.get(pk=po.pk).status == Status.SENT
        assert Message.objects.filter(kind="purchase_order").count() == 1
    assert len(mailoutbox) == 1


def test_sending_emits_purchase_order_sent_whose_subscriber_queues_the_e_mail_if_there_is_an_address(
    shop, owner_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        po = purchase_order_send(purchase_order=_draft(shop, owner_user), user=owner_user)
        purchase_order_send(purchase_order=po, user=owner_user)  # sent already: no second event
    assert len(callbacks) == 1  # the relay kick
    event = OutboxEvent.objects.get(name="purchase_order.sent")
    assert event.payload == {"purchase_order": po.pk, "supplier": shop["supplier"].pk, "outlet": shop["outlet"].pk,
                             "from": "draft", "to": "sent"}  # fmt: skip

    silent = supplier_create(name="No Mail Supplier")
    draft = purchase_order_create(supplier=silent, outlet=shop["outlet"], user=owner_user, currency="IDR",
                                  lines=[POLineInput(item_id=shop["beans"].pk, quantity="1")])  # fmt: skip
    quiet = purchase_order_send(purchase_order=draft, user=owner_user)
    with django_capture_on_commit_callbacks() as callbacks:
        assert outbox_relay() == 2
    assert callbacks == []  # the e-mail is a row in the mail outbox, committed with the delivery
    [message] = Message.objects.filter(kind="purchase_order")  # for `po`; `quiet` has no address
    assert message.to == [shop["supplier"].email] and str(po) in message.subject
    assert PurchaseOrder.objects.get(pk=po.pk).emailed_at is not None
    assert PurchaseOrder.objects.get(pk=quiet.pk).emailed_at is None
    assert set(OutboxDelivery.objects.values_list("event__payload__purchase_order", "subscriber")) == {
        (po.pk, "inventory.purchase_order_email"),
        (quiet.pk, "inventory.purchase_order_email"),
    }


def test_print_page_is_an_a4_document(shop, owner_user, tenant):
    po = _draft(shop, owner_user)
    response = tenant.client(Role.SUPERVISOR).get(reverse("inventory:purchase_order_print", args=[po.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "css/po-print.css" in page and "DRAFT" in page  # A4 and the print rules: static/css/po-print.css
    assert "Beans" in page and "Rp 750.000" in page and "Rp 240.000" in page and "Rp 990.000" in page


def test_cancel_only_while_nothing_has_arrived(shop, owner_user):
    draft = _draft(shop, owner_user)
    assert purchase_order_cancel(purchase_order=draft, user=owner_user).status == Status.CANCELLED
    assert purchase_order_cancel(purchase_order=draft, user=owner_user).status == Status.CANCELLED  # twice: fine
    with pytest.raises(ValidationError, match="was cancelled"):
        purchase_order_send(purchase_order=draft, user=owner_user)
    sent = purchase_order_send(purchase_order=_draft(shop, owner_user), user=owner_user)
    _receive(sent, owner_user, {shop["beans"]: "1"})
    with pytest.raises(ValidationError, match="cannot be cancelled"):
        purchase_order_cancel(purchase_order=sent, user=owner_user)
    assert PurchaseOrder.objects.get(pk=sent.pk).status == Status.PARTIAL
    assert_ledger_consistent()


# --- Receiving --------------------------------------------------------------------------------------------------


def test_full_cycle_with_two_partial_deliveries(shop, owner_user):
    beans, milk, outlet = shop["beans"], shop["milk"], shop["outlet"]
    _cost_method(StockSettings.CostMethod.LAST)
    po = _draft(shop, owner_user)
    with pytest.raises(ValidationError, match="still a draft"):
        _receive(po, owner_user, {beans: "1"})
    po = purchase_order_send(purchase_order=po, user=owner_user)
    assert po.status == Status.SENT and po.sent_at is not None

    first = _receive(po, owner_user, {beans: "3", milk: "2"}, note="slip 881")
    po.refresh_from_db()
    assert po.status == Status.PARTIAL
    assert (level_of(beans, outlet), level_of(milk, outlet)) == (D(3000), D(24))  # base units
    moves = StockMovement.objects.filter(source_type="receipt", source_id=first.pk).order_by("item__name")
    assert [(m.kind, m.item_id, m.quantity, m.unit_cost) for m in moves] == [
        (StockMovement.Kind.RECEIVING, beans.pk, D(3000), D(150)),
        (StockMovement.Kind.RECEIVING, milk.pk, D(24), D(10000)),  # 120.000 a case of 12
    ]
    assert {m.source_line_id for m in moves} == set(first.lines.values_list("pk", flat=True))

    second = _receive(po, owner_user, {beans: "2"}, costs={beans: "160.000"})
    po.refresh_from_db()
    assert po.status == Status.RECEIVED
    assert level_of(beans, outlet) == D(5000)
    assert {line.item_id: line.quantity_received for line in po.lines.all()} == {beans.pk: D(5), milk.pk: D(2)}
    assert StockMovement.objects.get(source_type="receipt", source_id=second.pk).unit_cost == D(160)
    assert StockItem.objects.get(pk=beans.pk).cost == D("160.000000")  # "last": this delivery's cost a gram
    assert GoodsReceipt.objects.filter(purchase_order=po).count() == 2
    with pytest.raises(ValidationError, match="received in full"):
        _receive(po, owner_user, {beans: "1"})
    assert AuditEntry.objects.filter(action="stock.goods_receive", target_label=str(po)).count() == 2
    assert_ledger_consistent()


def test_average_cost_blends_on_hand_stock_of_all_outlets_with_the_delivery(shop, owner_user):
    item = stock_item(name="Cups", cost="100", purchase_unit="sleeve of 6", purchase_factor=D(6))
    _stock(item, shop["outlet"], "10")
    _stock(item, second_outlet(), "5")
    po = purchase_order_send(purchase_order=_draft(shop, owner_user, lines=[
        POLineInput(item_id=item.pk, quantity="4", unit_cost="660")]), user=owner_user)  # fmt: skip
    _receive(po, owner_user, {item: "2"})
    # (15 × 100 + 12 × 110) / 27 = 2820 / 27 = 104.4444…
    assert StockItem.objects.get(pk=item.pk).cost == D("104.444444")
    assert new_item_cost(method="average", on_hand=D(15), current_cost=D(100), received_base=D(12),
                         received_value=D(1320)) == D("104.444444")  # fmt: skip


def test_average_cost_counts_negative_stock_as_none(shop, owner_user):
    item = stock_item(name="Lids", cost="50", purchase_unit="box of 3", purchase_factor=D(3))
    _stock(item, shop["outlet"], "-4", kind=StockMovement.Kind.SALE)  # sold before it was received
    _stock(item, second_outlet(), "3")
    po = purchase_order_send(purchase_order=_draft(shop, owner_user, lines=[
        POLineInput(item_id=item.pk, quantity="1", unit_cost="100")]), user=owner_user)  # fmt: skip
    _receive(po, owner_user, {item: "1"})
    assert StockItem.objects.get(pk=item.pk).cost == D("33.333333")  # on hand −1 → 0: the delivery's cost
    assert level_of(item, shop["outlet"]) == D(-1)
    assert_ledger_consistent()


def test_last_cost_is_the_delivery_cost_per_base_unit(shop, owner_user):
    _cost_method(StockSettings.CostMethod.LAST)
    item = stock_item(name="Straws", cost="5", purchase_unit="pack of 3", purchase_factor=D(3))
    _stock(item, shop["outlet"], "100")
    po = purchase_order_send(purchase_order=_draft(shop, owner_user, lines=[
        POLineInput(item_id=item.pk, quantity="1", unit_cost="100")]), user=owner_user)  # fmt: skip
    _receive(po, owner_user, {item: "1"})
    assert StockItem.objects.get(pk=item.pk).cost == D("33.333333")
    assert new_item_cost(method="last", on_hand=D(100), current_cost=D(5), received_base=D(3),
                         received_value=D(200)) == D("66.666667")  # fmt: skip


def test_receiving_more_than_ordered_is_refused_unless_confirmed(shop, owner_user):
    beans, outlet = shop["beans"], shop["outlet"]
    po = purchase_order_send(purchase_order=_draft(shop, owner_user), user=owner_user)
    with pytest.raises(ValidationError) as exc:
        _receive(po, owner_user, {beans: "6"})
    assert exc.value.messages == [
        "Beans: 6 kg is more than the 5 still to come; tick “Accept more than ordered” if the supplier really "
        "delivered more."
    ]
    assert not GoodsReceipt.objects.exists() and not StockMovement.objects.filter(source_type="receipt").exists()
    assert level_of(beans, outlet) == 0 and StockItem.objects.get(pk=beans.pk).cost == D(150)
    _receive(po, owner_user, {beans: "6", shop["milk"]: "2"}, allow_over=True)
    po.refresh_from_db()
    assert po.status == Status.RECEIVED and level_of(beans, outlet) == D(6000)
    assert_ledger_consistent()


def test_a_receipt_sent_twice_with_the_same_key_posts_once(shop, owner_user):
    beans = shop["beans"]
    po = purchase_order_send(purchase_order=_draft(shop, owner_user), user=owner_user)
    first = _receive(po, owner_user, {beans: "2"}, key="delivery-1")
    again = _receive(po, owner_user, {beans: "2"}, key="delivery-1")
    assert again.pk == first.pk
    assert GoodsReceipt.objects.count() == 1
    assert StockMovement.objects.filter(source_type="receipt").count() == 1
    assert level_of(beans, shop["outlet"]) == D(2000)
    assert po.lines.get(item=beans).quantity_received == D(2)
    assert_ledger_consistent()


def test_a_receipt_key_reused_for_another_delivery_is_refused_and_posts_nothing(shop, owner_user):
    beans, milk = shop["beans"], shop["milk"]
    po = purchase_order_send(purchase_order=_draft(shop, owner_user), user=owner_user)
    first = _receive(po, owner_user, {beans: "2"}, key="delivery-7")
    with pytest.raises(ValidationError) as exc:
        _receive(po, owner_user, {milk: "1"}, key="delivery-7")
    assert (exc.value.code, exc.value.status) == ("idempotency.key_reused", 422)
    assert list(GoodsReceipt.objects.values_list("pk", flat=True)) == [first.pk]
    assert level_of(milk, shop["outlet"]) == 0 and po.lines.get(item=milk).quantity_received == 0
    assert_ledger_consistent()


def test_long_keys_are_never_cut_short(shop, owner_user):
    """Two forms whose keys share their first 64 characters are two orders (the old code cut keys to 64 and
    answered the second with the first)."""
    stem = "k" * 64
    first = _draft(shop, owner_user, idempotency_key=stem + "-first")
    second = _draft(shop, owner_user, lines=[POLineInput(item_id=shop["milk"].pk, quantity="1")],
                    idempotency_key=stem + "-second")  # fmt: skip
    assert first.pk != second.pk and PurchaseOrder.objects.count() == 2
    assert _draft(shop, owner_user, idempotency_key=stem + "-first").pk == first.pk  # a retry still replays


def test_each_delivery_announces_purchase_order_received(shop, owner_user):
    beans, milk = shop["beans"], shop["milk"]
    po = purchase_order_send(purchase_order=_draft(shop, owner_user), user=owner_user)
    partial = _receive(po, owner_user, {beans: "3"})
    full = _receive(po, owner_user, {beans: "2", milk: "2"})
    events = [e.payload for e in OutboxEvent.objects.filter(name="purchase_order.received").order_by("pk")]
    head = {"purchase_order": po.pk, "supplier": shop["supplier"].pk, "outlet": shop["outlet"].pk, "over": False}
    assert events == [
        {**head, "receipt": partial.pk, "lines": 1, "status": "partial", "from": "sent", "to": "partial"},
        {**head, "receipt": full.pk, "lines": 2, "status": "received", "from": "partial", "to": "received"},
    ]
    actions = AuditEntry.objects.filter(target_label=str(po)).order_by("pk").values_list("action", flat=True)
    assert list(actions) == ["stock.purchase_order_send", "stock.goods_receive", "stock.goods_receive"]


def test_the_receive_page_posts_once_and_explains_bad_input(tenant):
    with tenant_context(tenant.tenant):
        supplier = supplier_create(name="Page Supplier")
        item = stock_item(name="Page beans", cost="10", purchase_unit="kg", purchase_factor=D(1000))
        outlet = outlet_default()
        po = purchase_order_create(supplier=supplier, outlet=outlet, user=tenant.users[Role.ADMIN_TENANT],
                                   currency="IDR", lines=[POLineInput(item_id=item.pk, quantity="4")])  # fmt: skip
        purchase_order_send(purchase_order=po, user=tenant.users[Role.ADMIN_TENANT])
        line = po.lines.get()
    client = tenant.client(Role.SUPERVISOR)
    url = reverse("inventory:purchase_order_receive", args=[po.pk])
    form = client.get(url)
    assert form.status_code == 200 and 'value="4"' in form.content.decode()  # prefilled with what is to come
    bad = client.post(url, {"key": "k-page", f"qty-{line.pk}": "3", f"cost-{line.pk}": "1,5"})
    assert bad.status_code == 400 and "IDR amounts have no decimals" in bad.content.decode()
    too_many = client.post(url, {"key": "k-page", f"qty-{line.pk}": "9"})
    assert too_many.status_code == 400 and "more than the 4 still to come" in too_many.content.decode()
    data = {"key": uuid.uuid4().hex, f"qty-{line.pk}": "1,5", f"cost-{line.pk}": "10.000"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # the same form again
    with tenant_context(tenant.tenant):
        assert GoodsReceipt.objects.filter(purchase_order=po).count() == 1
        assert level_of(item, outlet) == D(1500)
        assert StockMovement.objects.get(source_type="receipt").unit_cost == D(10)
        assert PurchaseOrder.objects.get(pk=po.pk).status == Status.PARTIAL
        assert_ledger_consistent()


# --- Suggestions ------------------------------------------------------------------------------------------------


def _level(item, outlet, *, quantity="0", point="0", reorder="0") -> None:
    if D(quantity):
        _stock(item, outlet, quantity)
    defaults = {"reorder_point": D(point), "reorder_quantity": D(reorder)}
    StockLevel.objects.update_or_create(item=item, outlet=outlet, defaults=defaults)


def test_suggest_drafts_one_order_per_supplier_from_low_stock(shop, owner_user):
    outlet, beans, milk = shop["outlet"], shop["beans"], shop["milk"]
    gula = supplier_create(name="Gula Co")
    sugar = stock_item(name="Sugar", unit="g", purchase_unit="kg", purchase_factor=D(1000), default_supplier=gula)
    cups = stock_item(name="Cups")  # no supplier
    tea = stock_item(name="Tea", default_supplier=gula)
    old = stock_item(name="Old syrup", default_supplier=gula, is_archived=True)
    elsewhere = stock_item(name="Far item", default_supplier=gula)
    _level(beans, outlet, quantity="500", point="1000", reorder="2500")  # 2.5 kg → 3 kg
    _level(milk, outlet, quantity="5", point="6")  # gap of 1 bottle → 1 case
    _level(sugar, outlet, point="10")  # at 0 ≤ 10, gap 10 g → 1 kg
    _level(cups, outlet, quantity="2", point="2")  # at the point exactly
    _level(tea, outlet, quantity="20", point="5")  # above: not suggested
    _level(old, outlet, point="5")
    _level(elsewhere, second_outlet(), point="5")

    result = purchases = purchase_orders_suggest(outlet=outlet, user=owner_user)
    assert [po.supplier.name for po in result.orders] == ["Gula Co", "Kopi Jaya"]
    assert [item.name for item in result.no_supplier] == ["Cups"]
    lines = {
        line.item.name: (line.quantity, line.unit_cost)
        for line in PurchaseOrderLine.objects.filter(purchase_order__in=purchases.orders).select_related("item")
    }
    assert lines == {"Beans": (D(3), D(150000)), "Milk": (D(1), D(12000)), "Sugar": (D(1), D(100000))}
    assert all(po.status == Status.DRAFT and po.outlet == outlet for po in result.orders)

    again = purchase_orders_suggest(outlet=outlet, user=owner_user)  # pressed twice: nothing new
    assert again.orders == [] and {i.name for i in again.already_ordered} == {"Beans", "Milk", "Sugar"}
    assert PurchaseOrder.objects.count() == 2


def test_the_suggest_button_reports_what_it_did(tenant):
    with tenant_context(tenant.tenant):
        supplier = supplier_create(name="Button Supplier")
        outlet = outlet_default()
        _level(stock_item(name="Low beans", default_supplier=supplier), outlet, point="3")
        _level(stock_item(name="Orphan cups"), outlet, point="3")
    client = tenant.client(Role.ADMIN_TENANT)
    page = client.post(reverse("inventory:purchase_order_suggest"), {"outlet": outlet.pk}, follow=True)
    html = page.content.decode()
    assert page.status_code == 200 and "drafted for Button Supplier (1 items)" in html
    assert "no supplier set" in html and "Orphan cups" in html
    with tenant_context(tenant.tenant):
        assert PurchaseOrder.objects.filter(supplier=supplier, status=Status.DRAFT).count() == 1


# --- Pages: guards, tenants, query budgets ----------------------------------------------------------------------


def _all_routes(po_pk: int, supplier_pk: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("inventory:supplier_list")),
        ("get", reverse("inventory:supplier_create")),
        ("post", reverse("inventory:supplier_create")),
        ("get", reverse("inventory:supplier_edit", args=[supplier_pk])),
        ("post", reverse("inventory:supplier_edit", args=[supplier_pk])),
        ("get", reverse("inventory:purchase_order_list")),
        ("get", reverse("inventory:purchase_order_create")),
        ("post", reverse("inventory:purchase_order_create")),
        ("post", reverse("inventory:purchase_order_suggest")),
        ("get", reverse("inventory:purchase_order_detail", args=[po_pk])),
        ("get", reverse("inventory:purchase_order_edit", args=[po_pk])),
        ("post", reverse("inventory:purchase_order_edit", args=[po_pk])),
        ("post", reverse("inventory:purchase_order_send", args=[po_pk])),
        ("post", reverse("inventory:purchase_order_cancel", args=[po_pk])),
        ("get", reverse("inventory:purchase_order_receive", args=[po_pk])),
        ("post", reverse("inventory:purchase_order_receive", args=[po_pk])),
        ("get", reverse("inventory:purchase_order_print", args=[po_pk])),
    ]


@pytest.fixture
def draft_po(tenant):
    with tenant_context(tenant.tenant):
        supplier = supplier_create(name="Guarded Supplier", email="g@s.test")
        item = stock_item(name="Guarded beans")
        po = purchase_order_create(supplier=supplier, outlet=outlet_default(), user=tenant.users[Role.ADMIN_TENANT],
                                   currency="IDR", lines=[POLineInput(item_id=item.pk, quantity="1")])  # fmt: skip
    return po


@pytest.mark.parametrize("role", [Role.CASHIER, Role.KITCHEN])
def test_cashiers_and_the_kitchen_are_refused_and_nothing_changes(tenant, draft_po, role):
    client = tenant.client(role)
    for method, url in _all_routes(draft_po.pk, draft_po.supplier_id):
        response = getattr(client, method)(url, {"name": "Hacked", "action": "archive", "outlet": ""})
        assert response.status_code == 403, (method, url)
    with tenant_context(tenant.tenant):
        po = PurchaseOrder.objects.get(pk=draft_po.pk)
        assert po.status == Status.DRAFT and PurchaseOrder.objects.count() == 1
        assert Supplier.objects.get(pk=draft_po.supplier_id).name == "Guarded Supplier"
        assert not Supplier.objects.get(pk=draft_po.supplier_id).is_archived


def test_another_tenants_order_is_not_found(tenant, other_tenant, draft_po):
    client = other_tenant.client(Role.ADMIN_TENANT)
    for name in ("purchase_order_detail", "purchase_order_print", "purchase_order_receive"):
        assert client.get(reverse(f"inventory:{name}", args=[draft_po.pk])).status_code == 404
    assert client.post(reverse("inventory:purchase_order_send", args=[draft_po.pk])).status_code == 404
    with tenant_context(tenant.tenant):
        assert PurchaseOrder.objects.get(pk=draft_po.pk).status == Status.DRAFT


def test_list_and_detail_pages_have_a_bounded_query_count(tenant, django_assert_max_num_queries):
    """More orders, lines or deliveries add no queries."""
    owner = tenant.users[Role.ADMIN_TENANT]
    with tenant_context(tenant.tenant):
        supplier = supplier_create(name="Budget Supplier", email="b@s.test")
        items = [stock_item(name=f"Budget item {i}", purchase_unit="box", purchase_factor=D(10)) for i in range(8)]
        orders = []
        for n in range(12):
            po = purchase_order_create(supplier=supplier, outlet=outlet_default(), user=owner, currency="IDR", lines=[
                POLineInput(item_id=item.pk, quantity=str(n + 2)) for item in items])  # fmt: skip
            orders.append(purchase_order_send(purchase_order=po, user=owner))
        big = orders[-1]
        for _ in range(3):
            lines = [ReceiptLineInput(po_line_id=line.pk, quantity="1") for line in big.lines.all()]
            goods_receive(purchase_order=big, user=owner, currency="IDR", idempotency_key=uuid.uuid4().hex, lines=lines)
    client = tenant.client(Role.ADMIN_TENANT)
    pages = [
        (reverse("inventory:purchase_order_list"), 10),
        (reverse("inventory:purchase_order_detail", args=[big.pk]), 12),
        (reverse("inventory:purchase_order_receive", args=[big.pk]), 10),
        (reverse("inventory:purchase_order_print", args=[big.pk]), 8),
        (reverse("inventory:supplier_list"), 8),
        (reverse("inventory:purchase_order_create"), 10),
    ]
    client.get(pages[0][0])  # warm-up: the first request loads the session
    for url, budget in pages:
        with django_assert_max_num_queries(budget):
            response = client.get(url)
        assert response.status_code == 200, url
    detail = client.get(pages[1][0]).content.decode()
    assert detail.count("GR-") == 3 and "Budget item 7" in detail
    with tenant_context(tenant.tenant):
        assert_ledger_consistent()
