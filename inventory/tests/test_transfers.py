"""Transfers between outlets: the services (ledger, states, validation, races), the selectors and the pages."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role
from business.selectors import outlet_default
from core.models import OutboxEvent
from inventory.models import StockItem, StockLevel, StockMovement, Transfer, TransferLine
from inventory.selectors.transfers import in_transit_quantities, transfer_list
from inventory.services.stock import MovementLine, OutOfStock, movements_post
from inventory.services.transfers import (
    MAX_LINES,
    TransferLineInput,
    transfer_cancel,
    transfer_create,
    transfer_receive,
    transfer_send,
    transfer_update_lines,
)
from pos_project.testing.append_only import committed_rows_purge

from .stock_helpers import assert_ledger_consistent, level_of, second_outlet, stock_item

Status = Transfer.Status
Kind = StockMovement.Kind
D = Decimal


def _stock(item, outlet, quantity: str) -> None:
    movements_post(outlet_id=outlet.pk, kind="receiving", lines=[MovementLine(item.pk, D(quantity))],
                   source_type="test")  # fmt: skip


@pytest.fixture
def shop(in_tenant):
    """Two outlets, three items stocked at the first: milk (ml), beans (g), cups (pcs)."""
    main, harbour = outlet_default(), second_outlet()
    milk = stock_item(name="Milk", sku="TR-MILK", unit="ml", cost="2.5")
    beans = stock_item(name="Beans", sku="TR-BEANS", unit="g", cost="0.4")
    cups = stock_item(name="Cups", sku="TR-CUPS", cost="150")
    _stock(milk, main, "10000")
    _stock(beans, main, "2000")
    _stock(cups, main, "50")
    return {
        "main": main,
        "harbour": harbour,
        "milk": milk,
        "beans": beans,
        "cups": cups,
        "owner": in_tenant.users[Role.ADMIN_TENANT],
        "supervisor": in_tenant.users[Role.SUPERVISOR],
    }


def _draft(shop, lines=None, **kwargs) -> Transfer:
    lines = lines or [("TR-MILK", "4000"), (shop["beans"].pk, "1000"), ("TR-CUPS", "20")]
    return transfer_create(from_outlet=shop["main"], to_outlet=shop["harbour"], user=shop["owner"], lines=lines,
                           **kwargs)  # fmt: skip


def _line(transfer: Transfer, item: StockItem) -> TransferLine:
    return transfer.lines.get(item=item)


def _movements(transfer: Transfer):
    return StockMovement.objects.filter(source_type="transfer", source_id=transfer.pk)


# --- Services: the happy path -----------------------------------------------------------------------------------


def test_a_transfer_sent_and_partly_received_moves_stock_and_records_the_discrepancy(shop):
    main, harbour, milk, beans, cups = shop["main"], shop["harbour"], shop["milk"], shop["beans"], shop["cups"]
    transfer = _draft(shop, note="Weekend top-up")
    assert transfer.status == Status.DRAFT and transfer.lines.count() == 3
    assert not _movements(transfer).exists()  # a draft moves nothing
    assert level_of(milk, main) == D(10000)

    transfer = transfer_send(transfer=transfer, user=shop["owner"])
    assert transfer.status == Status.SENT and transfer.sent_by == shop["owner"] and transfer.sent_at
    assert (level_of(milk, main), level_of(beans, main), level_of(cups, main)) == (D(6000), D(1000), D(30))
    assert (level_of(milk, harbour), level_of(beans, harbour), level_of(cups, harbour)) == (0, 0, 0)
    out = _movements(transfer)
    assert set(out.values_list("kind", "outlet_id")) == {(Kind.TRANSFER_OUT, main.pk)}
    assert sorted(out.values_list("quantity", flat=True)) == [D(-4000), D(-1000), D(-20)]
    assert _line(transfer, milk).unit_cost == D("2.5")  # the cost is frozen when the goods leave
    assert in_transit_quantities() == {milk.pk: D(4000), beans.pk: D(1000), cups.pk: D(20)}
    assert in_transit_quantities(to_outlet_id=main.pk) == {}

    lines = {line.item_id: line.pk for line in transfer.lines.all()}
    received = {lines[milk.pk]: "3500", lines[beans.pk]: "1000", lines[cups.pk]: "0"}
    transfer = transfer_receive(transfer=transfer, user=shop["supervisor"], received=received)
    assert transfer.status == Status.RECEIVED and transfer.received_by == shop["supervisor"]
    assert (level_of(milk, harbour), level_of(beans, harbour), level_of(cups, harbour)) == (D(3500), D(1000), 0)
    assert (level_of(milk, main), level_of(beans, main), level_of(cups, main)) == (D(6000), D(1000), D(30))
    ins = _movements(transfer).filter(kind=Kind.TRANSFER_IN)
    assert set(ins.values_list("outlet_id", flat=True)) == {harbour.pk}
    assert sorted(ins.values_list("quantity", flat=True)) == [D(1000), D(3500)]  # nothing posted for 0 cups
    assert ins.get(item=milk).unit_cost == D("2.5")
    milk_line, cups_line = _line(transfer, milk), _line(transfer, cups)
    assert milk_line.quantity_received == D(3500) and milk_line.discrepancy == D(500)
    assert cups_line.quantity_received == 0 and cups_line.discrepancy == D(20)
    assert _line(transfer, beans).discrepancy == 0
    assert in_transit_quantities() == {}
    actions = list(
        AuditEntry.objects.filter(target_label=str(transfer)).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["stock.transfer_create", "stock.transfer_send", "stock.transfer_receive"]
    receipt = AuditEntry.objects.get(action="stock.transfer_receive", target_label=str(transfer))
    assert receipt.data["discrepancies"] == {str(milk.pk): "500", str(cups.pk): "20"}
    assert_ledger_consistent()


def test_cancelling_a_draft_moves_nothing(shop):
    transfer = transfer_cancel(transfer=_draft(shop), user=shop["owner"])
    assert transfer.status == Status.CANCELLED and transfer.cancelled_at
    assert not _movements(transfer).exists()
    assert level_of(shop["milk"], shop["main"]) == D(10000)
    assert AuditEntry.objects.get(action="stock.transfer_cancel", target_label=str(transfer)).data["was"] == "draft"
    with pytest.raises(ValidationError, match="cancelled; it cannot be sent"):
        transfer_send(transfer=transfer, user=shop["owner"])
    assert_ledger_consistent()


def test_cancelling_a_sent_transfer_returns_the_stock_to_the_source(shop):
    main, harbour, milk = shop["main"], shop["harbour"], shop["milk"]
    transfer = transfer_send(transfer=_draft(shop), user=shop["owner"])
    assert level_of(milk, main) == D(6000)
    transfer = transfer_cancel(transfer=transfer, user=shop["owner"])
    assert transfer.status == Status.CANCELLED
    assert level_of(milk, main) == D(10000) and level_of(milk, harbour) == 0
    back = _movements(transfer).filter(kind=Kind.TRANSFER_IN)
    assert back.count() == 3 and set(back.values_list("outlet_id", flat=True)) == {main.pk}
    assert set(back.values_list("reason", flat=True)) == {"cancelled"}
    # Pressing Cancel again changes nothing; a cancelled transfer cannot be received.
    transfer_cancel(transfer=transfer, user=shop["owner"])
    assert _movements(transfer).count() == 6
    assert AuditEntry.objects.filter(action="stock.transfer_cancel", target_label=str(transfer)).count() == 1
    lines = {line.pk: "1" for line in transfer.lines.all()}
    with pytest.raises(ValidationError, match="cancelled; it cannot be received"):
        transfer_receive(transfer=transfer, user=shop["owner"], received=lines)
    assert in_transit_quantities() == {}
    assert_ledger_consistent()


def test_a_received_transfer_cannot_be_cancelled(shop):
    transfer = transfer_send(transfer=_draft(shop), user=shop["owner"])
    transfer = transfer_receive(transfer=transfer, user=shop["owner"],
                                received={line.pk: str(line.quantity) for line in transfer.lines.all()})  # fmt: skip
    with pytest.raises(ValidationError, match="received; it cannot be cancelled"):
        transfer_cancel(transfer=transfer, user=shop["owner"])
    assert Transfer.objects.get(pk=transfer.pk).status == Status.RECEIVED
    assert level_of(shop["milk"], shop["harbour"]) == D(4000)
    assert_ledger_consistent()


# --- Services: refusals -----------------------------------------------------------------------------------------


def test_sending_more_than_the_source_holds_is_refused_and_saves_nothing(shop):
    main, milk, cups = shop["main"], shop["milk"], shop["cups"]
    transfer = _draft(shop, lines=[("TR-MILK", "10001"), ("TR-CUPS", "51"), ("TR-BEANS", "5")])
    with pytest.raises(OutOfStock) as exc:
        transfer_send(transfer=transfer, user=shop["owner"])
    text = " ".join(exc.value.messages)
    assert "only 10000 ml of Milk left" in text and "only 50 pcs of Cups left" in text and "Beans" not in text
    transfer.refresh_from_db()
    assert transfer.status == Status.DRAFT and transfer.sent_at is None
    assert not _movements(transfer).exists()
    assert _line(transfer, milk).unit_cost == 0  # the cost freeze was rolled back too
    assert level_of(milk, main) == D(10000) and level_of(cups, main) == D(50)
    assert not AuditEntry.objects.filter(action="stock.transfer_send").exists()
    assert_ledger_consistent()


def test_sending_twice_posts_once(shop):
    transfer = _draft(shop)
    first = transfer_send(transfer=transfer, user=shop["owner"])
    again = transfer_send(transfer=transfer, user=shop["owner"])  # the stale object of a double click
    assert first.pk == again.pk and again.status == Status.SENT
    assert _movements(transfer).count() == 3
    assert level_of(shop["milk"], shop["main"]) == D(6000)
    assert AuditEntry.objects.filter(action="stock.transfer_send").count() == 1
    assert_ledger_consistent()


def test_receiving_more_than_was_sent_or_nonsense_is_refused_and_saves_nothing(shop):
    transfer = transfer_send(transfer=_draft(shop), user=shop["owner"])
    lines = {line.item_id: line.pk for line in transfer.lines.all()}
    milk, beans, cups = lines[shop["milk"].pk], lines[shop["beans"].pk], lines[shop["cups"].pk]
    with pytest.raises(ValidationError) as exc:
        transfer_receive(transfer=transfer, user=shop["owner"], received={milk: "4001", beans: "-1", cups: "x"})
    messages = exc.value.messages
    assert len(messages) == 3
    assert "Line 1 (Milk): 4001 ml is more than the 4000 sent" in messages[0]
    assert messages[1] == "Line 2 (Beans): The quantity cannot be negative."
    assert "Line 3 (Cups)" in messages[2] and "not a number" in messages[2]
    with pytest.raises(ValidationError, match=r"Line 3 \(Cups\): enter the quantity that arrived"):
        transfer_receive(transfer=transfer, user=shop["owner"], received={milk: "1", beans: "1"})
    with pytest.raises(ValidationError, match="not on this transfer"):
        transfer_receive(transfer=transfer, user=shop["owner"],
                         received={milk: "1", beans: "1", cups: "1", 999_999: "1"})  # fmt: skip
    transfer.refresh_from_db()
    assert transfer.status == Status.SENT
    assert not _movements(transfer).filter(kind=Kind.TRANSFER_IN).exists()
    assert not transfer.lines.filter(quantity_received__isnull=False).exists()
    assert level_of(shop["milk"], shop["harbour"]) == 0
    assert_ledger_consistent()


def test_receiving_again_returns_the_first_result_or_says_who_received_it(shop):
    transfer = transfer_send(transfer=_draft(shop), user=shop["owner"])
    received = {line.pk: "1" for line in transfer.lines.all()}
    transfer_receive(transfer=transfer, user=shop["supervisor"], received=received)
    again = transfer_receive(transfer=transfer, user=shop["supervisor"], received=received)  # a double click
    assert again.status == Status.RECEIVED
    with pytest.raises(ValidationError, match="already received by supervisor"):
        transfer_receive(transfer=transfer, user=shop["owner"], received=dict.fromkeys(received, "2"))
    assert _movements(transfer).filter(kind=Kind.TRANSFER_IN).count() == 3
    assert level_of(shop["milk"], shop["harbour"]) == D(1)
    assert_ledger_consistent()


def test_every_validation_error_is_listed_and_nothing_is_saved(shop):
    old = stock_item(name="Old syrup", sku="TR-OLD", is_archived=True)
    lines = [
        TransferLineInput("TR-MILK", "5", 1),
        TransferLineInput("TR-NOPE", "1", 2),
        TransferLineInput(old.pk, "1", 3),
        TransferLineInput("TR-MILK", "2", 4),
        TransferLineInput("TR-CUPS", "0", 5),
        TransferLineInput("TR-BEANS", "1.2345", 6),
        TransferLineInput("", "3", 8),  # row 7 was blank and skipped: numbers are the rows the person sees
    ]
    with pytest.raises(ValidationError) as exc:
        transfer_create(from_outlet=shop["main"], to_outlet=shop["main"], user=shop["owner"], lines=lines,
                        note="x" * 201)  # fmt: skip
    assert exc.value.messages == [
        "Choose two different outlets: a transfer cannot go to the outlet it leaves from.",
        "Keep the note under 200 characters.",
        "Line 2: No stock item with SKU “TR-NOPE”.",
        "Line 3: Old syrup (TR-OLD) is archived.",
        "Line 4: Milk (TR-MILK) is already on line 1.",
        "Line 5: The quantity cannot be zero.",
        "Line 6: Use at most three decimals.",
        "Line 8: Choose an item.",
    ]
    shop["harbour"].is_active = False
    shop["harbour"].save()
    with pytest.raises(ValidationError) as exc:
        transfer_create(from_outlet=shop["main"], to_outlet=shop["harbour"], user=shop["owner"], lines=[])
    assert exc.value.messages == [f"{shop['harbour'].name} is closed; it cannot receive stock.",
                                  "Add at least one line."]  # fmt: skip
    with pytest.raises(ValidationError, match=f"At most {MAX_LINES} lines"):
        transfer_create(from_outlet=shop["main"], to_outlet=None, user=shop["owner"],
                        lines=[("TR-MILK", "1")] * (MAX_LINES + 1))  # fmt: skip
    assert not Transfer.objects.exists() and not TransferLine.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="stock.transfer").exists()


def test_a_retried_create_with_the_same_key_returns_the_first_transfer(shop):
    key = uuid.uuid4().hex
    first = _draft(shop, idempotency_key=key)
    again = _draft(shop, idempotency_key=key)
    assert again.pk == first.pk and Transfer.objects.count() == 1
    assert _draft(shop, idempotency_key=uuid.uuid4().hex).pk != first.pk


def test_the_same_key_with_another_form_is_refused_and_saves_nothing(shop):
    key = uuid.uuid4().hex
    first = _draft(shop, idempotency_key=key)
    with pytest.raises(ValidationError) as exc:
        _draft(shop, lines=[("TR-CUPS", "1")], idempotency_key=key)
    assert (exc.value.code, exc.value.status) == ("idempotency.key_reused", 422)
    assert list(Transfer.objects.values_list("pk", flat=True)) == [first.pk]


def test_each_move_is_announced_with_the_outlets_and_what_went_missing(shop):
    transfer = transfer_send(transfer=_draft(shop), user=shop["owner"])
    lines = {line.item_id: line.pk for line in transfer.lines.all()}
    received = {lines[shop["milk"].pk]: "3900", lines[shop["beans"].pk]: "1000", lines[shop["cups"].pk]: "20"}
    transfer_receive(transfer=transfer, user=shop["supervisor"], received=received)
    dropped = transfer_cancel(transfer=_draft(shop), user=shop["owner"])
    events = {e.name: e.payload for e in OutboxEvent.objects.filter(name__startswith="transfer.")}
    route = {"from_outlet": shop["main"].pk, "to_outlet": shop["harbour"].pk}
    assert events == {
        "transfer.sent": {"transfer": transfer.pk, **route, "lines": 3, "from": "draft", "to": "sent"},
        "transfer.received": {"transfer": transfer.pk, **route, "lines": 3, "from": "sent", "to": "received",
                              "discrepancies": {str(shop["milk"].pk): "100"}},
        "transfer.cancelled": {"transfer": dropped.pk, **route, "was": "draft", "returned_to_source": False,
                               "from": "draft", "to": "cancelled"},
    }  # fmt: skip


def test_a_role_without_the_capability_cannot_move_a_transfer(shop, in_tenant):
    transfer = _draft(shop)
    with pytest.raises(ValidationError) as exc:
        transfer_send(transfer=transfer, user=in_tenant.users[Role.CASHIER])
    assert (exc.value.code, exc.value.status) == ("access.denied", 403)
    transfer.refresh_from_db()
    assert transfer.status == Status.DRAFT and not _movements(transfer).exists()
    assert level_of(shop["milk"], shop["main"]) == D(10000)
    assert_ledger_consistent()


def test_draft_lines_can_be_replaced_until_the_transfer_is_sent(shop):
    transfer = _draft(shop)
    transfer_update_lines(transfer=transfer, user=shop["owner"], lines=[("TR-CUPS", "5")], note="Only cups")
    transfer.refresh_from_db()
    assert transfer.note == "Only cups"
    assert list(transfer.lines.values_list("item__sku", "quantity")) == [("TR-CUPS", D(5))]
    with pytest.raises(ValidationError, match="Line 1: The quantity cannot be negative"):
        transfer_update_lines(transfer=transfer, user=shop["owner"], lines=[("TR-CUPS", "-5"), ("TR-MILK", "1")])
    assert transfer.lines.count() == 1  # the refused edit left the old lines
    transfer_send(transfer=transfer, user=shop["owner"])
    with pytest.raises(ValidationError, match="in transit; it cannot be changed"):
        transfer_update_lines(transfer=transfer, user=shop["owner"], lines=[("TR-CUPS", "1")])
    assert level_of(shop["cups"], shop["main"]) == D(45)
    assert_ledger_consistent()


def test_the_list_shows_a_transfer_to_both_of_its_outlets(shop):
    third = second_outlet("Airport kiosk")
    to_harbour = _draft(shop)
    to_airport = transfer_create(from_outlet=shop["main"], to_outlet=third, user=shop["owner"],
                                 lines=[("TR-CUPS", "1")])  # fmt: skip
    assert {t.pk for t in transfer_list(outlet_id=shop["main"].pk)} == {to_harbour.pk, to_airport.pk}
    assert [t.pk for t in transfer_list(outlet_id=shop["harbour"].pk)] == [to_harbour.pk]
    assert [t.pk for t in transfer_list(outlet_id=third.pk)] == [to_airport.pk]
    assert transfer_list(outlet_id=third.pk).get().line_count == 1
    transfer_send(transfer=to_airport, user=shop["owner"])
    assert [t.pk for t in transfer_list(status=Status.SENT)] == [to_airport.pk]


# --- Races: two people pressing Receive at once -----------------------------------------------------------------


def test_two_people_receiving_at_once_post_once(committed_db):
    """Two connections receive the same transfer at the same moment; the row lock makes the second wait and
    then find it received, so the stock arrives once."""
    alpha, _ = committed_db
    with tenant_context(alpha.tenant):
        main, harbour = outlet_default(), second_outlet("Race harbour")
        item = stock_item(name="Race milk", sku=f"TR-RACE-{uuid.uuid4().hex[:8]}")
        _stock(item, main, "10")
        transfer = transfer_create(from_outlet=main, to_outlet=harbour, user=alpha.users[Role.ADMIN_TENANT],
                                   lines=[(item.pk, "6")])  # fmt: skip
        transfer_send(transfer=transfer, user=alpha.users[Role.ADMIN_TENANT])
        line = transfer.lines.get()
    barrier, results = threading.Barrier(2), []

    def receive(role):
        try:
            with tenant_context(alpha.tenant):
                barrier.wait(timeout=10)
                done = transfer_receive(transfer=transfer, user=alpha.users[role], received={line.pk: "5"})
                results.append(done.status)
        except Exception as exc:  # noqa: BLE001 - reported below
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=receive, args=(role,)) for role in (Role.ADMIN_TENANT, Role.SUPERVISOR)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert results == [Status.RECEIVED, Status.RECEIVED]
        with tenant_context(alpha.tenant):
            assert _movements(transfer).filter(kind=Kind.TRANSFER_IN).count() == 1
            assert level_of(item, harbour) == D(5) and level_of(item, main) == D(4)
            assert AuditEntry.objects.filter(action="stock.transfer_receive", target_label=str(transfer)).count() == 1
            assert_ledger_consistent()
    finally:
        with tenant_context(alpha.tenant):
            committed_rows_purge(
                AuditEntry.objects.filter(target_label=str(transfer), action__startswith="stock.transfer")
            )
            OutboxEvent.objects.filter(name__startswith="transfer.", payload__transfer=transfer.pk).delete()
            committed_rows_purge(StockMovement.objects.filter(item=item))
            StockLevel.objects.filter(item=item).delete()
            Transfer.objects.filter(pk=transfer.pk).delete()
            item.delete()
            harbour.delete()
        connection.set_schema_to_public()


# --- Pages ------------------------------------------------------------------------------------------------------


@pytest.fixture
def site(tenant):
    """The shop, made in the tenant's schema for page tests (rolled back after each test)."""
    with tenant_context(tenant.tenant):
        main, harbour = outlet_default(), second_outlet()
        milk = stock_item(name="Milk", sku="TRV-MILK", unit="ml", cost="2.5")
        cups = stock_item(name="Cups", sku="TRV-CUPS", cost="150")
        _stock(milk, main, "10000")
        _stock(cups, main, "50")
    return {"main": main, "harbour": harbour, "milk": milk, "cups": cups, "tenant": tenant}


