# Stock's references to the catalog now point at `catalog` (see catalog/migrations/0001_initial.py). State only:
# the foreign key columns and constraints already point at the (renamed) tables.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0001_initial"),
        ("inventory", "0003_stock"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="stockitem",
                    name="category",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="catalog.category"),
                ),
                migrations.AlterField(
                    model_name="stockitem",
                    name="product",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="stock_items", to="catalog.product"),
                ),
                migrations.AlterField(
                    model_name="stockcount",
                    name="category",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.category"),
                ),
                migrations.AlterField(
                    model_name="recipecomponent",
                    name="product",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="recipe", to="catalog.product"),
                ),
                migrations.AlterField(
                    model_name="recipecomponent",
                    name="variant",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="recipe", to="catalog.productvariant"),
                ),
                migrations.AlterField(
                    model_name="recipecomponent",
                    name="modifier",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="recipe", to="catalog.modifier"),
                ),
            ],
            database_operations=[],
        ),
    ]
