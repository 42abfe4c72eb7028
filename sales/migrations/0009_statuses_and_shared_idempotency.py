"""Keys move to the shared idempotency table (docs/adr/0006); merged tabs get their own status (docs/adr/0010)."""

from datetime import timedelta

from django.db import migrations, models
from django.utils import timezone

LEGACY_FINGERPRINT = "legacy:" + "0" * 57  # no request can hash to this: a retry of an old key is refused (422)


def keys_to_the_shared_table(apps, schema_editor):
    """Keys of the last two days keep protecting against a retry across the upgrade: a retry of one of them is
    refused instead of making a second order or payment."""
    IdempotencyKey = apps.get_model("core", "IdempotencyKey")
    since = timezone.now() - timedelta(hours=48)
    rows = []
    for model, action in (("Order", "order.submit"), ("Payment", "payment.add"), ("Refund", "order.refund")):
        for pk, key in apps.get_model("sales", model).objects.filter(created_at__gte=since).values_list(
            "pk", "idempotency_key"
        ):
            if ":" in key and model == "Refund":
                continue  # a refund's further rows, keyed "<key>:2"...
            rows.append(IdempotencyKey(key=key, action=action, fingerprint=LEGACY_FINGERPRINT,
                                       result_model=f"sales.{model.lower()}", result_pk=pk))  # fmt: skip
    IdempotencyKey.objects.bulk_create(rows, ignore_conflicts=True)


def merged_tabs(apps, schema_editor):
    """Tabs merged before MERGED existed were marked voided with this reason."""
    Order = apps.get_model("sales", "Order")
    Order.objects.filter(status="voided", void_reason__startswith="Merged into #").update(status="merged")


def merged_tabs_back(apps, schema_editor):
    apps.get_model("sales", "Order").objects.filter(status="merged").update(status="voided")


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0008_catalog_references"),
        ("core", "0001_idempotency"),
    ]

    operations = [
        migrations.RunPython(keys_to_the_shared_table, migrations.RunPython.noop),
        migrations.RemoveField(model_name="order", name="idempotency_key"),
        migrations.RemoveField(model_name="payment", name="idempotency_key"),
        migrations.RemoveField(model_name="refund", name="idempotency_key"),
        migrations.AlterField(
            model_name="order",
            name="status",
            field=models.CharField(
                choices=[("open", "Open"), ("paid", "Paid"), ("voided", "Voided"), ("refunded", "Refunded"),
                         ("merged", "Merged")],
                db_index=True,
                default="open",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="payment",
            name="status",
            field=models.CharField(
                choices=[("pending", "Pending"), ("captured", "Captured"), ("failed", "Failed"),
                         ("refunded", "Refunded"), ("cancelled", "Cancelled"), ("refund_due", "Refund due")],
                default="captured",
                max_length=10,
            ),
        ),
        migrations.RunPython(merged_tabs, merged_tabs_back),
    ]
