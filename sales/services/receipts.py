"""A receipt by e-mail: written now, sent by the mail outbox (mailer/services.py)."""

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation

from business.selectors import tenant_settings
from mailer.models import Message
from mailer.services import mail_queue

from ..models import Order


def receipt_email_queue(*, order: Order, to: str) -> Message:
    """Queue the receipt of `order` for `to` (an address the till checked). It is written now, in the business's
    time zone and the site's language, and goes out with beat's next mail run; neither a broker nor a mail server
    outage loses it."""
    order = Order.objects.select_related("outlet", "created_by").prefetch_related("lines", "payments").get(pk=order.pk)
    tenant = connection.tenant
    context = {"order": order, "tenant": tenant, "sales_settings": tenant_settings()}
    with timezone.override(tenant.timezone), translation.override(settings.LANGUAGE_CODE):
        body = render_to_string("sales/receipt_email.txt", context)
    return mail_queue(to=[to], subject=f"{tenant.name}: receipt #{order.number}", text=body, kind=Message.Kind.RECEIPT)
