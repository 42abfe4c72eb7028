"""Access: the one answer to "may this person do this here?" (docs/adr/0009-access.md).

Every capability is named once here and mapped to the roles that have it; nothing else in the code compares
role names (a test fails on a role literal anywhere else). The same check sits behind the view decorator
(`capability_required`), services (`capability_check`), templates (`{% if can.order_refund %}`, from the
context processor) and, later, the API's permission class.

Beside it, the two hooks billing fills: `feature_enabled(feature)` (is this part of the product on for the
tenant's plan?) and `limit_check(limit, current_count)` (may one more be created?). Today every feature is on
and no limit binds; callers already ask, so billing only changes the answers.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from pos_project.errors import FORBIDDEN, ServiceError

from .models import Role, User

OWNER, SUPERVISOR, CASHIER, KITCHEN = Role.ADMIN_TENANT, Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN
# A platform super admin in a business's back office during support access (tenants/support.py): the back office
# to look and set up, never the till, approvals, stock or cash movements, staff accounts, devices or timesheets.
SUPPORT = Role.SUPPORT
_MANAGERS = frozenset({OWNER, SUPERVISOR})
_OWNER_AND_SUPPORT = frozenset({OWNER, SUPPORT})
_STAFF = frozenset({OWNER, SUPERVISOR, CASHIER, KITCHEN})

# capability -> (what it lets one do, the roles that have it)
CAPABILITIES: dict[str, tuple[str, frozenset[str]]] = {
    # The till
    "till.use": (
        _("Sell at the till: orders, payments, tabs, receipts, own shift"),
        frozenset({OWNER, SUPERVISOR, CASHIER}),
    ),
    "orders.view_all": (_("See every order and shift, not only this device's"), _MANAGERS),
    "shift.view_other": (_("Read the X/Z report of someone else's shift"), _MANAGERS),
    "shift.close_other": (_("Close a shift someone else opened"), _MANAGERS),
    "shift.take_over": (_("Take over someone else's open shift (audited)"), _MANAGERS),
    "shift.leave_tabs": (_("Approve closing a shift that leaves unpaid tabs open"), _MANAGERS),
    "order.void": (_("Approve a void (a whole order or one item)"), _MANAGERS),
    "order.refund": (_("Approve a refund"), _MANAGERS),
    "discount.over_limit": (_("Approve a discount above the owner's limit"), _MANAGERS),
    "approval.give": (_("Approve at a till with a PIN"), _MANAGERS),
    "catalog.sold_out": (
        _("Mark an item sold out at the till's outlet, or back in stock (audited)"),
        frozenset({OWNER, SUPERVISOR, CASHIER}),
    ),
    "supervisor.console": (_("Open the supervisor console"), _MANAGERS),
    # The kitchen
    "kitchen.use": (_("Work the kitchen display and expo"), frozenset({OWNER, SUPERVISOR, KITCHEN})),
    "kitchen.metrics": (_("See kitchen metrics"), _MANAGERS),
    "kitchen.setup": (_("Set up kitchen stations"), _OWNER_AND_SUPPORT),
    # Stock
    "stock.report_waste": (_("Report waste, damage or a correction"), _STAFF),
    "stock.view": (_("See stock on hand, movements and low stock"), frozenset({OWNER, SUPERVISOR, SUPPORT})),
    "stock.adjust": (_("Adjust stock (one line or in bulk)"), _MANAGERS),
    "stock.adjust_unreviewed": (_("Adjust above the approval threshold without a second person"), frozenset({OWNER})),
    "stock.approve": (_("Approve or reject stock adjustments"), _MANAGERS),
    "stock.transfer": (_("Send, receive and cancel transfers between outlets"), _MANAGERS),
    "stock.purchase": (_("Suppliers, purchase orders and receiving"), _MANAGERS),
    "stock.count": (_("Count stock and post the counts"), _MANAGERS),
    "stock.setup": (_("Stock items, recipes and stock settings"), _OWNER_AND_SUPPORT),
    "stock.low_digest": (_("Receive the daily low-stock e-mail"), frozenset({OWNER})),
    # The back office
    "backoffice.view": (_("Open the back office"), _OWNER_AND_SUPPORT),
    "catalog.edit": (_("Edit the menu: categories, products, options, prices"), _OWNER_AND_SUPPORT),
    "floor.edit": (_("Draw the floor plan"), _OWNER_AND_SUPPORT),
    "settings.edit": (_("Change sales settings and taxes"), _OWNER_AND_SUPPORT),
    # The payment provider's callback secret lets whoever holds it mark payments paid: the owner's alone.
    "payments.configure": (_("Choose the QR payment provider and make its secret"), frozenset({OWNER})),
    "staff.manage": (_("Add staff, change roles, reset passwords and PINs"), frozenset({OWNER})),
    "security.alerts": (
        _("Receive an e-mail when a PIN locks or someone's PIN approvals are paused"),
        frozenset({OWNER}),
    ),
    "outlet.all": (_("Work at every outlet, whatever outlets one is assigned"), frozenset({OWNER})),
    "audit.view": (_("Read the audit log"), _OWNER_AND_SUPPORT),
    "mail.view": (
        _("See the e-mails the business sent or could not send, and send failed ones again"),
        _OWNER_AND_SUPPORT,
    ),  # fmt: skip
    "reports.view": (_("Read sales and shift reports"), frozenset({OWNER, SUPERVISOR, SUPPORT})),
    "reports.email": (_("Get the daily and weekly summary e-mails (when one asks for them)"), frozenset({OWNER})),
    # API keys act for the business without anyone at the keyboard, and webhook secrets vouch for what it sends:
    # the owner's alone to make, rotate and revoke.
    "integrations.manage": (
        _("Set up integrations: make and revoke API keys, see their use; webhook endpoints and their secrets"),
        frozenset({OWNER}),
    ),
    "support.manage": (_("See the platform's support access to this business and end it"), frozenset({OWNER})),
    # Staff switching and the time clock. Owners sign in with their password: a PIN does not open the back office.
    "pin.sign_in": (_("Sign in by PIN on a registered till"), frozenset({SUPERVISOR, CASHIER, KITCHEN})),
    "device.register": (_("Register this browser as a till for PIN sign-in"), _MANAGERS),
    "account.sessions": (_("See one's own signed-in devices and end them"), _STAFF),
    "timeclock.punch": (_("Clock in and out and take breaks with a PIN"), _STAFF),
    "timesheet.view": (_("Read the timesheet and download it as CSV"), frozenset({OWNER})),
}

# Who must sign in with a second factor (accounts/middleware.py): owners always; supervisors and cashiers when
# their business says so (business settings); kitchen staff never (they work a shared display). Platform super
# admins always: the middleware asks this only inside a tenant, and requires it of everyone in the public schema.
_TWO_FACTOR_ALWAYS = frozenset({OWNER})
_TWO_FACTOR_BY_SETTING = {SUPERVISOR: "two_factor_supervisors", CASHIER: "two_factor_cashiers"}


def two_factor_required(user: User | None, setting: Callable[[str], bool]) -> bool:
    """Whether this staff member must have a second factor. `setting(name)` reads the business setting named,
    and is called only for the roles it concerns (a cashier's request reads it, an owner's never)."""
    role = getattr(user, "role", None)
    if role in _TWO_FACTOR_ALWAYS:
        return True
    name = _TWO_FACTOR_BY_SETTING.get(role)
    return bool(name and setting(name))


# Where each role lands after signing in, and the layout its pages (and pages shared by several roles) use.
_HOME = {
    OWNER: "backoffice:dashboard",
    SUPPORT: "backoffice:dashboard",
    SUPERVISOR: "sales:supervisor",
    CASHIER: "sales:till",
    KITCHEN: "kitchen:display",
}
_LAYOUT = {
    OWNER: "layouts/backoffice.html",
    SUPPORT: "layouts/backoffice.html",
    SUPERVISOR: "layouts/supervisor.html",
    CASHIER: "layouts/cashier.html",
    KITCHEN: "layouts/kitchen.html",
}
_NO_ROLE_LAYOUT = "layouts/supervisor.html"


class UnknownCapability(KeyError):
    pass


def _roles(capability: str) -> frozenset[str]:
    try:
        return CAPABILITIES[capability][1]
    except KeyError:
        raise UnknownCapability(capability) from None


def can(user: User | None, capability: str) -> bool:
    """Whether this signed-in, active staff member has the capability. Unknown names are a bug: they raise."""
    roles = _roles(capability)
    return bool(user is not None and user.is_authenticated and user.is_active and getattr(user, "role", None) in roles)


# What a supervisor lends at the till with their PIN (services.approver_verify): a till offers these actions to
# a cashier, and asks for the approval when the cashier lacks the capability.
LENT_WITH_PIN = frozenset({"order.void", "order.refund", "discount.over_limit", "shift.leave_tabs"})


def can_with_approval(user: User | None, capability: str) -> bool:
    """Whether `user` may start an action needing `capability`, by holding it or by asking an approver."""
    return can(user, capability) or (capability in LENT_WITH_PIN and can(user, "till.use"))


def capability_check(user: User | None, capability: str, message: str | None = None) -> None:
    """For services: refuse with a 403 ServiceError (`access.denied`) unless the user has the capability."""
    if not can(user, capability):
        raise ServiceError("access.denied", message or _("Your role cannot do that."), status=FORBIDDEN)


def role_can(role: str | None, capability: str) -> bool:
    """Whether a role has a capability, with nobody in it: what an API key acting as a role may do."""
    return role in _roles(capability)


def roles_with(capability: str) -> frozenset[str]:
    """The roles that have a capability, for queries (`User.objects.filter(role__in=roles_with(...))`)."""
    return _roles(capability)


def users_with(capability: str, *more: str) -> QuerySet[User]:
    """The active people of the current tenant who have a capability (who gets the low-stock e-mail...), and
    each of `more` too (who can approve a refund: "approval.give" and "order.refund")."""
    roles = roles_with(capability)
    for other in more:
        roles = roles & roles_with(other)
    return User.objects.filter(role__in=roles, is_active=True)


# The roles a business's staff can have (platform super admins live in the public schema only).
STAFF_ROLES = (OWNER, SUPERVISOR, CASHIER, KITCHEN)


def staff_roles() -> tuple[tuple[str, str], ...]:
    """The roles a business's staff can have, as (value, label) choices for forms."""
    return tuple((role.value, role.label) for role in STAFF_ROLES)


