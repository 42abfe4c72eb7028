# The catalog models leave `inventory`'s state now that nothing points at them there. State only: their tables
# are `catalog`'s since catalog/migrations/0001_initial.py.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("inventory", "0004_catalog_references"),
        ("kitchen", "0003_catalog_references"),
        ("sales", "0008_catalog_references"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                # Relations between the moved models first, so no model is deleted while another points at it.
                migrations.RemoveField(model_name="outletproductoverride", name="outlet"),
                migrations.RemoveField(model_name="outletproductoverride", name="product"),
                migrations.RemoveField(model_name="outletproductoverride", name="variant"),
                migrations.RemoveField(model_name="product", name="modifier_groups"),
                migrations.RemoveField(model_name="product", name="taxes"),
                migrations.RemoveField(model_name="product", name="category"),
                migrations.RemoveField(model_name="productmodifiergroup", name="group"),
                migrations.RemoveField(model_name="productmodifiergroup", name="product"),
                migrations.RemoveField(model_name="productvariant", name="product"),
                migrations.RemoveField(model_name="modifier", name="group"),
                migrations.DeleteModel(name="OutletProductOverride"),
                migrations.DeleteModel(name="ProductModifierGroup"),
                migrations.DeleteModel(name="ProductVariant"),
                migrations.DeleteModel(name="Product"),
                migrations.DeleteModel(name="Modifier"),
                migrations.DeleteModel(name="ModifierGroup"),
                migrations.DeleteModel(name="Category"),
            ],
            database_operations=[],
        ),
    ]
