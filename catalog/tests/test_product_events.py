"""Every change of a product, or of what is sold under it, emits `product.updated` in the same transaction and
moves the product's updated_at; a change to nothing emits nothing."""

from catalog import services
from core.models import OutboxEvent

from . import factories as f


def _changes(product) -> list[list[str]]:
    rows = OutboxEvent.objects.filter(name="product.updated", payload__product=product.pk).order_by("pk")
    return [row.payload["changed"] for row in rows]


def test_each_change_is_announced_once_with_what_changed(in_tenant):
    product = f.product(name="Evented", sku="EV-1", price_minor=100)
    before = product.updated_at
    services.product_update(product=product, actor=None, category=product.category, name="Evented", sku="EV-1",
                            price_minor=100)  # fmt: skip
    services.product_update(product=product, actor=None, category=product.category, name="Evented", sku="EV-1",
                            price_minor=150)  # fmt: skip
    services.product_archive(product=product)
    services.product_archive(product=product)  # already archived: nothing
    outlet = f.outlet()
    services.outlet_override_set(outlet=outlet, product=product, price_minor=None, is_available=False)
    assert _changes(product) == [["created"], ["price_minor"], ["is_archived"], ["outlet_availability"]]
    product.refresh_from_db()
    assert product.updated_at > before
    event = OutboxEvent.objects.filter(payload__product=product.pk).last()
    assert event.payload["outlet"] == outlet.pk
