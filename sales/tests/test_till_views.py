"""The till's pages and JSON endpoints, as the cart script uses them."""

import json

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from sales.models import Order, Payment, Shift
from sales.views.till import SESSION_REGISTER


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_no_shift_sends_the_cashier_to_open_one(tenant):
    client = tenant.client(Role.CASHIER)
    assert client.get("/till/")["Location"] == "/till/shift/open/"
    page = client.get("/till/shift/open/")
    assert page.status_code == 200 and 'data-testid="shift-open"' in page.content.decode()
    bad = client.post("/till/shift/open/", {"register": "new", "opening_float": "lots"})
    assert bad.status_code == 400 and "is not an amount" in bad.content.decode()


def test_the_till_shows_the_menu_and_finds_products(till, django_assert_max_num_queries):
    client = till["client"]
    page = client.get("/till/")
    assert page.status_code == 200
    assert "Es teh" in page.content.decode()
    with django_assert_max_num_queries(12):
        found = client.get("/till/products/", {"q": "es"})
    assert "Es teh" in found.content.decode()
    assert "Nothing matches" in client.get("/till/products/", {"q": "zzz"}).content.decode()
    scan = client.get("/till/scan/", {"code": "8991234"})
    assert scan.status_code == 200 and scan.json()["product"]["name"] == "Es teh"
    assert client.get("/till/scan/", {"code": "000"}).status_code == 404


def test_preview_submit_pay_and_print(till):
    client, teh = till["client"], till["teh"]
    cart = {"lines": [{"product_id": teh.pk, "quantity": 3}], "idempotency_key": "cart-1"}
    preview = post_json(client, "/till/preview/", cart).json()
    # 30.000 + service 1.500 + PB1 3.150 = 34.650; cash due rounds to 34.700
    assert (preview["total_minor"], preview["cash_due_minor"]) == (34_650, 34_700)

    first = post_json(client, "/till/orders/", cart)
    retry = post_json(client, "/till/orders/", cart)  # a double tap or a retry after a timeout
    assert first.status_code == 201 and retry.status_code == 201
    assert first.json()["id"] == retry.json()["id"]
    order_id = first.json()["id"]

    pay_url = f"/till/orders/{order_id}/payments/"
    card = post_json(
        client, pay_url, {"tender": "card", "amount_minor": 17_000, "reference": "OK123", "idempotency_key": "p1"}
    )
    assert card.status_code == 201 and card.json()["balance_minor"] == 17_650
    cash = post_json(
        client, pay_url, {"tender": "cash", "amount_minor": 17_650, "tendered_minor": 20_000, "idempotency_key": "p2"}
    )
    body = cash.json()
    assert body["status"] == "paid" and body["payment"]["change_minor"] == 2_300
    receipt = client.get(f"/till/receipts/{body['uid']}/?paper=58")
    html = receipt.content.decode()
    assert receipt.status_code == 200 and "paper-58" in html and "Rp 34.650" in html and "Rp 2.300" in html
    with tenant_context(till["tenant"].tenant):
        assert Order.objects.count() == 1 and Payment.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not valid JSON"),
        ({"lines": "x"}, "needs a list of lines"),
        ({"lines": [{"product_id": "one"}], "idempotency_key": "k"}, "product_id"),
        ({"lines": [{"product_id": 1, "quantity": 0}], "idempotency_key": "k"}, "quantity"),
        ({"lines": [], "idempotency_key": "k"}, "no items"),
        ({"lines": [{"product_id": 999999}], "idempotency_key": "k"}, "not on the menu"),
        (
            {"lines": [{"product_id": 1, "discount": {"kind": "percent", "value": "150"}}], "idempotency_key": "k"},
            "100",
        ),
    ],
)
def test_a_bad_submission_gets_a_4xx_with_a_message_and_saves_nothing(till, body, message):
    client = till["client"]
    raw = body if isinstance(body, bytes) else json.dumps(body)
    response = client.post("/till/orders/", raw, content_type="application/json")
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    with tenant_context(till["tenant"].tenant):
        assert not Order.objects.exists()


