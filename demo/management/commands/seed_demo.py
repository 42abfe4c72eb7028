import zlib
from base64 import b32decode
from binascii import hexlify
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context, tenant_context

from accounts.models import Role, User
from accounts.services import staff_create, staff_set_pin
from business.models import SalesSettings, Tax
from catalog.services import (
    ModifierSpec,
    category_create,
    modifier_group_create,
    product_create,
    product_set_modifier_groups,
    variant_create,
)
from demo.history import demo_sales_history
from sales.models import QrProviderSettings
from sales.services.qr_settings import qr_provider_set, qr_provider_settings_get
from tenants.models import Tenant
from tenants.selectors import tenant_url
from tenants.services import tenant_provision

DEMO_PASSWORD = "demo1234"  # noqa: S105 - printed on purpose: these are demo logins
# PINs for a registered till's lock screen, the time clock and (supervisor, owner) approvals; printed too.
DEMO_PINS = {"supervisor": "2580", "cashier": "1357", "kitchen": "2468", "owner": "1470"}

# Owners and the platform admin sign in with a second factor. The demo's: this authenticator key (add it to any
# authenticator app: "enter a setup key", time-based) and these backup codes (each once; seeding again renews
# them). Printed on purpose, like the password: a demo, never a real business.
DEMO_TOTP_SECRET = "NNXXA2JNNNUXIYJNMRSW23ZNGJZXIZLQ"  # noqa: S105
DEMO_BACKUP_CODES = tuple(f"demo{n:04d}" for n in range(1, 11))

