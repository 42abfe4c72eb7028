from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sales", "0009_statuses_and_shared_idempotency")]

    operations = [
        migrations.AlterField(model_name="order", name="number", field=models.PositiveIntegerField(null=True)),
    ]
