# The catalog moved out of `inventory` (same tables, renamed; same rows). Django's state gets the models under
# `catalog` exactly as they were under `inventory` (fields, explicit constraint and index names), while the
# database only renames the tables; the rows, their ids, the sequences, the indexes and the foreign keys that
# point at them (stock, order lines, kitchen stations) stay as they are. django_content_type rows move with the
# models so permissions and admin log entries keep pointing at them.

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

# (old table, new table): the models' tables and the auto-created M2M table of Product.taxes.
TABLES = [
    ("inventory_category", "catalog_category"),
    ("inventory_modifiergroup", "catalog_modifiergroup"),
    ("inventory_modifier", "catalog_modifier"),
    ("inventory_product", "catalog_product"),
    ("inventory_product_taxes", "catalog_product_taxes"),
    ("inventory_productmodifiergroup", "catalog_productmodifiergroup"),
    ("inventory_productvariant", "catalog_productvariant"),
    ("inventory_outletproductoverride", "catalog_outletproductoverride"),
]
MODELS = [
    "category",
    "modifiergroup",
    "modifier",
    "product",
    "productmodifiergroup",
    "productvariant",
    "outletproductoverride",
]


def _move_content_types(apps, schema_editor, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if ContentType.objects.using(db).filter(app_label=target, model=model).exists():
            continue  # already there (made by a post_migrate run); leave the old row alone
        ContentType.objects.using(db).filter(app_label=source, model=model).update(app_label=target)
    ContentType.objects.clear_cache()


def content_types_forward(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="inventory", target="catalog")


def content_types_backward(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="catalog", target="inventory")


STATE_OPERATIONS = [
    migrations.CreateModel(
        name='Category',
        fields=[
            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('name', models.CharField(max_length=80)),
            ('sort_order', models.PositiveIntegerField(default=0)),
            ('is_archived', models.BooleanField(default=False)),
        ],
        options={
            'verbose_name_plural': 'categories',
            'ordering': ['sort_order', 'name'],
        },
    ),
    migrations.CreateModel(
        name='ModifierGroup',
        fields=[
            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('name', models.CharField(max_length=80)),
            ('min_choices', models.PositiveSmallIntegerField(default=0)),
            ('max_choices', models.PositiveSmallIntegerField(default=1)),
            ('sort_order', models.PositiveIntegerField(default=0)),
            ('is_archived', models.BooleanField(default=False)),
        ],
        options={
            'ordering': ['sort_order', 'name'],
            'constraints': [models.CheckConstraint(condition=models.Q(('max_choices__gte', 1), ('max_choices__gte', models.F('min_choices'))), name='modifiergroup_max_gte_min_and_1')],
        },
    ),
    migrations.CreateModel(
        name='Product',
        fields=[
            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('name', models.CharField(max_length=120)),
            ('description', models.TextField(blank=True)),
            ('sku', models.CharField(max_length=40, unique=True)),
            ('barcode', models.CharField(blank=True, db_index=True, max_length=64)),
            ('price_minor', models.BigIntegerField()),
            ('sort_order', models.PositiveIntegerField(default=0)),
            ('is_archived', models.BooleanField(default=False)),
            ('category', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='products', to='catalog.category')),
            ('taxes', models.ManyToManyField(blank=True, related_name='+', to='business.tax')),
        ],
        options={
            'ordering': ['sort_order', 'name'],
        },
    ),
    migrations.CreateModel(
        name='ProductModifierGroup',
        fields=[
            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('sort_order', models.PositiveIntegerField(default=0)),
            ('group', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.modifiergroup')),
            ('product', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='product_modifier_groups', to='catalog.product')),
        ],
        options={
            'ordering': ['sort_order', 'id'],
        },
    ),
    migrations.AddField(
        model_name='product',
        name='modifier_groups',
        field=models.ManyToManyField(blank=True, related_name='products', through='catalog.ProductModifierGroup', to='catalog.modifiergroup'),
    ),
    migrations.CreateModel(
        name='ProductVariant',
        fields=[
            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('name', models.CharField(max_length=80)),
            ('sku', models.CharField(max_length=40, unique=True)),
            ('barcode', models.CharField(blank=True, db_index=True, max_length=64)),
            ('price_minor', models.BigIntegerField()),
            ('sort_order', models.PositiveIntegerField(default=0)),
            ('is_archived', models.BooleanField(default=False)),
            ('product', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='variants', to='catalog.product')),
        ],
        options={
            'ordering': ['sort_order', 'name'],
        },
    ),
    migrations.CreateModel(
        name='OutletProductOverride',
        fields=[
            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('price_minor', models.BigIntegerField(blank=True, null=True)),
            ('is_available', models.BooleanField(default=True)),
            ('outlet', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='business.outlet')),
            ('product', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='outlet_overrides', to='catalog.product')),
            ('variant', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='outlet_overrides', to='catalog.productvariant')),
        ],
    ),
    migrations.CreateModel(
        name='Modifier',
        fields=[
            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ('name', models.CharField(max_length=80)),
            ('price_delta_minor', models.BigIntegerField(default=0)),
            ('sort_order', models.PositiveIntegerField(default=0)),
            ('is_archived', models.BooleanField(default=False)),
            ('group', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='modifiers', to='catalog.modifiergroup')),
        ],
        options={
            'ordering': ['sort_order', 'name'],
            'constraints': [models.CheckConstraint(condition=models.Q(('price_delta_minor__gte', 0)), name='modifier_delta_gte_0')],
        },
    ),
    migrations.AddConstraint(
        model_name='productmodifiergroup',
        constraint=models.UniqueConstraint(fields=('product', 'group'), name='product_modifier_group_unique'),
    ),
    migrations.AddIndex(
        model_name='product',
        index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.search.SearchVector('name', config='simple'), name='inventory_product_name_fts'),
    ),
    migrations.AddIndex(
        model_name='product',
        index=models.Index(fields=['category', 'sort_order', 'name'], name='inventory_product_cat_order'),
    ),
    migrations.AddConstraint(
        model_name='product',
        constraint=models.CheckConstraint(condition=models.Q(('price_minor__gte', 0)), name='product_price_gte_0'),
    ),
    migrations.AddConstraint(
        model_name='productvariant',
        constraint=models.CheckConstraint(condition=models.Q(('price_minor__gte', 0)), name='variant_price_gte_0'),
    ),
    migrations.AddConstraint(
        model_name='outletproductoverride',
        constraint=models.UniqueConstraint(fields=('outlet', 'product', 'variant'), name='outlet_product_override_unique', nulls_distinct=False),
    ),
    migrations.AddConstraint(
        model_name='outletproductoverride',
        constraint=models.CheckConstraint(condition=models.Q(('price_minor__isnull', True), ('price_minor__gte', 0), _connector='OR'), name='outlet_override_price_gte_0'),
    ),
]


class Migration(migrations.Migration):

    initial = True

    # After every migration that made a table pointing at the catalog's tables: on a new database (or a new
    # tenant schema) they must find them under their old names before the rename.
    dependencies = [
        ("business", "0002_taxes_and_sales_settings"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("inventory", "0003_stock"),
        ("kitchen", "0002_line_void_rush_handover"),
        ("sales", "0007_orderline_stock_usage"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=STATE_OPERATIONS,
            database_operations=[
                migrations.RunSQL(
                    sql=[f"ALTER TABLE {old} RENAME TO {new}" for old, new in TABLES],
                    reverse_sql=[f"ALTER TABLE {new} RENAME TO {old}" for old, new in reversed(TABLES)],
                ),
            ],
        ),
        migrations.RunPython(content_types_forward, content_types_backward),
    ]