def test_an_order_of_another_device_cannot_be_paid_from_here(till, tenant):
    client, teh = till["client"], till["teh"]
    order_id = post_json(client, "/till/orders/", {"lines": [{"product_id": teh.pk}], "idempotency_key": "o"}).json()[
        "id"
    ]
    other = tenant.client(Role.CASHIER)  # same cashier, another device without this shift
    response = post_json(
        other,
        f"/till/orders/{order_id}/payments/",
        {"tender": "card", "amount_minor": 1, "reference": "x", "idempotency_key": "p"},
    )
    assert response.status_code == 404
    with tenant_context(tenant.tenant):
        assert not Payment.objects.exists()


def test_close_the_shift_by_denomination(till):
    client = till["client"]
    form = client.get("/till/shift/close/")
    assert form.status_code == 200 and "100.000" in form.content.decode()
    bad = client.post("/till/shift/close/", {"d100000": "two"})
    assert bad.status_code == 400 and "whole numbers" in bad.content.decode()
    done = client.post("/till/shift/close/", {"d100000": "2", "d1000": "3"})
    assert done.status_code == 302
    with tenant_context(till["tenant"].tenant):
        shift = Shift.objects.get(pk=till["shift"].pk)
    assert (shift.counted_cash_minor, shift.expected_cash_minor, shift.variance_minor) == (203_000, 200_000, 3_000)
    assert SESSION_REGISTER not in client.session


def test_order_history_own_shift_for_cashiers_everything_for_supervisors(till, tenant, django_assert_max_num_queries):
    client, teh = till["client"], till["teh"]
    for i in range(3):
        post_json(client, "/till/orders/", {"lines": [{"product_id": teh.pk}], "idempotency_key": f"h{i}"})
    page = client.get("/till/history/")
    assert page.status_code == 200 and page.content.decode().count("Es teh") == 0  # names are on receipts
    assert len(page.context["page"].object_list) == 3
    assert len(client.get("/till/history/", {"number": "2"}).context["page"].object_list) == 1
    elsewhere = tenant.client(Role.CASHIER)  # a device without an open shift sees nothing
    assert len(elsewhere.get("/till/history/").context["page"].object_list) == 0
    supervisor = tenant.client(Role.SUPERVISOR)
    with django_assert_max_num_queries(10):
        response = supervisor.get("/till/history/", {"status": "open"})
    assert len(response.context["page"].object_list) == 3
    assert "Recent shifts" in response.content.decode()


@pytest.fixture
def supervisor_pin(tenant):
    from accounts.services import staff_set_pin

    with tenant_context(tenant.tenant):
        staff_set_pin(user=tenant.users[Role.SUPERVISOR], pin="4821", actor=tenant.users[Role.ADMIN_TENANT])
    return {"approver": "supervisor", "pin": "4821"}


def test_void_and_refund_from_the_order_page_need_a_supervisor_pin(till, tenant, supervisor_pin):
    client, teh = till["client"], till["teh"]
    open_id = post_json(client, "/till/orders/", {"lines": [{"product_id": teh.pk}], "idempotency_key": "v"}).json()[
        "id"
    ]
    assert client.get(f"/till/history/{open_id}/").status_code == 200
    refused = client.post(
        f"/till/history/{open_id}/", {"action": "void", "reason": "wrong", "approver": "supervisor", "pin": "0000"}
    )
    assert refused.status_code == 400 and "Wrong PIN" in refused.content.decode()
    done = client.post(f"/till/history/{open_id}/", {"action": "void", "reason": "customer left", **supervisor_pin})
    assert done.status_code == 302

    paid = post_json(
        client, "/till/orders/", {"lines": [{"product_id": teh.pk, "quantity": 2}], "idempotency_key": "r"}
    )
    order = paid.json()
    post_json(
        client,
        f"/till/orders/{order['id']}/payments/",
        {"tender": "card", "amount_minor": order["total_minor"], "reference": "C", "idempotency_key": "rp"},
    )
    with tenant_context(tenant.tenant):
        line = Order.objects.get(pk=order["id"]).lines.get()
    refund = client.post(
        f"/till/history/{order['id']}/",
        {"action": "refund", "reason": "cold", "key": "rk1", f"q{line.pk}": "1", **supervisor_pin},
    )
    assert refund.status_code == 302
    with tenant_context(tenant.tenant):
        assert Order.objects.get(pk=open_id).status == Order.Status.VOIDED
        refunded = Order.objects.get(pk=order["id"])
        # half of 23.100 (2 × 10.000 + service 1.000 + PB1 2.100)
        assert refunded.refunded_minor == 11_550 and refunded.lines.get().refunded_quantity == 1
    other_device = tenant.client(Role.CASHIER)
    assert other_device.get(f"/till/history/{order['id']}/").status_code == 404