def is_staff_role(value: str) -> bool:
    return value in STAFF_ROLES


def staff_users() -> QuerySet[User]:
    """Everyone of the current tenant who has a staff role."""
    return User.objects.filter(role__in=STAFF_ROLES)


def support_role() -> str:
    """The role of a business's stand-in for a platform super admin during support access (tenants/support.py)."""
    return SUPPORT


def is_platform_support(user: User | None) -> bool:
    """Whether this is a support stand-in: such a session is valid only while its support grant is."""
    return getattr(user, "role", None) == SUPPORT


def default_staff_role() -> str:
    """The role a new staff member is offered first: the one most staff have."""
    return CASHIER


def owner_role() -> str:
    """The role a new business's first account gets (provisioning)."""
    return OWNER


def home_url_name(user: User | None) -> str:
    """Where a user lands after signing in."""
    return _HOME.get(getattr(user, "role", None), "accounts:login")


def layout_for(user: User | None) -> str:
    """The layout of a user's pages: a page several roles share sits in each one's own layout."""
    return _LAYOUT.get(getattr(user, "role", None), _NO_ROLE_LAYOUT)


def forbidden(request: HttpRequest, message: str = "") -> HttpResponse:
    return render(request, "errors/403.html", {"message": message}, status=403)


def capability_required(capability: str) -> Callable:
    """Let in only signed-in staff with the capability; others get a friendly 403 with a way back.

    The capability is kept on the view (`capability`) so a test walks every URL and checks that no view was
    left unguarded and that each role gets in exactly where the table says.
    """
    _roles(capability)  # an unknown name fails at import, not at the first request

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request.user, capability):
                return forbidden(request)
            return view(request, *args, **kwargs)

        wrapped.capability = capability
        return wrapped

    return decorator


