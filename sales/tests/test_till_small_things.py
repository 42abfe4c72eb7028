"""The till's product grid (sizes, sold-out items), marking an item sold out from the till, and the receipt's
time and totals on paper and as ESC/POS bytes (issue 11, point 11)."""

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from html import unescape

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role
from catalog.models import OutletProductOverride
from catalog.services import product_create, variant_create, variant_update
from sales.escpos import receipt_escpos
from sales.models import Order
from sales.pricing import Discount
from sales.services.orders import LineRequest, order_submit


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def _product(tile: str) -> dict:
    return json.loads(unescape(tile.split("data-product='")[1].split("'")[0]))


def _tile(html: str, name: str) -> str:
    start = html.index(f'<span class="product-tile__name">{name}</span>')
    return html[html.rindex("<button", 0, start) : html.index("</button>", start)]


@pytest.fixture
def sized(till):
    """Kopi tubruk with Large typed first (both at sort order 0) and Regular cheaper; Pisang goreng sold out."""
    with tenant_context(till["tenant"].tenant):
        drinks = till["teh"].category
        tubruk = product_create(category=drinks, name="Kopi tubruk", sku="KT", price_minor=27000)
        large = variant_create(product=tubruk, name="Large", sku="KT-L", price_minor=33000)
        regular = variant_create(product=tubruk, name="Regular", sku="KT-R", price_minor=27000)
        pisang = product_create(category=drinks, name="Pisang goreng", sku="PG", price_minor=15000)
    return {**till, "tubruk": tubruk, "large": large, "regular": regular, "pisang": pisang}


def test_the_grid_shows_from_the_cheapest_size_and_names_the_default(sized, django_assert_max_num_queries):
    client = sized["client"]
    category = sized["teh"].category_id
    with django_assert_max_num_queries(12):
        html = client.get("/till/products/", {"category": category}).content.decode()
    tile = _tile(html, "Kopi tubruk")
    assert "from Rp 27.000" in tile and "is-sold-out" not in tile
    data = _product(tile)
    assert [v["name"] for v in data["variants"]] == ["Regular", "Large"]
    assert (data["default_variant_id"], data["sold_out"]) == (sized["regular"].pk, False)

    with tenant_context(sized["tenant"].tenant):
        large = sized["large"]
        variant_update(variant=large, actor=None, name="Large", sku="KT-L", price_minor=33000, is_default=True)
    html = client.get("/till/products/", {"category": category}).content.decode()
    data = _product(_tile(html, "Kopi tubruk"))
    assert data["default_variant_id"] == sized["large"].pk
    scan = client.get("/till/scan/", {"code": "KT-R"}).json()  # a scanned size is still the one asked for
    assert (scan["variant_id"], scan["product"]["default_variant_id"]) == (sized["regular"].pk, sized["large"].pk)


def test_a_cashier_marks_an_item_sold_out_and_back(sized, django_assert_max_num_queries):
    client, pisang, tenant = sized["client"], sized["pisang"], sized["tenant"]
    url = f"/till/products/{pisang.pk}/sold-out/"
    key = str(uuid.uuid4())
    # tenant, user, shift, product; key claimed; product locked; override read, locked and written; audit; the
    # key's result and answer remembered; 4 savepoints; the product's updated_at and its product.updated event
    with django_assert_max_num_queries(20):
        response = post_json(client, url, {"sold_out": True, "idempotency_key": key})
    assert response.status_code == 200 and response.json() == {"id": pisang.pk, "sold_out": True}
    assert post_json(client, url, {"sold_out": True, "idempotency_key": key}).json()["sold_out"] is True  # retry

    html = client.get("/till/products/", {"category": pisang.category_id}).content.decode()
    tile = _tile(html, "Pisang goreng")
    assert "is-sold-out" in tile and _product(tile)["sold_out"] is True
    assert '<span class="product-tile__badge">Sold out</span>' in tile
    assert "Pisang goreng" in client.get("/till/products/", {"q": "pisang"}).content.decode()
    # The cart refuses it, whatever a stale page sends.
    preview = post_json(client, "/till/preview/", {"lines": [{"product_id": pisang.pk}]})
    assert preview.status_code == 400 and "sold out" in preview.content.decode()

    back = post_json(client, url, {"sold_out": False, "idempotency_key": str(uuid.uuid4())})
    assert back.status_code == 200 and back.json()["sold_out"] is False
    html = client.get("/till/products/", {"category": pisang.category_id}).content.decode()
    assert "is-sold-out" not in _tile(html, "Pisang goreng")
    with tenant_context(tenant.tenant):
        actions = list(
            AuditEntry.objects.filter(target_label="PG").order_by("pk").values_list("action", "actor_username")
        )
    assert actions == [("catalog.sold_out", "cashier"), ("catalog.back_in_stock", "cashier")]