def test_open_tabs_are_listed_and_take_more_items_with_a_version_check(till):
    client, teh = till["client"], till["teh"]
    order = post_json(
        client,
        "/till/orders/",
        {"lines": [{"product_id": teh.pk}], "order_type": "dine_in", "table_label": "4", "idempotency_key": "tab"},
    ).json()
    tabs = client.get("/till/tabs/").json()["tabs"]
    assert [(t["number"], t["table_label"], t["version"]) for t in tabs] == [(order["number"], "4", 1)]
    url, one = f"/till/orders/{order['id']}/lines/", [{"product_id": teh.pk}]
    added = post_json(client, url, {"lines": one, "version": 1, "idempotency_key": "add-a"})
    assert added.status_code == 200 and added.json()["version"] == 2
    # The same request again (the answer was lost) gets the same answer, and nothing is added twice.
    assert post_json(client, url, {"lines": one, "version": 1, "idempotency_key": "add-a"}).json() == added.json()
    stale = post_json(client, url, {"lines": one, "version": 1, "idempotency_key": "add-b"})
    assert stale.status_code == 409 and "changed on another till" in stale.json()["error"]["message"]
    with tenant_context(till["tenant"].tenant):
        assert Order.objects.get(pk=order["id"]).lines.count() == 2


def test_the_receipt_goes_by_e_mail_bad_addresses_are_explained_and_a_down_broker_does_not_matter(till, monkeypatch):
    from django.core import mail

    from mailer.models import Message
    from mailer.services import mail_send_due
    from pos_project.celery import app as celery_app

    client, teh = till["client"], till["teh"]
    order = post_json(client, "/till/orders/", {"lines": [{"product_id": teh.pk}], "idempotency_key": "mail"}).json()
    url = f"/till/receipts/{order['uid']}/email/"
    bad = client.post(url, {"email": "not-an-address"}, follow=True)
    assert "is not an e-mail address" in bad.content.decode() and not mail.outbox
    with tenant_context(till["tenant"].tenant):
        assert not Message.objects.exists()

    sent = client.post(url, {"email": "guest@example.com"}, follow=True)
    assert "on its way to guest@example.com" in sent.content.decode()
    with tenant_context(till["tenant"].tenant):
        assert mail_send_due()["sent"] == 1  # beat's next minute
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == f"Alpha Café: receipt #{order['number']}"
    assert "Es teh" in mail.outbox[0].body and "Rp 11.550" in mail.outbox[0].body

    # The broker goes away (a real connection attempt to a port nothing listens on): the receipt is queued anyway,
    # in the database's mail outbox, and goes with the next run.
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    _drop_broker_connections(celery_app)
    try:
        down = client.post(url, {"email": "guest@example.com"}, follow=True)
    finally:
        monkeypatch.undo()
        _drop_broker_connections(celery_app)
    assert "on its way to guest@example.com" in down.content.decode()
    with tenant_context(till["tenant"].tenant):
        assert mail_send_due()["sent"] == 1
    assert [m.to for m in mail.outbox] == [["guest@example.com"]] * 2


def _drop_broker_connections(app) -> None:
    """Forget pooled broker connections so the next publish connects to whatever broker_url says now.

    The old pools are dropped, not closed: other code may still hold them, and a closed pool fails them."""
    app._pool = None
    app.amqp._producer_pool = None


