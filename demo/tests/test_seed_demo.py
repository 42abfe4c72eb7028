from datetime import timedelta

from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django_tenants.utils import schema_context, tenant_context

from accounts.models import Role, User
from catalog.models import Product
from kitchen.models import Ticket
from sales.models import QrProviderSettings
from sales.providers import SimulatorProvider, get_provider
from tenants.models import Tenant


def test_seed_demo_makes_two_tenants_with_every_role_once(db, django_db_setup, capsys):
    call_command("seed_demo", "--history-days", "3")
    call_command("seed_demo", "--history-days", "3")  # a second run changes nothing
    out = capsys.readouterr().out
    assert "Already seeded: Kopi Kita Café" in out and "http://cafe.pos.test/" in out
    assert Tenant.objects.filter(slug__in=["cafe", "bistro"]).count() == 2
    secrets = set()
    for schema in ("t_cafe", "t_bistro"):
        with schema_context(schema):
            roles = set(User.objects.values_list("role", flat=True))
            assert roles == {Role.ADMIN_TENANT, Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN}
            assert User.objects.get(username="cashier").check_password("demo1234")
            assert check_password("2580", User.objects.get(username="supervisor").pin_hash)  # the README's PIN
            assert Product.objects.filter(taxes__code="PB1").exists()
            # The demo's QR payments go to the built-in simulator, with a secret of each business's own.
            qr = QrProviderSettings.objects.get()
            assert qr.provider == "simulator" and qr.secret_schema == schema and qr.secret not in secrets
            assert isinstance(get_provider(), SimulatorProvider)
            secrets.add(qr.secret)
    with schema_context("t_cafe"):
        latte = Product.objects.get(name="Caffè latte")
        assert latte.variants.count() == 2 and latte.modifier_groups.count() == 2
        assert latte.variants.get(is_default=True).name == "Regular"  # the size the till preselects
        from inventory.models import RecipeComponent, StockLevel
        from inventory.tests.stock_helpers import assert_ledger_consistent
        from kitchen.models import Station

        assert RecipeComponent.objects.filter(product=latte).count() == 2
        assert set(Station.objects.values_list("name", flat=True)) == {"Bar", "Pastry"}
        assert StockLevel.objects.filter(item__name="Coffee beans").count() == 2  # both outlets stocked
        assert_ledger_consistent()
    # Three days of trade before today, made by the till's services, in the reports (roll-ups agree with orders).
    from reports.selectors import Period, rollups_reconcile, sales_totals
    from sales.models import Order, OrderCounter
    from sales.services.shifts import business_date_now

    for tenant in Tenant.objects.filter(slug__in=["cafe", "bistro"]):
        with tenant_context(tenant):
            today = business_date_now()
            days = set(Order.objects.values_list("business_date", flat=True))
            assert len(days) == 3 and max(days) == today - timedelta(days=1)
            assert not OrderCounter.objects.filter(business_date=today).exists()  # today's orders start at #1
            paid = Order.objects.filter(status__in=["paid", "refunded"])
            totals = sales_totals(period=Period(today - timedelta(days=3), today))
            assert totals["orders"] == paid.count() > 15
            assert totals["total_minor"] == sum(paid.values_list("total_minor", flat=True))
            assert rollups_reconcile(start=today - timedelta(days=3), end=today) == []
            assert not Ticket.objects.filter(status="new").exists()  # the kitchen display starts empty


def test_the_demo_owner_and_admin_sign_in_with_the_printed_key_or_a_backup_code(db, django_db_setup, capsys):
    from base64 import b32decode
    from binascii import hexlify

    from django.test import Client

    from conftest import totp_code
    from demo.management.commands.seed_demo import DEMO_BACKUP_CODES, DEMO_PASSWORD, DEMO_TOTP_SECRET

    call_command("seed_demo", "--history-days", "0")
    out = capsys.readouterr().out
    assert DEMO_TOTP_SECRET in out and DEMO_BACKUP_CODES[0] in out
    key = hexlify(b32decode(DEMO_TOTP_SECRET)).decode()
    owner = Client(HTTP_HOST="cafe.pos.test")
    assert owner.post("/login/", {"username": "owner", "password": DEMO_PASSWORD})["Location"] == "/login/verify/"
    assert owner.post("/login/verify/", {"token": totp_code(key)})["Location"] == "/backoffice/"
    assert owner.get("/backoffice/").status_code == 200
    admin = Client(HTTP_HOST="pos.test")
    admin.post("/login/?next=/admin/", {"username": "admin", "password": DEMO_PASSWORD})
    assert admin.post("/login/verify/", {"token": DEMO_BACKUP_CODES[0]})["Location"] == "/admin/"
    assert admin.get("/admin/").status_code == 200
