# Issue 14: API clients keep a copy of stock items, suppliers and stock documents in sync with `?updated_since=`,
# so each carries the moment it last changed. Existing rows start from when they were made (suppliers, which do
# not record that, from now).

import django.utils.timezone
from django.db import migrations, models

MODELS = ("supplier", "stockitem", "stockadjustment", "transfer", "purchaseorder")
FROM_CREATED = ("stockitem", "stockadjustment", "transfer", "purchaseorder")


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0008_stock_ledger_append_only"),
    ]

    operations = [
        *[
            migrations.AddField(
                model_name=name,
                name="updated_at",
                field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
                preserve_default=False,
            )
            for name in MODELS
        ],
        *[
            migrations.RunSQL(f"UPDATE inventory_{name} SET updated_at = created_at", migrations.RunSQL.noop)
            for name in FROM_CREATED
        ],
    ]