def test_the_receipt_as_esc_pos_bytes_for_a_thermal_printer(till):
    client, teh = till["client"], till["teh"]
    order = post_json(
        client, "/till/orders/", {"lines": [{"product_id": teh.pk, "quantity": 2}], "idempotency_key": "esc"}
    ).json()
    response = client.get(f"/till/receipts/{order['uid']}/escpos/?width=32")
    data = response.content
    assert response.status_code == 200 and response["Content-Type"] == "application/octet-stream"
    assert data.startswith(b"\x1b@") and data.endswith(b"\x1dV\x41\x03")
    text = data.decode("cp437")
    assert "2 x Es teh" in text and "TOTAL" in text and "Rp 23.100" in text
    printable = [line for line in text.split("\n") if "\x1b" not in line and "\x1d" not in line]
    assert max(len(line) for line in printable) <= 32


def _form_keys(client, order_id: int) -> list[str]:
    """The idempotency keys the order page's forms carry, in page order (what a browser would send)."""
    import re

    page = client.get(f"/till/history/{order_id}/").content.decode()
    return re.findall(r'<input type="hidden" name="key" value="([^"]+)">', page)


def test_split_and_merge_from_the_order_page(till):
    client, teh = till["client"], till["teh"]
    first = post_json(
        client, "/till/orders/", {"lines": [{"product_id": teh.pk, "quantity": 3}], "idempotency_key": "sp"}
    ).json()
    with tenant_context(till["tenant"].tenant):
        line = Order.objects.get(pk=first["id"]).lines.get()
    split = {"action": "split", f"q{line.pk}": "1", "key": _form_keys(client, first["id"])[0]}
    assert client.post(f"/till/history/{first['id']}/", split).status_code == 302
    with tenant_context(till["tenant"].tenant):
        new = Order.objects.exclude(pk=first["id"]).get()
        assert new.lines.get().quantity == 1 and Order.objects.get(pk=first["id"]).lines.get().quantity == 2
    page = client.get(f"/till/history/{first['id']}/").content.decode()
    assert f"#{new.number}" in page  # offered for merging
    keys = _form_keys(client, first["id"])
    assert len(keys) == 2  # each form of the page carries the key it is sent with: the items form and the merge
    merge = {"action": "merge", "source": new.pk, "key": keys[1]}
    assert client.post(f"/till/history/{first['id']}/", merge).status_code == 302
    # The merge sent twice (a double tap) answers as the first did and changes nothing more.
    assert client.post(f"/till/history/{first['id']}/", merge).status_code == 302
    with tenant_context(till["tenant"].tenant):
        assert Order.objects.get(pk=first["id"]).total_minor == 34_650  # 3 × 10.000 + 1.500 + 3.150 again
        assert Order.objects.get(pk=new.pk).status == Order.Status.MERGED


