"""Inventory's scheduled work, run by Celery in one tenant's schema at a time (tenant-schemas-celery).

Beat queues `send_low_stock_digest` in every live tenant through `pos_project.tasks.run_for_each_tenant`; it
puts the owners' e-mails in the mail outbox (mailer), which beat sends. (A purchase order's e-mail is queued by
the `purchase_order.sent` subscriber, subscribers.py.)
"""

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from celery import shared_task
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from accounts.access import users_with
from mailer.models import Message
from mailer.services import mail_queue
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
    """Queue an e-mail (mail outbox) to every active owner with the items that are low or below zero; returns how
    many were queued.

    Skipped when the tenant turned the digest off, when nothing is low, and when today's digest already went
    out (a cache key per tenant and local day), so beat running it twice queues one e-mail each."""
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
    for address in owners:  # one e-mail each: owners do not see each other's addresses
        mail_queue(to=[address], subject=subject, text=text, html=html, kind=Message.Kind.LOW_STOCK_DIGEST)
    return len(owners)
