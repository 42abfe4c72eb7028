# A deleted table with orders stays as a retired row (is_active off): it gives up its cell and its name, so the
# two unique rules hold among active tables only.
#
# The old rules are dropped by what they are, not by name: a tenant cloned from the template schema
# (django-tenants' clone_schema) has them under PostgreSQL's own names (sales_diningtable_area_id_name_key),
# not Django's, and RemoveConstraint would fail there.

from django.db import migrations, models

OLD_RULES = {"sales_table_one_per_cell": ("area_id", "row", "column"), "sales_table_unique_name": ("area_id", "name")}


def drop_old_unique_rules(apps, schema_editor):
    table = apps.get_model("sales", "DiningTable")._meta.db_table
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'u'", [quote(table)]
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")


def restore_old_unique_rules(apps, schema_editor):
    table = apps.get_model("sales", "DiningTable")._meta.db_table
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        for name, columns in OLD_RULES.items():
            cursor.execute(
                f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} UNIQUE ({', '.join(map(quote, columns))})"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0013_shift_held_by"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name="diningtable", name="sales_table_one_per_cell"),
                migrations.RemoveConstraint(model_name="diningtable", name="sales_table_unique_name"),
            ],
            database_operations=[migrations.RunPython(drop_old_unique_rules, restore_old_unique_rules)],
        ),
        migrations.AddConstraint(
            model_name="diningtable",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_active", True)),
                fields=("area", "row", "column"),
                name="sales_table_one_per_cell",
            ),
        ),
        migrations.AddConstraint(
            model_name="diningtable",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_active", True)), fields=("area", "name"), name="sales_table_unique_name"
            ),
        ),
    ]