def _page_draft(site) -> Transfer:
    with tenant_context(site["tenant"].tenant):
        return transfer_create(from_outlet=site["main"], to_outlet=site["harbour"],
                               user=site["tenant"].users[Role.ADMIN_TENANT],
                               lines=[("TRV-MILK", "4000"), ("TRV-CUPS", "20")])  # fmt: skip


def test_the_owner_creates_sends_and_receives_through_the_pages(site):
    tenant, owner = site["tenant"], site["tenant"].client(Role.ADMIN_TENANT)
    page = owner.get(reverse("inventory:transfer_create"))
    assert page.status_code == 200 and 'id="add-row"' in page.content.decode()
    key = page.context["data"]["key"]
    form = {"from_outlet": site["main"].pk, "to_outlet": site["harbour"].pk, "note": "Top-up", "key": key,
            "item": ["TRV-MILK", "", "TRV-CUPS"], "quantity": ["4000", "", "20"]}  # fmt: skip
    response = owner.post(reverse("inventory:transfer_create"), form)
    assert response.status_code == 302
    again = owner.post(reverse("inventory:transfer_create"), form)  # the double submit
    assert again["Location"] == response["Location"]
    with tenant_context(tenant.tenant):
        transfer = Transfer.objects.get()
        assert transfer.status == Status.DRAFT and transfer.lines.count() == 2
    detail = owner.get(response["Location"])
    assert detail.status_code == 200 and "Send" in detail.content.decode()

    assert owner.post(reverse("inventory:transfer_send", args=[transfer.pk])).status_code == 302
    owner.post(reverse("inventory:transfer_send", args=[transfer.pk]))  # double click
    with tenant_context(tenant.tenant):
        assert level_of(site["milk"], site["main"]) == D(6000)
        assert _movements(transfer).count() == 2
        lines = {line.item_id: line.pk for line in transfer.lines.all()}

    receive_url = reverse("inventory:transfer_receive", args=[transfer.pk])
    page = owner.get(receive_url).content.decode()
    assert f'name="received-{lines[site["milk"].pk]}" value="4000"' in page  # pre-filled with what was sent
    bad = owner.post(receive_url, {f"received-{lines[site['milk'].pk]}": "4500",
                                   f"received-{lines[site['cups'].pk]}": "20"})  # fmt: skip
    assert bad.status_code == 400
    assert "more than the 4000 sent" in bad.content.decode() and 'value="4500"' in bad.content.decode()
    response = owner.post(receive_url, {f"received-{lines[site['milk'].pk]}": "3500",
                                        f"received-{lines[site['cups'].pk]}": "20"})  # fmt: skip
    assert response.status_code == 302
    with tenant_context(tenant.tenant):
        assert level_of(site["milk"], site["harbour"]) == D(3500) and level_of(site["cups"], site["harbour"]) == 20
        assert_ledger_consistent()
    html = owner.get(reverse("inventory:transfer_detail", args=[transfer.pk])).content.decode()
    assert "Received" in html and "500 ml" in html
    assert "Rp 1.250" in html  # 500 ml short × 2.5 per ml


