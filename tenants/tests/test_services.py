import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from accounts.models import AuditEntry, Role, User
from business.models import Outlet
from tenants.models import Domain, Tenant
from tenants.services import schema_name_for, tenant_provision


def test_provision_creates_schema_domain_owner_and_outlet(db, django_db_setup):
    result = tenant_provision(slug="kopi-satu", name="Kopi Satu", owner_email="Owner@Kopi.example")

    assert result.tenant.schema_name == "t_kopi_satu"
    assert schema_exists("t_kopi_satu")
    assert Domain.objects.get(tenant=result.tenant).domain == "kopi-satu.pos.test"
    assert result.url == "http://kopi-satu.pos.test/"
    assert result.tenant.plan.code == "starter"
    with schema_context("t_kopi_satu"):
        owner = User.objects.get()
        assert owner.role == Role.ADMIN_TENANT
        assert owner.email == "owner@kopi.example"
        assert owner.must_change_password
        assert owner.check_password(result.owner_password)
        assert [o.code for o in Outlet.objects.all()] == ["MAIN"]
        assert AuditEntry.objects.filter(action="staff.create", target_label="owner").exists()


def test_provisioned_schema_has_every_tenant_table_and_no_platform_tables(db, django_db_setup):
    tenant_provision(slug="tables-check", name="Tables", owner_email="o@t.example")
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 't_tables_check'")
        tables = {row[0] for row in cursor.fetchall()}
    assert {"accounts_user", "accounts_auditentry", "business_outlet", "catalog_product", "django_session"} <= tables
    assert not tables & {"tenants_tenant", "tenants_domain", "billing_plan", "django_celery_beat_periodictask"}


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("", "3 to 30 characters"),
        ("ab", "3 to 30 characters"),
        ("Has_Underscore", "3 to 30 characters"),
        ("-leading", "3 to 30 characters"),
        ("trailing-", "3 to 30 characters"),
        ("double--hyphen", "3 to 30 characters"),
        ("x" * 31, "3 to 30 characters"),
        ("1starts-with-digit", "3 to 30 characters"),
        ("ünïcode", "3 to 30 characters"),
        ("admin", "reserved"),
        ("www", "reserved"),
        ("alpha", "already taken"),
    ],
)
def test_bad_or_taken_slug_is_refused_with_a_clear_message(tenant, slug, message):
    tenants_before = Tenant.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        tenant_provision(slug=slug, name="Name", owner_email="o@example.com")
    assert message in " ".join(excinfo.value.message_dict["slug"])
    assert Tenant.objects.count() == tenants_before


def test_every_bad_field_is_reported_at_once(db, django_db_setup):
    with pytest.raises(ValidationError) as excinfo:
        tenant_provision(slug="ok-slug", name="  ", owner_email="not-an-email")
    assert set(excinfo.value.message_dict) == {"name", "owner_email"}
    assert not Tenant.objects.filter(slug="ok-slug").exists()


def test_a_failure_midway_leaves_nothing_behind(db, django_db_setup, monkeypatch):
    """The owner account fails after the schema, tenant and domain exist: all of it must disappear."""

    def broken_staff_create(**kwargs):
        assert schema_exists("t_half_made")  # the schema really was created before the failure
        raise RuntimeError("disk full")

    monkeypatch.setattr("tenants.services.staff_create", broken_staff_create)
    with pytest.raises(RuntimeError, match="disk full"):
        tenant_provision(slug="half-made", name="Half made", owner_email="o@example.com")

    assert not Tenant.objects.filter(slug="half-made").exists()
    assert not Domain.objects.filter(domain="half-made.pos.test").exists()
    assert not schema_exists(schema_name_for("half-made"))


def test_a_clash_caught_by_the_database_rolls_back_the_cloned_schema(tenant, monkeypatch):
    """As when two sign-ups race for one address: the early check passes, the unique constraint fails."""
    Domain.objects.create(domain="late-clash.pos.test", tenant=tenant.tenant, is_primary=False)
    monkeypatch.setattr("tenants.services.tenant_slug_validate", lambda value: value)

    with pytest.raises(ValidationError, match="already taken"):
        tenant_provision(slug="late-clash", name="Late clash", owner_email="o@example.com")

    assert not Tenant.objects.filter(slug="late-clash").exists()
    assert not schema_exists("t_late_clash")


def test_provision_tenant_command_prints_url_and_one_time_password(db, django_db_setup, capsys):
    call_command("provision_tenant", slug="cmd-cafe", name="Cmd Café", owner_email="o@cmd.example")
    out = capsys.readouterr().out
    assert "http://cmd-cafe.pos.test/" in out
    password = next(line for line in out.splitlines() if "One-time password" in line).split()[2]
    with schema_context("t_cmd_cafe"):
        assert User.objects.get(username="owner").check_password(password)


def test_provision_tenant_command_reports_errors_without_creating(db, django_db_setup):
    with pytest.raises(CommandError, match="slug: The address “admin” is reserved"):
        call_command("provision_tenant", slug="admin", name="X", owner_email="o@x.example")
    with pytest.raises(CommandError, match="No plan “gold”"):
        call_command("provision_tenant", slug="gold-cafe", name="X", owner_email="o@x.example", plan="gold")
    assert not Tenant.objects.filter(slug__in=["admin", "gold-cafe"]).exists()


def test_refusals_carry_stable_codes(tenant):
    from pos_project.errors import ServiceError
    from tenants.services import tenant_slug_validate

    with pytest.raises(ServiceError) as excinfo:
        tenant_provision(slug="admin", name=" ", owner_email="o@example.com")
    assert excinfo.value.code == "tenant.invalid" and set(excinfo.value.message_dict) == {"slug", "name"}
    for slug, code in [("a", "tenant.slug_invalid"), ("www", "tenant.slug_reserved"), ("alpha", "tenant.slug_taken")]:
        with pytest.raises(ServiceError) as excinfo:
            tenant_slug_validate(slug)
        assert excinfo.value.code == code and "slug" in excinfo.value.message_dict