class Capabilities:
    """`can` in templates: `{% if can.order_refund %}` asks for "order.refund" (the first "_" is the dot)."""

    def __init__(self, user: User | None) -> None:
        self._user = user

    def __getitem__(self, name: str) -> bool:
        capability = name.replace("_", ".", 1)
        if capability not in CAPABILITIES:
            raise KeyError(name)
        return can(self._user, capability)

    def __contains__(self, name: str) -> bool:
        return self[name]


# --- Outlets a person works at ----------------------------------------------------------------------------------


def outlets_of(user: User | None) -> frozenset[int] | None:
    """The ids of the outlets `user` may work at, or None for every outlet: owners, and anyone assigned none
    (so a business that never assigns anyone works as before). Read from the user row, which every request
    already has: no query."""
    if user is None or not user.is_authenticated:
        return frozenset()
    if can(user, "outlet.all"):
        return None
    assigned = getattr(user, "outlet_ids", None) or ()
    return frozenset(assigned) or None


def outlet_allowed(user: User | None, outlet_id: int | None) -> bool:
    """Whether `user` may work at the outlet (its kitchen display, its tills and shifts, its orders)."""
    allowed = outlets_of(user)
    return outlet_id is not None and (allowed is None or outlet_id in allowed)


def outlet_check(user: User | None, outlet_id: int | None) -> None:
    """For views: an outlet the person is not assigned to answers the same 404 as one that does not exist."""
    if not outlet_allowed(user, outlet_id):
        raise Http404("No outlet matches the given query.")


def outlet_filter(queryset: QuerySet, user: User | None, field: str = "outlet_id") -> QuerySet:
    """`queryset` narrowed to the outlets `user` works at (`field` leads from its rows to the outlet id)."""
    allowed = outlets_of(user)
    return queryset if allowed is None else queryset.filter(**{f"{field}__in": sorted(allowed)})


# --- Plan hooks (billing fills them) ---------------------------------------------------------------------------


def feature_enabled(feature: str) -> bool:
    """Whether a part of the product (kitchen display, inventory, multi-outlet, api...) is on for the current
    tenant's plan. Every feature is on until billing answers."""
    return True


# What a plan counts, as people call it.
LIMIT_LABELS = {
    "outlets": _("outlets"),
    "staff": _("staff accounts"),
    "registers": _("registers"),
    "products": _("products"),
}


def limit_check(limit: str, current_count: int) -> None:
    """Refuse creating one more of something the plan counts (outlets, staff, registers, products) when
    `current_count` already reaches the plan's limit: a ServiceError `plan.limit_reached` (403) that says so.
    No limit binds until billing answers."""
    maximum = _plan_limit(limit)
    if maximum is not None and current_count >= maximum:
        raise ServiceError(
            "plan.limit_reached",
            _("Your plan allows %(max)d %(what)s. Upgrade the plan or add an add-on to have more.")
            % {"max": maximum, "what": LIMIT_LABELS.get(limit, limit)},
            status=FORBIDDEN,
        )


def _plan_limit(limit: str) -> int | None:
    return None
