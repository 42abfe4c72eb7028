"""Each layout's navigation as one list of (url, label, capability); a link shows only to those who may follow it.

Layouts and tab bars render these with `{% navigation "<name>" %}` (accounts/templatetags/navigation.py), so a
page's guard and its link can never disagree: both ask `accounts.access.can` about the same capability.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    url: str  # a URL name
    label: str
    capability: str
    # Marks the link current: URL names, "ns:*" (a whole namespace) or "ns:prefix*" (names starting so).
    active: tuple[str, ...] = ()
    # Context variables: `args` are passed to the URL; the link shows only when `requires` is truthy.
    args: tuple[str, ...] = ()
    requires: str = ""
    accesskey: str = ""
    download: bool = False
    separator_before: bool = False


NAVIGATION: dict[str, tuple[NavItem, ...]] = {
    "cashier": (
        NavItem("sales:till", _("Till"), "till.use", active=("sales:till",), accesskey="t"),
        NavItem("sales:history", _("Orders"), "till.use", requires="shift.is_open"),
        NavItem("sales:cash_movement", _("Cash in/out"), "till.use", requires="shift.is_open"),
        NavItem("sales:shift_report", _("X report"), "till.use", requires="shift.is_open", args=("shift.pk",)),
        NavItem("sales:shift_close", _("Close shift"), "till.use", requires="shift.is_open"),
        NavItem(
            "inventory:adjustment_create", _("Waste"), "stock.report_waste", active=("inventory:adjustment_create",)
        ),
        NavItem("sales:supervisor", _("Supervisor"), "supervisor.console"),
    ),
    "kitchen": (
        NavItem("kitchen:display", _("Tickets"), "kitchen.use", active=("kitchen:display",)),
        NavItem("kitchen:expo", _("Expo"), "kitchen.use", active=("kitchen:expo",)),
        NavItem(
            "inventory:adjustment_create", _("Waste"), "stock.report_waste", active=("inventory:adjustment_create",)
        ),
    ),
    "supervisor": (
        NavItem("sales:supervisor", _("Console"), "supervisor.console", active=("sales:supervisor",)),
        NavItem(
            "sales:history", _("Orders & shifts"), "orders.view_all", active=("sales:history", "sales:order_detail")
        ),
        NavItem("reports:index", _("Reports"), "reports.view", active=("reports:*",)),
        NavItem("sales:till", _("Till"), "till.use"),
        NavItem("kitchen:display", _("Kitchen display"), "kitchen.use"),
        NavItem("inventory:stock_list", _("Stock"), "stock.view", active=("inventory:*",)),
        NavItem("inventory:adjustment_approvals", _("Stock approvals"), "stock.approve"),
        NavItem("kitchen:metrics", _("Kitchen metrics"), "kitchen.metrics", active=("kitchen:metrics",)),
        NavItem("accounts:device", _("Register this till"), "device.register", active=("accounts:device",)),
        NavItem("backoffice:dashboard", _("Back office"), "backoffice.view"),
    ),
    "backoffice": (
        NavItem("backoffice:dashboard", _("Dashboard"), "backoffice.view", active=("backoffice:dashboard",)),
        NavItem("reports:index", _("Reports"), "reports.view", active=("reports:*",)),
        NavItem("catalog:product_list", _("Menu & catalog"), "catalog.edit", active=("catalog:*",)),
        NavItem("inventory:stock_list", _("Stock"), "stock.view", active=("inventory:*",)),
        NavItem("accounts:staff_index", _("Staff"), "staff.manage", active=("accounts:staff_*",)),
        NavItem("timeclock:timesheet", _("Timesheet"), "timesheet.view", active=("timeclock:*",)),
        NavItem("sales:floor_admin", _("Floor plan"), "floor.edit", active=("sales:floor_admin",)),
        NavItem("kitchen:stations", _("Kitchen stations"), "kitchen.setup", active=("kitchen:station*",)),
        NavItem("business:sales_settings", _("Sales settings"), "settings.edit", active=("business:*",)),
        NavItem("sales:qr_settings", _("QR payments"), "payments.configure", active=("sales:qr_settings",)),
        NavItem("accounts:audit_index", _("Audit log"), "audit.view", active=("accounts:audit_index",)),
        NavItem("backoffice:email_log", _("E-mail log"), "mail.view", active=("backoffice:email_*",)),
        NavItem("api_keys:list", _("API keys"), "integrations.manage", active=("api_keys:*",)),
        NavItem("webhooks:list", _("Webhooks"), "integrations.manage", active=("webhooks:*",)),
        NavItem("tenants:support_index", _("Support access"), "support.manage", active=("tenants:support_*",)),
        NavItem("sales:supervisor", _("Supervisor console"), "supervisor.console", separator_before=True),
        NavItem("sales:till", _("Till"), "till.use"),
        NavItem("kitchen:display", _("Kitchen display"), "kitchen.use"),
        NavItem("kitchen:expo", _("Expo"), "kitchen.use"),
        NavItem("kitchen:metrics", _("Kitchen metrics"), "kitchen.metrics"),
    ),
    # Tab bars inside a section.
    "catalog": (
        NavItem(
            "catalog:product_list", _("Products"), "catalog.edit", active=("catalog:product_*", "catalog:variant_edit")
        ),  # fmt: skip
        NavItem("catalog:category_list", _("Categories"), "catalog.edit", active=("catalog:category_*",)),
        NavItem(
            "catalog:modifier_group_list", _("Modifier groups"), "catalog.edit", active=("catalog:modifier_group_*",)
        ),  # fmt: skip
        NavItem("catalog:catalog_import", _("Import CSV"), "catalog.edit", active=("catalog:catalog_import",)),
        NavItem("catalog:catalog_export", _("Export CSV"), "catalog.edit", download=True),
    ),
    "stock": (
        NavItem("inventory:stock_list", _("On hand"), "stock.view", active=("inventory:stock_list",)),
        NavItem("inventory:movement_list", _("Movements"), "stock.view", active=("inventory:movement_list",)),
        NavItem("inventory:low_stock", _("Low stock"), "stock.view", active=("inventory:low_stock",)),
        NavItem("inventory:adjustment_list", _("Adjustments"), "stock.adjust", active=("inventory:adjustment_*",)),
        NavItem("inventory:transfer_list", _("Transfers"), "stock.transfer", active=("inventory:transfer_*",)),
        NavItem(
            "inventory:purchase_order_list",
            _("Purchase orders"),
            "stock.purchase",
            active=("inventory:purchase_order_*",),
        ),  # fmt: skip
        NavItem("inventory:supplier_list", _("Suppliers"), "stock.purchase", active=("inventory:supplier_*",)),
        NavItem("inventory:count_list", _("Counts"), "stock.count", active=("inventory:count_*",)),
        NavItem("inventory:stock_item_list", _("Stock items"), "stock.setup", active=("inventory:stock_item_*",)),
        NavItem("inventory:recipe_list", _("Recipes"), "stock.setup", active=("inventory:recipe_*",)),
        NavItem("inventory:stock_settings", _("Settings"), "stock.setup", active=("inventory:stock_settings",)),
    ),
}


def is_active(item: NavItem, namespace: str, url_name: str) -> bool:
    for pattern in item.active:
        space, _sep, name = pattern.partition(":")
        if space != namespace:
            continue
        if name == "*" or name == url_name or (name.endswith("*") and url_name.startswith(name[:-1])):
            return True
    return False