DEMO_TENANTS = [
    {
        "slug": "cafe",
        "name": "Kopi Kita Café",
        "currency": "IDR",
        # A café: PB1 10% added to the bill, no service charge, cash rounded to Rp 100.
        "service_charge": Decimal(0),
        "options": True,
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
        # An Indonesian restaurant: 5% service, then PB1 10% on food, drinks and the service charge.
        "service_charge": Decimal(5),
        "options": False,
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


def demo_two_factor(user: User) -> None:
    """The demo's authenticator (the printed key) and backup codes for `user`, in the current schema; an
    authenticator the person enrolled themselves is kept."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(
            user=user, name="authenticator", key=hexlify(b32decode(DEMO_TOTP_SECRET)).decode(), confirmed=True
        )
    backup, _created = StaticDevice.objects.get_or_create(user=user, name="backup", defaults={"confirmed": True})
    backup.token_set.all().delete()
    StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in DEMO_BACKUP_CODES)


def demo_barcode(slug: str, sku: str) -> str:
    return f"899{zlib.crc32(f'{slug}:{sku}'.encode()):010d}"


class Command(BaseCommand):
    help = "Create the demo tenants, a staff member of every role in each and a small menu (once)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--history-days", type=int, default=10,
            help="Days of trade before today to make in each new demo business (0: none), for its reports.",
        )  # fmt: skip

    def handle(self, *args, history_days=10, **options):
        self._platform_admin()
        for spec in DEMO_TENANTS:
            tenant = Tenant.objects.filter(slug=spec["slug"]).first()
            if tenant is None:
                tenant = self._create(spec)
                self.stdout.write(f"Seeded {spec['name']}")
            else:
                self.stdout.write(f"Already seeded: {spec['name']}")
            self._pins(tenant)
            self._qr_simulator(tenant)
            with schema_context(tenant.schema_name):
                demo_two_factor(User.objects.get(username="owner"))
            with tenant_context(tenant):
                made = demo_sales_history(days=history_days) if history_days > 0 else 0
                if made:
                    self.stdout.write(f"  {made} orders over the last {history_days} days, for its reports")
        self._print_logins()

    def _platform_admin(self):
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", DEMO_PASSWORD, role=Role.SUPER_ADMIN)
        demo_two_factor(User.objects.get(username="admin"))

    @transaction.atomic
    def _create(self, spec) -> Tenant:
        result = tenant_provision(
            slug=spec["slug"], name=spec["name"], owner_email=f"owner@{spec['slug']}.example", currency=spec["currency"]
        )
        with schema_context(result.tenant.schema_name):
            owner = result.owner
            owner.set_password(DEMO_PASSWORD)
            owner.must_change_password = False
            owner.first_name = "Owner"
            owner.save()
            for username, role, first, last in STAFF:
                staff_create(
                    username=username,
                    role=role,
                    first_name=first,
                    last_name=last,
                    password=DEMO_PASSWORD,
                    must_change_password=False,
                    actor=owner,
                )
            SalesSettings.objects.update_or_create(
                pk=1,
                defaults={
                    "service_charge_rate": spec["service_charge"],
                    "cash_rounding_unit": 100,
                    "receipt_footer": "Terima kasih! Thank you!",
                },
            )
            pb1 = Tax.objects.create(code="PB1", name="PB1", rate=Decimal(10), applies_to_service_charge=True)
            made = {}
            for position, (category_name, products) in enumerate(spec["menu"].items()):
                category = category_create(name=category_name, sort_order=position)
                for index, (name, price) in enumerate(products):
                    sku = f"{category_name[:3].upper()}-{index + 1:03d}"
                    made[name] = product_create(
                        category=category,
                        name=name,
                        sku=sku,
                        price_minor=price,
                        sort_order=index,
                        barcode=demo_barcode(spec["slug"], sku),
                        taxes=[pb1],
                    )
            if spec["options"]:
                self._coffee_options(made)
            self._kitchen_and_stock(spec, made, owner)
        return result.tenant

    def _pins(self, tenant: Tenant) -> None:
        """Give the demo staff their PINs, also in a demo seeded before PINs existed (never changing one set)."""
        with schema_context(tenant.schema_name):
            owner = User.objects.get(username="owner")
            for user in User.objects.filter(username__in=DEMO_PINS, pin_hash=""):
                staff_set_pin(user=user, pin=DEMO_PINS[user.username], actor=owner)

    def _qr_simulator(self, tenant: Tenant) -> None:
        """The demo pays QR charges through the built-in simulator (with a secret made for each demo business),
        where the server allows it; a provider the owner chose since is left alone."""
        if not settings.QR_SIMULATOR_ENABLED:
            return
        with schema_context(tenant.schema_name):
            if qr_provider_settings_get().provider == QrProviderSettings.Provider.OFF:
                qr_provider_set(
                    provider=QrProviderSettings.Provider.SIMULATOR, actor=User.objects.get(username="owner")
                )

    def _kitchen_and_stock(self, spec, made: dict, owner) -> None:
        """Stations, a second outlet, stock items with recipes and opening stock, so the kitchen display, the
        stock pages and transfers have something to show."""
        from business.models import Outlet
        from business.services import outlet_create
        from catalog.models import Category
        from inventory.models import RecipeComponent, StockItem, StockLevel, Supplier
        from inventory.services.stock import MovementLine, movements_post
        from kitchen.services import station_create

        main = Outlet.objects.order_by("pk").first()
        second = outlet_create(name="Harbour Road", code="harbour")
        categories = {c.name: c.pk for c in Category.objects.all()}
        if spec["slug"] == "cafe":
            station_create(
                outlet=main, name="Bar", category_ids=[categories["Coffee"], categories["Tea"]], amber=4, red=8
            )
            station_create(outlet=main, name="Pastry", category_ids=[categories["Pastry"]], amber=3, red=6)
        else:
            station_create(outlet=main, name="Kitchen", category_ids=[categories["Mains"]], amber=10, red=18)
            station_create(outlet=main, name="Bar", category_ids=[categories["Drinks"]], amber=4, red=8)
        supplier = Supplier.objects.create(name="Toko Grosir Jaya", email="orders@grosir.example", phone="021-555-0100")
        items = {
            # name: (unit, purchase unit, factor, cost per base unit in minor units, opening stock, reorder point)
            "Coffee beans": ("g", "kg", 1000, "250", 5000, 1500),
            "Fresh milk": ("ml", "L", 1000, "18", 20000, 5000),
            "Oat milk": ("ml", "L", 1000, "45", 6000, 2000),
            "Palm sugar syrup": ("ml", "bottle 750 ml", 750, "40", 3000, 750),
            "Tea leaves": ("g", "kg", 1000, "180", 2000, 500),
            "Rice": ("g", "kg", 1000, "14", 25000, 5000),
            "Chicken": ("g", "kg", 1000, "55", 8000, 3000),
            "Noodles": ("pcs", "pack of 40", 40, "2500", 80, 30),
            "Butter croissant": ("pcs", "tray of 12", 12, "9000", 24, 10),
            "Banana bread": ("pcs", "loaf of 10", 10, "8000", 6, 8),
        }
        recipes = {
            "Espresso": {"Coffee beans": 18},
            "Cappuccino": {"Coffee beans": 18, "Fresh milk": 150},
            "Caffè latte": {"Coffee beans": 18, "Fresh milk": 200},
            "Kopi susu gula aren": {"Coffee beans": 18, "Fresh milk": 150, "Palm sugar syrup": 30},
            "Teh tarik": {"Tea leaves": 5, "Fresh milk": 100},
            "Matcha latte": {"Fresh milk": 200},
            "Butter croissant": {"Butter croissant": 1},
            "Banana bread": {"Banana bread": 1},
            "Nasi goreng": {"Rice": 200, "Chicken": 50},
            "Mie goreng": {"Noodles": 1, "Chicken": 50},
            "Ayam bakar": {"Chicken": 250, "Rice": 150},
            "Es teh manis": {"Tea leaves": 4},
        }
        used = {item for product, parts in recipes.items() if product in made for item in parts}
        if spec["options"]:
            used.add("Oat milk")
        stock = {}
        for n, (name, (unit, purchase_unit, factor, cost, opening, reorder)) in enumerate(items.items(), start=1):
            if name not in used:
                continue
            stock[name] = StockItem.objects.create(
                name=name, sku=f"STK-{n:03d}", base_unit=unit, purchase_unit=purchase_unit,
                purchase_factor=Decimal(factor), cost=Decimal(cost), default_supplier=supplier,
                kind=StockItem.Kind.PRODUCT if unit == "pcs" and name in made else StockItem.Kind.INGREDIENT,
            )  # fmt: skip
            for outlet, share in ((main, 1), (second, Decimal("0.5"))):
                StockLevel.objects.create(item=stock[name], outlet=outlet, reorder_point=Decimal(reorder) * share)
                opening_line = MovementLine(stock[name].pk, Decimal(opening) * share)
                movements_post(outlet_id=outlet.pk, kind="receiving", user=owner, source_type="opening",
                               note="Opening stock", lines=[opening_line])  # fmt: skip
        RecipeComponent.objects.bulk_create(
            RecipeComponent(product=made[product], item=stock[item], quantity=Decimal(quantity))
            for product, parts in recipes.items()
            if product in made
            for item, quantity in parts.items()
        )
        if spec["options"]:
            from catalog.models import Modifier

            RecipeComponent.objects.create(modifier=Modifier.objects.get(name="Oat milk"), item=stock["Oat milk"],
                                           quantity=Decimal(0), replaces=stock["Fresh milk"])  # fmt: skip
            RecipeComponent.objects.create(modifier=Modifier.objects.get(name="Extra shot"),
                                           item=stock["Coffee beans"], quantity=Decimal(9))  # fmt: skip

    def _coffee_options(self, made: dict) -> None:
        """Sizes and choices on the coffees, so the till's option picker has something to ask."""
        sugar = modifier_group_create(
            name="Sugar",
            min_choices=1,
            max_choices=1,
            modifiers=[ModifierSpec("Normal sugar"), ModifierSpec("Less sugar"), ModifierSpec("No sugar")],
        )
        extras = modifier_group_create(
            name="Extras",
            min_choices=0,
            max_choices=2,
            modifiers=[ModifierSpec("Extra shot", 8000), ModifierSpec("Oat milk", 6000)],
        )
        for name in ("Cappuccino", "Caffè latte", "Kopi susu gula aren"):
            product = made[name]
            variant_create(
                product=product,
                name="Regular",
                sku=f"{product.sku}-R",
                price_minor=product.price_minor,
                sort_order=0,
                is_default=True,  # what the till preselects
            )
            variant_create(
                product=product,
                name="Large",
                sku=f"{product.sku}-L",
                price_minor=product.price_minor + 7000,
                sort_order=1,
            )
            product_set_modifier_groups(product=product, groups=[sugar, extras])

    def _print_logins(self):
        port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
        self.stdout.write("")
        self.stdout.write(
            f"Platform admin: {settings.SITE_SCHEME}://{settings.BASE_DOMAIN}{port}/admin/   admin / {DEMO_PASSWORD}"
        )
        self.stdout.write(
            f"Two-step sign-in (the platform admin and each owner): authenticator key {DEMO_TOTP_SECRET}, "
            f"or a backup code: {', '.join(DEMO_BACKUP_CODES)}"
        )
        for spec in DEMO_TENANTS:
            tenant = Tenant.objects.get(slug=spec["slug"])
            self.stdout.write(f"{tenant.name}: {tenant_url(tenant)}")
            users = ", ".join(["owner", *[s[0] for s in STAFF]])
            self.stdout.write(f"    logins: {users}   password: {DEMO_PASSWORD}")
            pins = ", ".join(f"{name} {pin}" for name, pin in DEMO_PINS.items())
            self.stdout.write(f"    PINs (registered till, time clock, approvals): {pins}")