def test_a_supervisor_may_too(sized):
    client = sized["tenant"].client(Role.SUPERVISOR)
    url = f"/till/products/{sized['pisang'].pk}/sold-out/"
    assert post_json(client, url, {"sold_out": True, "idempotency_key": "sup-1"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"sold_out": "yes", "idempotency_key": "k1"}, 400, "request.invalid"),
        ({"sold_out": True}, 400, "idempotency.key_invalid"),
        ("not json", 400, "request.invalid"),
    ],
)
def test_a_malformed_request_changes_nothing(sized, body, status, code):
    url = f"/till/products/{sized['pisang'].pk}/sold-out/"
    if isinstance(body, str):
        response = sized["client"].post(url, body, content_type="application/json")
    else:
        response = post_json(sized["client"], url, body)
    assert response.status_code == status and response.json()["error"]["code"] == code
    with tenant_context(sized["tenant"].tenant):
        assert not OutletProductOverride.objects.filter(product=sized["pisang"]).exists()


def test_kitchen_staff_another_tenant_and_unknown_items_change_nothing(sized, other_tenant):
    pisang = sized["pisang"]
    url = f"/till/products/{pisang.pk}/sold-out/"
    body = {"sold_out": True, "idempotency_key": str(uuid.uuid4())}
    assert post_json(sized["tenant"].client(Role.KITCHEN), url, body).status_code == 403
    assert post_json(sized["tenant"].client(), url, body).status_code == 302  # signed out: to the login page
    # Another business's cashier, on their own site, naming this one's product: theirs has no such item.
    with tenant_context(other_tenant.tenant):
        from catalog.models import Product

        Product.objects.filter(pk=pisang.pk).update(is_archived=True)  # whatever that id is there, not on sale
        overrides = OutletProductOverride.objects.count()
    assert post_json(other_tenant.client(Role.CASHIER), url, body).status_code == 404
    assert post_json(sized["client"], "/till/products/999999/sold-out/", body).status_code == 404
    with tenant_context(sized["tenant"].tenant):
        assert not OutletProductOverride.objects.filter(product=pisang).exists()
        assert not AuditEntry.objects.filter(target_label="PG").exists()
    with tenant_context(other_tenant.tenant):
        assert OutletProductOverride.objects.count() == overrides


# --- the receipt ------------------------------------------------------------------------------------------------


@pytest.fixture
def discounted(sized):
    """2 Es teh with Rp 2.000 off the line, 10% off the order; rung up at 20:30 UTC on 1 March 2026."""
    with tenant_context(sized["tenant"].tenant):
        order = order_submit(
            shift=sized["shift"],
            user=sized["tenant"].users[Role.CASHIER],
            idempotency_key="receipt-1",
            lines=[
                LineRequest(product_id=sized["teh"].pk, quantity=2, discount=Discount("amount", 2000)),
                LineRequest(product_id=sized["pisang"].pk),
            ],
            order_discount=Discount("percent", Decimal(10)),
            approved_by=sized["tenant"].users[Role.SUPERVISOR],  # stacked, the discounts pass the 10% limit
        )
        Order.objects.filter(pk=order.pk).update(created_at=datetime(2026, 3, 1, 20, 30, tzinfo=UTC))
        order = Order.objects.select_related("outlet").prefetch_related("lines", "payments").get(pk=order.pk)
    return {**sized, "order": order}


