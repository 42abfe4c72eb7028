# Stations route by `catalog` categories and products (see catalog/migrations/0001_initial.py). State only: an
# AlterField of a many-to-many target would otherwise re-point the through tables' foreign keys, which already
# point at the (renamed) tables; kitchen_station_categories/products keep their names and their category_id and
# product_id columns (the target models keep their names).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0001_initial"),
        ("kitchen", "0002_line_void_rush_handover"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="station",
                    name="categories",
                    field=models.ManyToManyField(blank=True, related_name="+", to="catalog.category"),
                ),
                migrations.AlterField(
                    model_name="station",
                    name="products",
                    field=models.ManyToManyField(blank=True, related_name="+", to="catalog.product"),
                ),
            ],
            database_operations=[],
        ),
    ]
