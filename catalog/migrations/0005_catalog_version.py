# The catalog's version (catalog/cache.py, docs/adr/0012): a change to what the till prices moves it when the change
# commits. Created in every tenant schema and in the template new tenants are cloned from (the clone copies the
# triggers; the cache tells two schemas' rows apart by their table's oid).

from django.db import migrations, models

# Tables whose rows the till's pricing reads (catalog_lines_resolve and the till's grid).
TABLES = [
    "catalog_category",
    "catalog_modifiergroup",
    "catalog_modifier",
    "catalog_product",
    "catalog_product_taxes",
    "catalog_productmodifiergroup",
    "catalog_productvariant",
    "catalog_outletproductoverride",
    "business_tax",
]

FUNCTIONS = """
-- At commit (a deferred constraint trigger), once per transaction and schema: the version row is then the last lock
-- the transaction takes, so two catalog writes never deadlock on it. The row is the one of the schema whose table
-- fired (TG_TABLE_SCHEMA), whatever search_path is when the transaction commits.
CREATE OR REPLACE FUNCTION public.pos_catalog_version_move() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved text := coalesce(current_setting('pos.catalog_moved', true), '');
BEGIN
    IF position(',' || TG_TABLE_SCHEMA || ',' IN moved) > 0 THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('pos.catalog_moved', moved || ',' || TG_TABLE_SCHEMA || ',', true);
    EXECUTE format(
        'INSERT INTO %I.catalog_catalogversion (id, version) VALUES (1, gen_random_uuid()) '
        'ON CONFLICT (id) DO UPDATE SET version = excluded.version', TG_TABLE_SCHEMA);
    RETURN NULL;
END $$;

-- At once, per statement: this transaction has written this schema's catalog, so until it commits what it reads
-- there is not what the version names (catalog/cache.py reads past the cache then).
CREATE OR REPLACE FUNCTION public.pos_catalog_written() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    written text := coalesce(current_setting('pos.catalog_written', true), '');
BEGIN
    IF position(',' || TG_TABLE_SCHEMA || ',' IN written) = 0 THEN
        PERFORM set_config('pos.catalog_written', written || ',' || TG_TABLE_SCHEMA || ',', true);
    END IF;
    RETURN NULL;
END $$;

-- TRUNCATE has no row triggers and cannot be deferred: it moves the version at once.
CREATE OR REPLACE FUNCTION public.pos_catalog_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'INSERT INTO %I.catalog_catalogversion (id, version) VALUES (1, gen_random_uuid()) '
        'ON CONFLICT (id) DO UPDATE SET version = excluded.version', TG_TABLE_SCHEMA);
    RETURN NULL;
END $$;
"""


def _triggers(table: str) -> str:
    return f"""
CREATE CONSTRAINT TRIGGER pos_catalog_version_move AFTER INSERT OR UPDATE OR DELETE ON {table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.pos_catalog_version_move();
CREATE TRIGGER pos_catalog_written AFTER INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION public.pos_catalog_written();
CREATE TRIGGER pos_catalog_truncated AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION public.pos_catalog_truncated();
"""


def _drop(table: str) -> str:
    return "".join(
        f"DROP TRIGGER IF EXISTS {name} ON {table};"
        for name in ("pos_catalog_version_move", "pos_catalog_written", "pos_catalog_truncated")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_product_and_group_updated_at"),
        ("business", "0007_two_factor_by_role"),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.UUIDField()),
            ],
        ),
        migrations.RunSQL(
            "INSERT INTO catalog_catalogversion (id, version) VALUES (1, gen_random_uuid());",
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(FUNCTIONS + "".join(_triggers(t) for t in TABLES), "".join(_drop(t) for t in TABLES)),
    ]