def _adds_up(order: Order) -> None:
    added = sum(t["amount_minor"] for t in order.tax_breakdown if not t["inclusive"])
    assert order.subtotal_minor - order.discount_minor + order.service_charge_minor + added == order.total_minor


def test_the_receipt_page_shows_local_time_and_totals_that_add_up(discounted):
    order = discounted["order"]
    _adds_up(order)
    # 2 × 10.000 + 15.000 = 35.000; 2.000 off the teh, then 10% of 33.000 = 3.300: 5.300 of discounts.
    assert (order.subtotal_minor, order.discount_minor) == (35000, 5300)
    html = discounted["client"].get(f"/till/receipts/{order.uid}/").content.decode()
    assert ">2026-03-02 03:30</time>" in html  # Jakarta, the business's zone: UTC+7
    assert '<tr data-testid="receipt-discounts"><td>Discounts</td><td class="num">−Rp 5.300</td></tr>' in html
    assert html.index("Subtotal") < html.index("Discounts") < html.index("Service charge") < html.index("PB1")


def test_escpos_prints_the_business_local_time_and_the_same_totals(discounted):
    order = discounted["order"]
    with tenant_context(discounted["tenant"].tenant):
        jakarta = receipt_escpos(order, business_name="Alpha", time_zone="Asia/Jakarta").decode("cp437")
        new_york = receipt_escpos(order, business_name="Alpha", time_zone="America/New_York").decode("cp437")
        broken = receipt_escpos(order, business_name="Alpha", time_zone="Mars/Olympus").decode("cp437")
    assert f"#{order.number}  2026-03-02 03:30" in jakarta
    assert f"#{order.number}  2026-03-01 15:30" in new_york
    site_time = timezone.localtime(order.created_at, timezone.get_default_timezone())
    assert f"{site_time:%Y-%m-%d %H:%M}" in broken  # an unknown zone: the site's (settings.TIME_ZONE), no crash
    lines = [line.strip() for line in jakarta.split("\n")]
    labels = [line.split("  ")[0].lstrip("\x1bE\x01") for line in lines if "Rp" in line]
    assert labels.index("Subtotal") < labels.index("Discounts") < labels.index("Service charge")
    assert any(line.startswith("Discounts ") and line.endswith(" -Rp 5.300") for line in lines)
    assert len(jakarta.split("\n")[5]) == 48  # rows are the paper's width
    assert "  Discount" in jakarta  # each line's own share, as on the page


def test_escpos_view_prints_local_time(discounted):
    order = discounted["order"]
    data = discounted["client"].get(f"/till/receipts/{order.uid}/escpos/").content.decode("cp437")
    assert "2026-03-02 03:30" in data and "2026-03-01 20:30" not in data


def test_receipts_are_never_kept_by_a_browser_or_a_proxy(discounted):
    """Issue 12, point 11: a receipt (its page, the print view, the printer's bytes, the e-mail form's answer)
    says Cache-Control: no-store."""
    order, client = discounted["order"], discounted["client"]
    answers = [
        client.get(f"/till/receipts/{order.uid}/"),
        client.get(f"/till/receipts/{order.uid}/?paper=58&print=1"),
        client.get(f"/till/receipts/{order.uid}/escpos/"),
        client.post(f"/till/receipts/{order.uid}/email/", {"email": "not-an-address"}),
    ]
    for response in answers:
        assert response.status_code in (200, 302)
        assert "no-store" in response.get("Cache-Control", ""), response.request["PATH_INFO"]
