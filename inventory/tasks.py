"""Inventory's scheduled work, run by Celery in one tenant's schema at a time (tenant-schemas-celery).

Beat queues `send_low_stock_digest` in every live tenant through `pos_project.tasks.run_for_each_tenant`;
sending a purchase order emits `purchase_order.sent`, whose subscriber (subscribers.py) queues
`send_purchase_order_email`.
"""

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from celery import shared_task
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from accounts.access import users_with
from accounts.audit import AuditAction
from pos_project.money import format_money
from tenants.selectors import tenant_url

from .quantities import format_quantity
from .selectors.stock_reports import LOW_STOCK_DIGEST_MAX, low_stock, low_stock_rows
from .services.stock import stock_settings_get

logger = logging.getLogger(__name__)
DIGEST_KEY = "inventory:low-stock-digest:{day}"


def _local_today(tenant):
    try:
        tz = ZoneInfo(tenant.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = timezone.get_default_timezone()
    return timezone.localdate(timezone.now(), tz)


def digest_text(*, tenant, rows: list, more: int, url: str) -> str:
    """The plain-text body: one line per item, under its outlet."""
    lines = [f"Low stock at {tenant.name}", ""]
    outlet = None
    for level in rows:
        if level.outlet_id != outlet:
            outlet = level.outlet_id
            lines += ["", f"{level.outlet.name}:"]
        item, unit = level.item, level.item.base_unit
        supplier = f" from {item.default_supplier.name}" if item.default_supplier else ""
        flag = " [NEGATIVE]" if level.quantity < 0 else ""
        lines.append(
            f"- {item.name} ({item.sku}): {level.quantity_text} {unit} on hand, reorder point "
            f"{level.reorder_point_text} {unit}; order {level.suggest_units} {item.purchase_unit}"
            f"{supplier}{flag}"
        )
    if more:
        lines += ["", f"…and {more} more."]
    lines += ["", f"See the full list: {url}", "", "You get this e-mail because the daily low-stock digest is on."]
    return "\n".join(lines) + "\n"


@shared_task
def send_low_stock_digest() -> int:
    """E-mail every active owner the items that are low or below zero; returns how many e-mails were sent.

    Skipped when the tenant turned the digest off, when nothing is low, and when today's digest already went
    out (a cache key per tenant and local day), so beat running it twice sends one e-mail."""
    if connection.schema_name == get_public_schema_name():
        logger.warning("send_low_stock_digest ran in the public schema; queue it per tenant")
        return 0
    if not stock_settings_get().low_stock_digest:
        return 0
    levels = low_stock()
    rows = low_stock_rows(levels[:LOW_STOCK_DIGEST_MAX])
    if not rows:
        return 0
    for level in rows:
        level.quantity_text = format_quantity(level.quantity)
        level.reorder_point_text = format_quantity(level.reorder_point)
    owners = list(users_with("stock.low_digest").exclude(email="").values_list("email", flat=True))
    if not owners:
        return 0
    tenant = connection.tenant
    key = DIGEST_KEY.format(day=_local_today(tenant).isoformat())
    if cache.add(key, 1, timeout=2 * 24 * 3600) is False:  # None: cache down, better twice than never
        return 0
    more = max(levels.count() - len(rows), 0) if len(rows) == LOW_STOCK_DIGEST_MAX else 0
    url = tenant_url(tenant).rstrip("/") + reverse("inventory:low_stock")
    context = {"tenant": tenant, "rows": rows, "more": more, "url": url}
    subject = f"{tenant.name}: {len(rows) + more} stock item(s) low"
    text = digest_text(**context)
    html = render_to_string("inventory/stock/reports_digest_email.html", context)
    try:
        with get_connection() as mail:
            for address in owners:  # one e-mail each: owners do not see each other's addresses
                message = EmailMultiAlternatives(subject=subject, body=text, to=[address], connection=mail)
                message.attach_alternative(html, "text/html")
                message.send()
    except Exception:
        cache.delete(key)  # let a retry (or tomorrow's run) send it
        raise
    return len(owners)


# --- Purchase orders -----------------------------------------------------------------------------------------


def purchase_order_text(document, *, tenant_name: str, currency: str) -> str:
    """The plain-text body: the same facts as the HTML, aligned for a mail client's fixed font."""
    po = document.purchase_order
    rows = [
        f"Purchase order {po} from {tenant_name}",
        f"To: {po.supplier.name}" + (f" (attn. {po.supplier.contact_name})" if po.supplier.contact_name else ""),
        f"Deliver to: {po.outlet.name}",
    ]
    if po.expected_on:
        rows.append(f"Expected on: {po.expected_on.isoformat()}")
    rows.append("")
    for line in document.lines:
        rows.append(
            f"{line.quantity} {line.item.purchase_unit} × {line.item.name} ({line.item.sku})"
            f" @ {format_money(line.unit_cost_minor, currency)} = {format_money(line.total_minor, currency)}"
        )
    rows += ["", f"Total: {format_money(document.total_minor, currency)}"]
    if po.note:
        rows += ["", po.note]
    return "\n".join(rows) + "\n"


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_purchase_order_email(purchase_order_id: int) -> bool:
    """Send the PO (text + HTML) to the supplier's address; False when there is nothing to send. Runs in the
    schema of the tenant that queued it, and is safe to run twice: a PO is e-mailed once (`emailed_at`)."""
    from django.db import connection
    from django.utils import timezone

    from accounts.services import audit_record

    from .models import PurchaseOrder
    from .selectors.purchasing import purchase_order_document, purchase_order_get

    po = purchase_order_get(purchase_order_id)
    if po is None or po.status in (PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.CANCELLED):
        return False
    if not po.supplier.email or po.emailed_at is not None:
        return False
    tenant = connection.tenant
    document = purchase_order_document(po)
    context = {"doc": document, "po": po, "tenant": tenant, "currency": tenant.currency}
    message = EmailMultiAlternatives(
        subject=f"{tenant.name}: purchase order {po}",
        body=purchase_order_text(document, tenant_name=tenant.name, currency=tenant.currency),
        to=[po.supplier.email],
    )
    message.attach_alternative(render_to_string("inventory/stock/purchasing_email.html", context), "text/html")
    message.send()
    PurchaseOrder.objects.filter(pk=po.pk).update(emailed_at=timezone.now())
    # The supplier's address is on the supplier's row; the entry keeps only whose it was.
    audit_record(action=AuditAction.STOCK_PURCHASE_ORDER_EMAILED, target=po, label=str(po),
                 data={"supplier": po.supplier_id})  # fmt: skip
    return True