def test_bad_input_comes_back_with_every_error_and_what_was_typed(site):
    owner = site["tenant"].client(Role.ADMIN_TENANT)
    form = {"from_outlet": site["main"].pk, "to_outlet": site["main"].pk, "key": "k-bad",
            "item": ["TRV-MILK", "NOPE"], "quantity": ["abc", "2"]}  # fmt: skip
    response = owner.post(reverse("inventory:transfer_create"), form)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose two different outlets" in html
    assert "Line 1: “abc” is not a number." in html and "Line 2: No stock item with SKU “NOPE”." in html
    assert 'value="abc"' in html and 'value="NOPE"' in html
    with tenant_context(site["tenant"].tenant):
        assert not Transfer.objects.exists()


def test_cancel_through_the_page_returns_sent_stock(site):
    transfer = _page_draft(site)
    owner = site["tenant"].client(Role.ADMIN_TENANT)
    owner.post(reverse("inventory:transfer_send", args=[transfer.pk]))
    response = owner.post(reverse("inventory:transfer_cancel", args=[transfer.pk]), follow=True)
    assert "the stock is back at" in response.content.decode()
    with tenant_context(site["tenant"].tenant):
        assert Transfer.objects.get(pk=transfer.pk).status == Status.CANCELLED
        assert level_of(site["milk"], site["main"]) == D(10000)
        assert_ledger_consistent()


