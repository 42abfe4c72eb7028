"""The access module is the one place that knows roles: capabilities, plan hooks, and the rule's own guard."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import RequestFactory

from accounts.access import (
    CAPABILITIES,
    LENT_WITH_PIN,
    Capabilities,
    UnknownCapability,
    can,
    can_with_approval,
    capability_check,
    capability_required,
    feature_enabled,
    limit_check,
    roles_with,
)
from accounts.models import Role
from accounts.navigation import NAVIGATION
from pos_project.errors import ServiceError

ROOT = Path(settings.BASE_DIR)
# Where a role may be named: its definition, the access module that maps roles to capabilities, and data that
# must say which role a person has (tests signing in as one, the demo seed, benchmarks), never to decide access.
ALLOWED = {"accounts/access.py", "accounts/models.py"}
EXEMPT_PARTS = {"migrations", "tests", ".venv", "var", "staticfiles", "test-artifacts", "node_modules"}
EXEMPT_TOP = {"demo", "bench", "loadtest", "conftest.py", "locale", "docs"}
ROLE_PATTERNS = [
    re.compile(r"\bRole\.\w+"),
    re.compile(r"[\"'](?:%s)[\"']" % "|".join(role.value for role in Role)),  # noqa: UP031
    re.compile(r"\.role\s*(?:==|!=|\bnot in\b|\bin\b)"),
    re.compile(r"\brole__in\b"),
    re.compile(r"\b[A-Z]+_ROLES\b"),
]


def _source_files():
    for path in ROOT.rglob("*"):
        if path.suffix not in (".py", ".html") or not path.is_file():
            continue
        relative = path.relative_to(ROOT)
        if relative.parts[0] in EXEMPT_TOP or EXEMPT_PARTS & set(relative.parts):
            continue
        if relative.parts[:2] == ("pos_project", "testing"):
            continue
        yield relative.as_posix(), path.read_text(encoding="utf-8")


def test_no_role_is_named_outside_the_access_module():
    found = [
        f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {match.group(0)}"
        for name, text in _source_files()
        if name not in ALLOWED
        for pattern in ROLE_PATTERNS
        for match in pattern.finditer(text)
    ]
    assert found == [], "ask accounts.access (can, capability_required, roles_with) instead:\n" + "\n".join(found)


def test_every_capability_a_template_or_navigation_asks_for_exists():
    asked = {
        (name, m.group(1).replace("_", ".", 1))
        for name, text in _source_files()
        if name.endswith(".html")
        for m in re.finditer(r"\bcan\.(\w+)", text)
    }
    asked |= {(f"navigation {nav}", item.capability) for nav, items in NAVIGATION.items() for item in items}
    unknown = sorted(f"{where}: {capability}" for where, capability in asked if capability not in CAPABILITIES)
    assert unknown == []


def test_an_unknown_capability_is_a_bug_not_a_no():
    with pytest.raises(UnknownCapability):
        can(None, "order.refundd")
    with pytest.raises(UnknownCapability):
        capability_required("nope.nothing")


@pytest.mark.parametrize(
    ("role", "capability", "expected"),
    [
        (Role.CASHIER, "till.use", True),
        (Role.CASHIER, "order.refund", False),
        (Role.CASHIER, "stock.report_waste", True),
        (Role.KITCHEN, "till.use", False),
        (Role.KITCHEN, "kitchen.use", True),
        (Role.SUPERVISOR, "order.refund", True),
        (Role.SUPERVISOR, "catalog.edit", False),
        (Role.SUPERVISOR, "stock.adjust_unreviewed", False),
        (Role.ADMIN_TENANT, "catalog.edit", True),
        (Role.ADMIN_TENANT, "shift.close_other", True),
        (Role.SUPER_ADMIN, "till.use", False),  # platform admins run the platform, not a business's till
        # Support access: the back office to look and set up, no till, approvals, stock movements or staff.
        (Role.SUPPORT, "catalog.edit", True),
        (Role.SUPPORT, "audit.view", True),
        (Role.SUPPORT, "till.use", False),
        (Role.SUPPORT, "order.refund", False),
        (Role.SUPPORT, "stock.adjust", False),
        (Role.SUPPORT, "staff.manage", False),
        (Role.SUPPORT, "support.manage", False),
        (Role.SUPPORT, "device.register", False),
    ],
)
def test_roles_map_to_capabilities_in_one_table(tenant, role, capability, expected):
    user = tenant.users.get(role) or type("Admin", (), {"is_authenticated": True, "is_active": True, "role": role})()
    assert can(user, capability) is expected
    assert (role in roles_with(capability)) is expected


def test_inactive_or_anonymous_people_can_do_nothing(tenant):
    from django.contrib.auth.models import AnonymousUser

    owner = tenant.users[Role.ADMIN_TENANT]
    owner.is_active = False
    try:
        assert not any(can(owner, capability) for capability in CAPABILITIES)
    finally:
        owner.is_active = True
    assert not any(can(AnonymousUser(), capability) for capability in CAPABILITIES)
    assert not can(None, "till.use")


def test_services_and_templates_ask_the_same_question(tenant):
    cashier, supervisor = tenant.users[Role.CASHIER], tenant.users[Role.SUPERVISOR]
    with pytest.raises(ServiceError) as refused:
        capability_check(cashier, "order.refund")
    assert refused.value.code == "access.denied" and refused.value.status == 403
    capability_check(supervisor, "order.refund")
    template = Template("{% if can.order_refund %}refund{% endif %}|{% if can.till_use %}till{% endif %}")
    assert template.render(Context({"can": Capabilities(cashier)})) == "|till"
    assert template.render(Context({"can": Capabilities(supervisor)})) == "refund|till"
    # A cashier is offered what a supervisor can lend with a PIN; the kitchen is not.
    assert all(can_with_approval(cashier, capability) for capability in LENT_WITH_PIN)
    assert not can_with_approval(tenant.users[Role.KITCHEN], "order.refund")


def test_the_view_decorator_records_its_capability_and_refuses_with_a_friendly_page(tenant):
    @capability_required("backoffice.view")
    def page(request):
        from django.http import HttpResponse

        return HttpResponse("ok")

    assert page.capability == "backoffice.view"
    request = RequestFactory().get("/x/")
    request.user = tenant.users[Role.CASHIER]
    response = page(request)
    assert response.status_code == 403 and b"This page is not for your role" in response.content
    request.user = tenant.users[Role.ADMIN_TENANT]
    assert page(request).content == b"ok"


def test_the_plan_hooks_answer_yes_until_billing_fills_them():
    assert feature_enabled("kitchen_display") and feature_enabled("api")
    limit_check("outlets", 10_000)  # no limit binds yet: nothing raised
