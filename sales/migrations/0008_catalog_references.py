# Order lines point at `catalog` products and variants (see catalog/migrations/0001_initial.py). State only: the
# columns and foreign key constraints already point at the (renamed) tables.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0001_initial"),
        ("sales", "0007_orderline_stock_usage"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="orderline",
                    name="product",
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.product"),
                ),
                migrations.AlterField(
                    model_name="orderline",
                    name="variant",
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.productvariant"),
                ),
            ],
            database_operations=[],
        ),
    ]