def test_the_till_page_and_order_submission_use_a_fixed_number_of_queries(till):
    """Whatever the catalog and cart size: 300 products on the till, 1 or 20 lines in the cart."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.models import Category, Product

    client, teh = till["client"], till["teh"]

    def count(fn) -> int:
        with CaptureQueriesContext(connection) as ctx:
            fn()
        return len(ctx.captured_queries)

    client.get("/till/")  # warm the session
    small = count(lambda: client.get("/till/"))
    with tenant_context(till["tenant"].tenant):
        category = Category.objects.get(name="Drinks")
        Product.objects.bulk_create(
            Product(category=category, name=f"Drink {i}", sku=f"D{i:04d}", price_minor=1000 + i) for i in range(300)
        )
        ids = list(Product.objects.filter(sku__startswith="D").values_list("pk", flat=True)[:20])
    big = count(lambda: client.get("/till/"))
    assert big == small, (small, big)
    assert big <= 14

    one = count(
        lambda: post_json(client, "/till/orders/", {"lines": [{"product_id": teh.pk}], "idempotency_key": "q1"})
    )
    twenty = count(
        lambda: post_json(
            client,
            "/till/orders/",
            {"lines": [{"product_id": pk, "quantity": 2} for pk in ids], "idempotency_key": "q20"},
        )
    )
    assert one == twenty, (one, twenty)
    assert twenty <= 25


def test_send_puts_the_order_to_the_kitchen_unpaid(till):
    client, teh = till["client"], till["teh"]
    sent = post_json(
        client, "/till/orders/", {"lines": [{"product_id": teh.pk}], "idempotency_key": "snd", "send": True}
    )
    assert sent.status_code == 201 and sent.json()["sent"] is True and sent.json()["status"] == "open"
    kept = post_json(client, "/till/orders/", {"lines": [{"product_id": teh.pk}], "idempotency_key": "keep"})
    assert kept.json()["sent"] is False
    tabs = client.get("/till/tabs/").json()["tabs"]
    assert [t["sent"] for t in tabs] == [True, False]


def test_an_item_is_voided_from_the_order_page_and_struck_out(till, tenant, supervisor_pin):
    client, teh = till["client"], till["teh"]
    body = {"lines": [{"product_id": teh.pk}, {"product_id": teh.pk, "quantity": 2}], "idempotency_key": "vl"}
    order_id = post_json(client, "/till/orders/", body).json()["id"]
    with tenant_context(tenant.tenant):
        first, second = Order.objects.get(pk=order_id).lines.order_by("position")
    form = {"action": "void_line", "line": second.pk, "reason": "sent by mistake", "made": "1", **supervisor_pin}
    assert client.post(f"/till/history/{order_id}/", form).status_code == 302
    page = client.get(f"/till/history/{order_id}/").content.decode()
    assert "<s>Es teh</s>" in page and "VOID" in page
    with tenant_context(tenant.tenant):
        order = Order.objects.get(pk=order_id)
        assert order.lines.get(pk=second.pk).is_voided and not order.lines.get(pk=first.pk).is_voided
        assert order.total_minor == 11_550  # one Es teh left: 10.000 + 5% service + PB1 10% of 10.500
    missing = client.post(f"/till/history/{order_id}/", {**form, "line": ""})
    assert missing.status_code == 400 and "Choose the item to void" in missing.content.decode()


def test_a_key_reused_for_a_different_request_is_refused_with_422_and_changes_nothing(till):
    """Stripe's rule: the same key with the same request replays the first response; with another request
    (other items, or another action such as paying) it is refused, never answered as if it had succeeded."""
    client, teh = till["client"], till["teh"]
    one_tea = {"lines": [{"product_id": teh.pk}], "idempotency_key": "reused-key"}
    first = post_json(client, "/till/orders/", one_tea)
    assert first.status_code == 201
    two_teas = {"lines": [{"product_id": teh.pk, "quantity": 2}], "idempotency_key": "reused-key"}
    other = post_json(client, "/till/orders/", two_teas)
    assert other.status_code == 422
    replay = post_json(client, "/till/orders/", one_tea)
    assert replay.status_code == 201 and replay.json() == first.json()
    order = first.json()
    pay = {"tender": "card", "amount_minor": order["total_minor"], "reference": "A1", "idempotency_key": "reused-key"}
    assert post_json(client, f"/till/orders/{order['id']}/payments/", pay).status_code == 422
    with tenant_context(till["tenant"].tenant):
        assert Order.objects.filter(shift=till["shift"]).count() == 1
        assert Order.objects.get(pk=order["id"]).lines.get().quantity == 1
        assert not Payment.objects.filter(order_id=order["id"]).exists()


def test_the_e_mailed_receipt_shows_the_business_local_time(till):
    """The receipt is written in the business's zone whatever zone is active (UTC+8 here, the site is UTC+7)."""
    from datetime import UTC, datetime

    from django.core import mail

    from mailer.services import mail_send_due
    from sales.services.receipts import receipt_email_queue

    order = post_json(till["client"], "/till/orders/", {"lines": [{"product_id": till["teh"].pk}],
                                                      "idempotency_key": "tz"}).json()  # fmt: skip
    tenant = till["tenant"].tenant
    with tenant_context(tenant):
        tenant.timezone = "Asia/Makassar"
        Order.objects.filter(pk=order["id"]).update(created_at=datetime(2026, 3, 1, 20, 30, tzinfo=UTC))
        receipt_email_queue(order=Order.objects.get(pk=order["id"]), to="guest@example.com")
        mail_send_due()
    assert "2026-03-02 04:30" in mail.outbox[-1].body  # 20:30 UTC is 04:30 the next day in Makassar


