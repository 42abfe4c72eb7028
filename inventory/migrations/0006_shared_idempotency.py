"""Stock documents' keys move to the shared idempotency table (docs/adr/0006); an adjustment is NEW only inside
the transaction that submits it (inventory/transitions.py)."""

from datetime import timedelta

from django.db import migrations, models
from django.utils import timezone

LEGACY_FINGERPRINT = "legacy:" + "0" * 57  # no request can hash to this: a retry of an old key is refused (422)

# model, the field its age is read from, the action its writes claim now
KEYED = (
    ("StockAdjustment", "created_at", "adjustment.submit"),
    ("Transfer", "created_at", "transfer.create"),
    ("PurchaseOrder", "created_at", "purchase_order.create"),
    ("GoodsReceipt", "received_at", "goods_receipt.receive"),
)


def keys_to_the_shared_table(apps, schema_editor):
    """Keys of the last two days keep protecting against a retry across the upgrade: a retry of one of them is
    refused instead of making a second document. (Count scans' keys lived in Redis for a working day and are
    not carried over: a scan retried across the upgrade is counted again, as it was whenever Redis was down.)"""
    IdempotencyKey = apps.get_model("core", "IdempotencyKey")
    since = timezone.now() - timedelta(hours=48)
    rows = []
    for model, when, action in KEYED:
        found = apps.get_model("inventory", model).objects.filter(**{f"{when}__gte": since, "idempotency_key__gt": ""})
        for pk, key in found.values_list("pk", "idempotency_key"):
            rows.append(IdempotencyKey(key=key, action=action, fingerprint=LEGACY_FINGERPRINT,
                                       result_model=f"inventory.{model.lower()}", result_pk=pk))  # fmt: skip
    IdempotencyKey.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0005_catalog_moved_out"),
        ("core", "0001_idempotency"),
    ]

    operations = [
        migrations.RunPython(keys_to_the_shared_table, migrations.RunPython.noop),
        migrations.RemoveField(model_name="stockadjustment", name="idempotency_key"),
        migrations.RemoveField(model_name="transfer", name="idempotency_key"),
        migrations.RemoveField(model_name="purchaseorder", name="idempotency_key"),
        migrations.RemoveField(model_name="goodsreceipt", name="idempotency_key"),
        migrations.AlterField(
            model_name="stockadjustment",
            name="status",
            field=models.CharField(
                choices=[("new", "Being submitted"), ("pending", "Waiting for approval"), ("posted", "Posted"),
                         ("rejected", "Rejected")],
                default="new",
                max_length=10,
            ),
        ),
    ]
