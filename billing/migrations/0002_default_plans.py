from django.db import migrations

PLANS = [
    # code, name, monthly price (IDR, exponent 0), outlets, staff, default
    ("starter", "Starter", 0, 1, 10, True),
    ("growth", "Growth", 299000, 3, 40, False),
    ("chain", "Chain", 899000, 20, 300, False),
]


def create_plans(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for order, (code, name, price, outlets, staff, default) in enumerate(PLANS):
        Plan.objects.update_or_create(
            code=code,
            defaults={"name": name, "monthly_price_minor": price, "currency": "IDR", "max_outlets": outlets,
                      "max_staff": staff, "is_default": default, "sort_order": order},
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(create_plans, migrations.RunPython.noop)]