def _stop_the_rate_limit_clock(monkeypatch) -> None:
    """django-ratelimit counts in fixed windows by its own clock: stopped at a moment no other run used (Redis
    keeps counters between runs), so every e-mail of the test falls in one fresh window, however slow the box."""
    import random
    import time
    from types import SimpleNamespace

    import django_ratelimit.core

    stopped = time.time() + random.randint(10**6, 10**9)  # noqa: S311 - not for security
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: stopped))


def test_receipt_e_mails_are_limited_per_person_and_per_business_and_nothing_is_queued_past_it(
    till, tenant, monkeypatch, settings
):
    """Issue 12, point 15: a till could e-mail a receipt to any address, without end."""
    from django.core import mail

    from mailer.models import Message
    from mailer.services import mail_send_due
    from pos_project.celery import app as celery_app

    settings.RECEIPT_EMAIL_RATE_PER_USER, settings.RECEIPT_EMAIL_RATE_PER_TENANT = "3/h", "5/h"
    _stop_the_rate_limit_clock(monkeypatch)
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    client, teh = till["client"], till["teh"]
    order = post_json(client, "/till/orders/", {"lines": [{"product_id": teh.pk}], "idempotency_key": "lim"}).json()
    url = f"/till/receipts/{order['uid']}/email/"
    for n in range(3):
        assert "on its way" in client.post(url, {"email": f"guest{n}@example.com"}, follow=True).content.decode()
    refused = client.post(url, {"email": "victim@example.com"}, follow=True)
    page = refused.content.decode()
    assert "Too many receipts were e-mailed: nothing was sent. Try again in" in page and "on its way" not in page
    with tenant_context(tenant.tenant):
        mail_send_due()
    assert [m.to for m in mail.outbox] == [["guest0@example.com"], ["guest1@example.com"], ["guest2@example.com"]]

    # Someone else at the same business may send two more; then the business has had its five.
    supervisor = tenant.client(Role.SUPERVISOR)
    for n in range(2):
        assert "on its way" in supervisor.post(url, {"email": f"sup{n}@example.com"}, follow=True).content.decode()
    blocked = supervisor.post(url, {"email": "victim@example.com"}, follow=True).content.decode()
    assert "Too many receipts were e-mailed" in blocked
    with tenant_context(tenant.tenant):
        mail_send_due()
        assert Message.objects.count() == 5  # nothing queued past the limit
    assert len(mail.outbox) == 5 and not [m for m in mail.outbox if m.to == ["victim@example.com"]]


def test_receipt_e_mails_of_one_business_do_not_use_up_anothers(till, other_tenant, monkeypatch, settings):
    from pos_project.celery import app as celery_app

    settings.RECEIPT_EMAIL_RATE_PER_USER, settings.RECEIPT_EMAIL_RATE_PER_TENANT = "100/h", "1/h"
    _stop_the_rate_limit_clock(monkeypatch)
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    client, teh = till["client"], till["teh"]
    order = post_json(client, "/till/orders/", {"lines": [{"product_id": teh.pk}], "idempotency_key": "one"}).json()
    url = f"/till/receipts/{order['uid']}/email/"
    assert "on its way" in client.post(url, {"email": "a@example.com"}, follow=True).content.decode()
    assert "Too many" in client.post(url, {"email": "b@example.com"}, follow=True).content.decode()
    other = other_tenant.client(Role.CASHIER)
    opened = other.post("/till/shift/open/", {"register": "new", "register_name": "Other", "opening_float": "0"})
    assert opened.status_code == 302
    with tenant_context(other_tenant.tenant):
        from catalog.services import category_create, product_create

        kopi = product_create(category=category_create(name="Coffee"), name="Kopi", sku="KP", price_minor=10000)
    theirs = post_json(other, "/till/orders/", {"lines": [{"product_id": kopi.pk}], "idempotency_key": "o"}).json()
    sent = other.post(f"/till/receipts/{theirs['uid']}/email/", {"email": "c@example.com"}, follow=True)
    assert "on its way" in sent.content.decode()
