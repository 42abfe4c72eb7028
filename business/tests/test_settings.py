from decimal import Decimal

from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role
from business.models import SalesSettings, Tax


def test_owner_sets_service_charge_and_rounding_and_it_is_audited(tenant):
    owner = tenant.client(Role.ADMIN_TENANT)
    form = {
        "service_charge_rate": "5",
        "cash_rounding_unit": "100",
        "cash_rounding_mode": "nearest",
        "discount_limit_percent": "15",
        "receipt_header": "Jl. Sudirman 1",
        "receipt_footer": "Terima kasih",
    }
    assert owner.post("/backoffice/settings/sales/", form).status_code == 302
    with tenant_context(tenant.tenant):
        settings = SalesSettings.objects.get(pk=1)
        assert (settings.service_charge_rate, settings.cash_rounding_unit) == (Decimal(5), 100)
        assert AuditEntry.objects.get(action="settings.sales_update").data["service_charge_rate"] == ["0.00", "5"]


def test_bad_settings_keep_what_was_typed(tenant):
    owner = tenant.client(Role.ADMIN_TENANT)
    response = owner.post(
        "/backoffice/settings/sales/",
        {
            "service_charge_rate": "150",
            "cash_rounding_unit": "0",
            "cash_rounding_mode": "nearest",
            "discount_limit_percent": "10",
            "receipt_footer": "Kept",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "less than or equal to 100" in html and "Kept" in html


def test_taxes_are_added_and_an_impossible_combination_is_explained(tenant):
    owner = tenant.client(Role.ADMIN_TENANT)
    ok = owner.post(
        "/backoffice/settings/taxes/add/",
        {"code": "pb1", "name": "PB1", "rate": "10", "applies_to_service_charge": "on", "is_active": "on"},
    )
    assert ok.status_code == 302
    with tenant_context(tenant.tenant):
        SalesSettings.objects.update_or_create(pk=1, defaults={"service_charge_rate": Decimal(5)})
    clash = owner.post(
        "/backoffice/settings/taxes/add/",
        {
            "code": "PPN",
            "name": "PPN",
            "rate": "11",
            "inclusive": "on",
            "applies_to_service_charge": "on",
            "is_active": "on",
        },
    )
    assert clash.status_code == 400
    assert "cannot also be charged on the service charge" in clash.content.decode()
    taken = owner.post("/backoffice/settings/taxes/add/", {"code": "PB1", "name": "Again", "rate": "10"})
    assert "already used" in taken.content.decode()
    with tenant_context(tenant.tenant):
        assert list(Tax.objects.values_list("code", flat=True)) == ["PB1"]
        assert AuditEntry.objects.filter(action="settings.tax_rate", target_label="PB1").exists()


def test_tenant_settings_are_read_once_cached_per_tenant_and_forgotten_on_change(committed_db, settings):
    """One cached read serves the request path; any change to the rows behind it is seen at once; each tenant
    has its own copy; with Redis down it reads the database and still answers."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from business.selectors import tenant_settings, tenant_settings_forget

    alpha, beta = committed_db
    with tenant_context(alpha.tenant):
        tenant_settings_forget()
        with CaptureQueriesContext(connection) as first:
            assert tenant_settings().currency == alpha.tenant.currency  # the tenant's own: no query
            assert tenant_settings().receipt_footer is not None  # the business's: read once, then cached
        assert sum("business_tax" in q["sql"] for q in first.captured_queries) == 1
        with CaptureQueriesContext(connection) as cached:
            again = tenant_settings()
            assert again.taxes is not None and again.service_charge_rate is not None
        assert len(cached.captured_queries) == 0
        tax = Tax.objects.create(code="TSX", name="Cache check", rate=Decimal(3))
        try:
            assert "TSX" in [t.code for t in tenant_settings().taxes]
            with tenant_context(beta.tenant):
                assert "TSX" not in [t.code for t in tenant_settings().taxes]  # the other tenant's own copy
        finally:
            tax.delete()
        assert "TSX" not in [t.code for t in tenant_settings().taxes]
        assert again.taxes == tenant_settings().taxes
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
        assert tenant_settings().currency == alpha.tenant.currency  # Redis down: from the database


def test_inside_a_transaction_settings_come_from_the_database_and_are_not_cached(tenant):
    """A transaction may roll its change back: what it read must not outlive it in the cache."""
    from django.core.cache import cache

    from business.selectors import tenant_settings

    with tenant_context(tenant.tenant):
        Tax.objects.create(code="ROLLED", name="Rolled back", rate=Decimal(2))
        assert "ROLLED" in [t.code for t in tenant_settings().taxes]
        cached = cache.get("tenant_settings:v1")
        assert cached is None or "ROLLED" not in [t.code for t in cached["taxes"]]


def _sales_form(**changes):
    form = {"service_charge_rate": "0", "cash_rounding_unit": "1", "cash_rounding_mode": "nearest",
            "discount_limit_percent": "10", "receipt_footer": "Kept", "idle_lock_minutes": "0",
            "tips_enabled": "on", "tip_percentages": "5,10,15"}  # fmt: skip
    return {**form, **changes}


def test_owner_sets_the_tip_presets_the_payment_screen_offers(tenant):
    owner = tenant.client(Role.ADMIN_TENANT)
    assert owner.post("/backoffice/settings/sales/", _sales_form(tip_percentages=" 10%, 15 ,20")).status_code == 302
    with tenant_context(tenant.tenant):
        from business.selectors import tenant_settings

        assert tenant_settings().tip_percentages == (10, 15, 20) and tenant_settings().tips_enabled
    till = tenant.client(Role.CASHIER).get("/till/")
    assert till.status_code in (200, 302)


def test_bad_tip_presets_are_refused_and_the_form_keeps_them(tenant):
    owner = tenant.client(Role.ADMIN_TENANT)
    response = owner.post("/backoffice/settings/sales/", _sales_form(tip_percentages="5, ten, 150"))
    assert response.status_code == 400
    assert "whole percentage from 1 to 100" in response.content.decode() and "5, ten, 150" in response.content.decode()
    with tenant_context(tenant.tenant):
        assert SalesSettings.objects.get(pk=1).tip_percentages == "5,10,15"  # the default: nothing saved


def test_owner_turns_off_sending_to_the_kitchen_on_pay_and_it_is_audited(tenant, django_assert_max_num_queries):
    with tenant_context(tenant.tenant):
        from business.models import Outlet

        outlet = Outlet.objects.get(code="MAIN")
    owner = tenant.client(Role.ADMIN_TENANT)
    page = owner.get(f"/backoffice/settings/outlets/{outlet.pk}/")
    assert page.status_code == 200 and "Paying sends the order to the kitchen" in page.content.decode()
    with django_assert_max_num_queries(14):
        response = owner.post(f"/backoffice/settings/outlets/{outlet.pk}/", {"name": "Main shop", "phone": "0361"})
    assert response.status_code == 302
    with tenant_context(tenant.tenant):
        outlet.refresh_from_db()
        assert (outlet.name, outlet.send_to_kitchen_on_pay) == ("Main shop", False)
        assert AuditEntry.objects.get(action="outlet.update").data["send_to_kitchen_on_pay"] == ["True", "False"]


def test_a_cashier_or_another_tenant_cannot_change_an_outlet(tenant, other_tenant):
    with tenant_context(tenant.tenant):
        from business.models import Outlet

        outlet = Outlet.objects.get(code="MAIN")
    assert (
        tenant.client(Role.CASHIER).post(f"/backoffice/settings/outlets/{outlet.pk}/", {"name": "X"}).status_code == 403
    )
    with tenant_context(other_tenant.tenant):
        from business.models import Outlet

        missing = (Outlet.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    assert (
        other_tenant.client(Role.ADMIN_TENANT)
        .post(f"/backoffice/settings/outlets/{missing}/", {"name": "X"})
        .status_code
        == 404
    )
    with tenant_context(tenant.tenant):
        outlet.refresh_from_db()
        assert outlet.name != "X" and outlet.send_to_kitchen_on_pay


def test_an_outlet_needs_a_name(tenant):
    with tenant_context(tenant.tenant):
        from business.models import Outlet

        outlet = Outlet.objects.get(code="MAIN")
    response = tenant.client(Role.ADMIN_TENANT).post(f"/backoffice/settings/outlets/{outlet.pk}/", {"name": " "})
    assert response.status_code == 400