def test_a_supervisor_runs_transfers_in_the_supervisor_layout(site):
    transfer = _page_draft(site)
    with tenant_context(site["tenant"].tenant):
        transfer_send(transfer=transfer, user=site["tenant"].users[Role.ADMIN_TENANT])
        received = {f"received-{line.pk}": "1" for line in transfer.lines.all()}
    supervisor = site["tenant"].client(Role.SUPERVISOR)
    detail = supervisor.get(reverse("inventory:transfer_detail", args=[transfer.pk]))
    assert detail.status_code == 200 and "layout-supervisor" in detail.content.decode()
    page = supervisor.get(reverse("inventory:transfer_receive", args=[transfer.pk]))
    assert page.status_code == 200 and "layout-supervisor" in page.content.decode()
    response = supervisor.post(reverse("inventory:transfer_receive", args=[transfer.pk]), received, follow=True)
    assert response.status_code == 200 and "Received by supervisor" in response.content.decode()
    with tenant_context(site["tenant"].tenant):
        assert Transfer.objects.get(pk=transfer.pk).status == Status.RECEIVED
        assert level_of(site["cups"], site["harbour"]) == 1


def _all_routes(pk: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("inventory:transfer_list")),
        ("get", reverse("inventory:transfer_create")),
        ("post", reverse("inventory:transfer_create")),
        ("get", reverse("inventory:transfer_detail", args=[pk])),
        ("get", reverse("inventory:transfer_edit", args=[pk])),
        ("post", reverse("inventory:transfer_edit", args=[pk])),
        ("post", reverse("inventory:transfer_send", args=[pk])),
        ("post", reverse("inventory:transfer_cancel", args=[pk])),
        ("get", reverse("inventory:transfer_receive", args=[pk])),
        ("post", reverse("inventory:transfer_receive", args=[pk])),
    ]


