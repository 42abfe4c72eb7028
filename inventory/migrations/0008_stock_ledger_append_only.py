# Issue 12: the stock ledger is append-only in the database too, not only by convention (a mistake is corrected by
# another movement). Created in every tenant schema and in the template new tenants are cloned from.

from django.db import migrations

REFUSE = """
CREATE OR REPLACE FUNCTION public.pos_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER inventory_stockmovement_append_only BEFORE UPDATE OR DELETE ON inventory_stockmovement
    FOR EACH ROW EXECUTE FUNCTION public.pos_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0007_staff_adjustment_approval"),
    ]

    operations = [
        migrations.RunSQL(
            REFUSE, "DROP TRIGGER IF EXISTS inventory_stockmovement_append_only ON inventory_stockmovement"
        ),
    ]
