# Issue 12: audit entries name what they are about by type and id (`target_type`, `target_id`), keep a short
# non-personal `target_label` (the old free `target`), and hold no personal data in `data`.

from django.db import migrations, models

# Existing rows: fill the typed target where the old free text (or the entry's data) says unambiguously what it
# was, and take personal data out of `data`. Plain SQL over tables that exist by the time tenants have entries;
# a fresh schema has no entries, so a table not there yet (`to_regclass` is NULL) is simply skipped.
_USER_ACTIONS = (
    "'staff.create','staff.update','staff.reset_password','staff.set_pin','staff.pin_unlock',"
    "'auth.login','auth.login_failed','auth.password_change','auth.pin_failed','auth.pin_locked',"
    "'approval.granted','approval.refused'"
)
_FILLS = [
    # (table the lookup needs, SQL)
    ("accounts_user", f"""
        UPDATE accounts_auditentry a SET target_type = 'accounts.user', target_id = u.id::text,
               target_label = u.username
          FROM accounts_user u
         WHERE a.target_type = '' AND a.action IN ({_USER_ACTIONS}) AND lower(a.target_label) = lower(u.username)"""),
    # A failed sign-in or refused approval for a name that is nobody's: what a stranger typed is not kept.
    (None, """
        UPDATE accounts_auditentry SET target_label = ''
         WHERE target_type = '' AND action IN ('auth.login_failed', 'approval.refused')"""),
    ("accounts_tilldevice", """
        UPDATE accounts_auditentry SET target_type = 'accounts.tilldevice', target_id = data->>'device',
               data = data - 'device'
         WHERE target_type = '' AND action IN ('device.register', 'device.remove') AND data ? 'device'"""),
    ("catalog_product", """
        UPDATE accounts_auditentry a SET target_type = 'catalog.product', target_id = p.id::text
          FROM catalog_product p
         WHERE a.target_type = '' AND a.action IN ('catalog.price_change', 'catalog.sold_out',
               'catalog.back_in_stock', 'stock_item.track_product') AND a.target_label = p.sku"""),
    ("catalog_productvariant", """
        UPDATE accounts_auditentry a SET target_type = 'catalog.productvariant', target_id = v.id::text
          FROM catalog_productvariant v
         WHERE a.target_type = '' AND a.action = 'catalog.price_change' AND a.target_label = v.sku"""),
    ("inventory_stockitem", """
        UPDATE accounts_auditentry a SET target_type = 'inventory.stockitem', target_id = i.id::text
          FROM inventory_stockitem i
         WHERE a.target_type = '' AND a.action IN ('stock_item.create', 'stock_item.cost_change',
               'stock_item.archive', 'stock_item.restore') AND a.target_label = i.sku"""),
    ("inventory_supplier", """
        UPDATE accounts_auditentry SET target_type = 'inventory.supplier', target_id = data->>'pk',
               target_label = '', data = data - 'pk'
         WHERE target_type = '' AND action LIKE 'stock.supplier_%' AND data ? 'pk'"""),
    ("business_tax", """
        UPDATE accounts_auditentry a SET target_type = 'business.tax', target_id = t.id::text
          FROM business_tax t
         WHERE a.target_type = '' AND a.action = 'settings.tax_rate' AND upper(a.target_label) = upper(t.code)"""),
    ("business_outlet", """
        UPDATE accounts_auditentry a SET target_type = 'business.outlet', target_id = o.id::text
          FROM business_outlet o
         WHERE a.target_type = '' AND a.action = 'outlet.update' AND a.target_label = o.code"""),
    ("timeclock_timecard", """
        UPDATE accounts_auditentry SET target_type = 'timeclock.timecard', target_id = data->>'card'
         WHERE target_type = '' AND action = 'timeclock.clock_in' AND data ? 'card'"""),
]
# "TR-12", "Shift 7", "product 5 Nasi goreng": the id is in the label.
_PATTERNS = [
    ("inventory.transfer", "stock.transfer_%", r"^TR-(\d+)$"),
    ("inventory.stockadjustment", "stock.adjustment_%", r"^ADJ-(\d+)$"),
    ("inventory.stockcount", "stock.count_%", r"^CNT-(\d+)$"),
    ("inventory.purchaseorder", "stock.%", r"^PO-(\d+)$"),
    ("sales.shift", "shift.%", r"^[Ss]hift (\d+)$"),
    ("catalog.product", "recipe.%", r"^product (\d+) "),
    ("catalog.productvariant", "recipe.%", r"^variant (\d+) "),
    ("catalog.modifier", "recipe.%", r"^modifier (\d+) "),
]
_SCRUB = [
    # The supplier's e-mail address: keep only whose it was.
    """UPDATE accounts_auditentry a SET data = jsonb_build_object('supplier', po.supplier_id)
         FROM inventory_purchaseorder po
        WHERE a.action = 'stock.purchase_order_emailed' AND a.target_type = 'inventory.purchaseorder'
          AND po.id::text = a.target_id""",
    "UPDATE accounts_auditentry SET data = data - 'to' WHERE action = 'stock.purchase_order_emailed'",
    # An outlet's address and phone: that they changed, not what they were.
    """UPDATE accounts_auditentry
          SET data = (data - 'address' - 'phone') || jsonb_build_object('changed',
              (SELECT coalesce(jsonb_agg(k ORDER BY k), '[]'::jsonb) FROM jsonb_object_keys(data) k
                WHERE k IN ('address', 'phone')))
        WHERE action = 'outlet.update' AND (data ? 'address' OR data ? 'phone')""",
    # Approvers and cashiers by id, not by name.
    """UPDATE accounts_auditentry a SET data = jsonb_set(a.data, '{approved_by}', to_jsonb(u.id))
         FROM accounts_user u
        WHERE jsonb_typeof(a.data->'approved_by') = 'string' AND u.username = a.data->>'approved_by'""",
    """UPDATE accounts_auditentry a SET data = jsonb_set(a.data, '{cashier}', to_jsonb(u.id))
         FROM accounts_user u
        WHERE a.action = 'order.discount_approved' AND jsonb_typeof(a.data->'cashier') = 'string'
          AND u.username = a.data->>'cashier'""",
    # "Budi's time card": the card's owner is the actor; the label says only what it is.
    "UPDATE accounts_auditentry SET target_label = 'time card' WHERE action LIKE 'timeclock.%' AND target_label LIKE '%time card'",
]


def _exists(cursor, table: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
    return cursor.fetchone()[0]


def fill_targets(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM accounts_auditentry)")
        if not cursor.fetchone()[0]:
            return
        for table, sql in _FILLS:
            if table is None or _exists(cursor, table):
                cursor.execute(sql)
        for target_type, actions, pattern in _PATTERNS:
            cursor.execute(
                """UPDATE accounts_auditentry SET target_type = %s, target_id = substring(target_label from %s)
                    WHERE target_type = '' AND action LIKE %s AND target_label ~ %s""",
                [target_type, pattern, actions, pattern],
            )
        for sql in _SCRUB:
            if "inventory_purchaseorder" in sql and not _exists(cursor, "inventory_purchaseorder"):
                continue
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_pin_lock_and_till_devices"),
    ]

    operations = [
        migrations.RenameField(model_name="auditentry", old_name="target", new_name="target_label"),
        migrations.AddField(
            model_name="auditentry",
            name="target_type",
            field=models.CharField(blank=True, max_length=60),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="target_id",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
        ),
        migrations.RunPython(fill_targets, migrations.RunPython.noop),
    ]