@pytest.mark.parametrize("role", [Role.CASHIER, Role.KITCHEN])
def test_cashiers_and_kitchen_staff_get_403_and_change_nothing(site, role):
    transfer = _page_draft(site)
    client = site["tenant"].client(role)
    for method, url in _all_routes(transfer.pk):
        data = {"item": ["TRV-CUPS"], "quantity": ["1"], "from_outlet": site["main"].pk,
                "to_outlet": site["harbour"].pk}  # fmt: skip
        response = getattr(client, method)(url, data if method == "post" else None)
        assert response.status_code == 403, (method, url)
    with tenant_context(site["tenant"].tenant):
        assert Transfer.objects.get().status == Status.DRAFT
        assert not _movements(transfer).exists()


def test_another_tenants_transfer_is_not_found(site, other_tenant):
    transfer = _page_draft(site)
    client = other_tenant.client(Role.ADMIN_TENANT)
    for method, url in _all_routes(transfer.pk)[3:]:
        assert getattr(client, method)(url).status_code == 404, url
    with tenant_context(site["tenant"].tenant):
        assert Transfer.objects.get(pk=transfer.pk).status == Status.DRAFT


def _make_transfers(site, n: int) -> None:
    with tenant_context(site["tenant"].tenant):
        owner = site["tenant"].users[Role.ADMIN_TENANT]
        for i in range(n):
            item = stock_item(name=f"Budget {i}")
            _stock(item, site["main"], "5")
            t = transfer_create(from_outlet=site["main"], to_outlet=site["harbour"], user=owner,
                                lines=[(item.pk, "1"), ("TRV-CUPS", "1")])  # fmt: skip
            if i % 2:
                transfer_send(transfer=t, user=owner)


