from celery import shared_task
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from business.selectors import tenant_settings

from .models import Order


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_receipt_email(order_id: int, to: str) -> None:
    """E-mail a receipt. Runs in the schema of the tenant that queued it (tenant-schemas-celery)."""
    from django.db import connection

    order = Order.objects.select_related("outlet", "created_by").prefetch_related("lines", "payments").get(pk=order_id)
    tenant = connection.tenant
    context = {"order": order, "tenant": tenant, "sales_settings": tenant_settings()}
    with timezone.override(tenant.timezone):  # a worker has no request to set the business's zone
        body = render_to_string("sales/receipt_email.txt", context)
    message = EmailMultiAlternatives(subject=f"{tenant.name}: receipt #{order.number}", body=body, to=[to])
    message.send()
