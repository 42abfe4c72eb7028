"""The plan-limit hook at each place that creates something a plan counts (`accounts.access.limit_check`).

No limit binds until billing answers; here `_plan_limit` is made to answer for one limit, so the create that
would go past it is refused with `plan.limit_reached` (403) and makes nothing. Only active things count: switching
one off frees its place.
"""

import pytest

from accounts import access
from accounts.models import AuditEntry, Role, User
from accounts.services import staff_create
from business.models import Outlet
from business.services import outlet_create
from pos_project.errors import ServiceError, error_body
from sales.models import Register
from sales.services.shifts import register_create


def _limit(monkeypatch, name: str, maximum: int) -> None:
    monkeypatch.setattr(access, "_plan_limit", lambda limit: maximum if limit == name else None)


def _assert_limit_reached(excinfo) -> None:
    assert excinfo.value.code == "plan.limit_reached" and excinfo.value.status == 403
    assert "Upgrade the plan" in error_body(excinfo.value)["error"]["message"]


def test_staff_past_the_plan_limit_are_refused_and_nothing_is_made(in_tenant, monkeypatch):
    active = User.objects.filter(is_active=True).count()
    _limit(monkeypatch, "staff", active + 1)
    staff_create(username="last-seat", role=Role.CASHIER, actor=None)
    with pytest.raises(ServiceError) as excinfo:
        staff_create(username="one-too-many", role=Role.CASHIER, actor=None)
    _assert_limit_reached(excinfo)
    assert not User.objects.filter(username="one-too-many").exists()
    assert not AuditEntry.objects.filter(action="staff.create", target_label="one-too-many").exists()
    User.objects.filter(username="last-seat").update(is_active=False)
    assert staff_create(username="one-too-many", role=Role.CASHIER, actor=None).pk


def test_outlets_past_the_plan_limit_are_refused_and_nothing_is_made(in_tenant, monkeypatch):
    active = Outlet.objects.filter(is_active=True).count()
    _limit(monkeypatch, "outlets", active + 1)
    outlet_create(name="Harbour", code="HRB")
    with pytest.raises(ServiceError) as excinfo:
        outlet_create(name="Airport", code="AIR")
    _assert_limit_reached(excinfo)
    assert not Outlet.objects.filter(code="AIR").exists()
    Outlet.objects.filter(code="HRB").update(is_active=False)
    assert outlet_create(name="Airport", code="AIR").pk


def test_registers_past_the_plan_limit_are_refused_and_nothing_is_made(in_tenant, monkeypatch):
    outlet = Outlet.objects.get(code="MAIN")
    active = Register.objects.filter(is_active=True).count()
    _limit(monkeypatch, "registers", active + 1)
    register_create(outlet=outlet, name="Bar till")
    with pytest.raises(ServiceError) as excinfo:
        register_create(outlet=outlet, name="Terrace till")
    _assert_limit_reached(excinfo)
    assert not Register.objects.filter(name="Terrace till").exists()
    Register.objects.filter(name="Bar till").update(is_active=False)
    assert register_create(outlet=outlet, name="Terrace till").pk
