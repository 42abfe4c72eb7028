import zlib

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import schema_context

from accounts.models import Role, User
from accounts.services import staff_create
from inventory.services import category_create, product_create
from tenants.models import Tenant
from tenants.selectors import tenant_url
from tenants.services import tenant_provision

DEMO_PASSWORD = "demo1234"  # noqa: S105 - printed on purpose: these are demo logins

DEMO_TENANTS = [
    {
        "slug": "cafe",
        "name": "Kopi Kita Café",
        "currency": "IDR",
        "menu": {
            "Coffee": [
                ("Espresso", 22000),
                ("Cappuccino", 32000),
                ("Caffè latte", 35000),
                ("Kopi susu gula aren", 28000),
            ],
            "Tea": [("Teh tarik", 20000), ("Matcha latte", 36000)],
            "Pastry": [("Butter croissant", 25000), ("Banana bread", 27000)],
        },
    },
    {
        "slug": "bistro",
        "name": "Warung Bistro",
        "currency": "IDR",
        "menu": {
            "Mains": [("Nasi goreng", 45000), ("Mie goreng", 42000), ("Ayam bakar", 55000)],
            "Drinks": [("Es teh manis", 10000), ("Jus alpukat", 25000)],
        },
    },
]
STAFF = [
    ("supervisor", Role.SUPERVISOR, "Sari", "Supervisor"),
    ("cashier", Role.CASHIER, "Budi", "Cashier"),
    ("kitchen", Role.KITCHEN, "Dewi", "Kitchen"),
]


def demo_barcode(slug: str, sku: str) -> str:
    return f"899{zlib.crc32(f'{slug}:{sku}'.encode()):010d}"


class Command(BaseCommand):
    help = "Create the demo tenants, a staff member of every role in each and a small menu (once)."

    def handle(self, *args, **options):
        self._platform_admin()
        for spec in DEMO_TENANTS:
            tenant = Tenant.objects.filter(slug=spec["slug"]).first()
            if tenant is None:
                tenant = self._create(spec)
                self.stdout.write(f"Seeded {spec['name']}")
            else:
                self.stdout.write(f"Already seeded: {spec['name']}")
        self._print_logins()

    def _platform_admin(self):
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", DEMO_PASSWORD, role=Role.SUPER_ADMIN)

    @transaction.atomic
    def _create(self, spec) -> Tenant:
        result = tenant_provision(slug=spec["slug"], name=spec["name"], owner_email=f"owner@{spec['slug']}.example",
                                  currency=spec["currency"])  # fmt: skip
        with schema_context(result.tenant.schema_name):
            owner = result.owner
            owner.set_password(DEMO_PASSWORD)
            owner.must_change_password = False
            owner.first_name = "Owner"
            owner.save()
            for username, role, first, last in STAFF:
                staff_create(username=username, role=role, first_name=first, last_name=last,
                             password=DEMO_PASSWORD, must_change_password=False, actor=owner)  # fmt: skip
            for position, (category_name, products) in enumerate(spec["menu"].items()):
                category = category_create(name=category_name, sort_order=position)
                for index, (name, price) in enumerate(products):
                    sku = f"{category_name[:3].upper()}-{index + 1:03d}"
                    product_create(category=category, name=name, sku=sku, price_minor=price, sort_order=index,
                                   barcode=demo_barcode(spec["slug"], sku))  # fmt: skip
        return result.tenant

    def _print_logins(self):
        port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
        self.stdout.write("")
        self.stdout.write(f"Platform admin: {settings.SITE_SCHEME}://{settings.BASE_DOMAIN}{port}/admin/   "
                          f"admin / {DEMO_PASSWORD}")  # fmt: skip
        for spec in DEMO_TENANTS:
            tenant = Tenant.objects.get(slug=spec["slug"])
            self.stdout.write(f"{tenant.name}: {tenant_url(tenant)}")
            users = ", ".join(["owner", *[s[0] for s in STAFF]])
            self.stdout.write(f"    logins: {users}   password: {DEMO_PASSWORD}")