def test_the_list_page_has_a_bounded_query_count(site, django_assert_max_num_queries):
    owner = site["tenant"].client(Role.ADMIN_TENANT)
    owner.get(reverse("inventory:transfer_list"))  # warm-up
    _make_transfers(site, 4)
    with django_assert_max_num_queries(9) as small:
        assert owner.get(reverse("inventory:transfer_list")).status_code == 200
    _make_transfers(site, 20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = owner.get(reverse("inventory:transfer_list") + f"?outlet={site['harbour'].pk}")
    assert response.status_code == 200 and response.content.decode().count('data-testid="transfer-row"') == 24


@pytest.mark.parametrize("lines", [2, 60])
def test_the_detail_and_receive_pages_have_a_bounded_query_count(site, lines, django_assert_max_num_queries):
    owner = site["tenant"].client(Role.ADMIN_TENANT)
    with tenant_context(site["tenant"].tenant):
        items = [stock_item(name=f"Detail {i}") for i in range(lines)]
        for item in items:
            _stock(item, site["main"], "3")
        transfer = transfer_create(from_outlet=site["main"], to_outlet=site["harbour"],
                                   user=site["tenant"].users[Role.ADMIN_TENANT],
                                   lines=[(item.pk, "2") for item in items])  # fmt: skip
    owner.get(reverse("inventory:transfer_list"))  # warm-up
    with django_assert_max_num_queries(8):
        assert owner.get(reverse("inventory:transfer_detail", args=[transfer.pk])).status_code == 200
    owner.post(reverse("inventory:transfer_send", args=[transfer.pk]))
    with django_assert_max_num_queries(8):
        assert owner.get(reverse("inventory:transfer_receive", args=[transfer.pk])).status_code == 200
    with django_assert_max_num_queries(8):
        assert owner.get(reverse("inventory:transfer_detail", args=[transfer.pk])).status_code == 200
