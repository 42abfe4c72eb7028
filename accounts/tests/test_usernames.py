"""Usernames (issue 12, point 14): normalised (NFKC, trimmed) and limited to a safe ASCII set wherever a name is
made (the staff page, provisioning's owner, manage.py), so look-alikes and names nobody can type are refused with
a clear message, and every accepted name signs in."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role, User
from pos_project.errors import ServiceError

REFUSED = ["сupervisor", 'a b<c>"d', "kas ir", "ökonom", "x" * 151, "   "]


@pytest.fixture
def owner(tenant):
    return tenant.client(Role.ADMIN_TENANT)


@pytest.mark.parametrize("username", REFUSED)
def test_the_staff_page_refuses_look_alikes_and_names_nobody_can_type(tenant, owner, username):
    with tenant_context(tenant.tenant):
        people = User.objects.count()
    response = owner.post("/backoffice/staff/", {"username": username, "role": Role.CASHIER, "first_name": "Eve"})
    assert response.status_code == 400
    html = response.content.decode()
    assert response.context["form"].errors["username"]
    if username.strip() and len(username) <= 150:
        assert "A username may use only the letters a–z and A–Z, digits and . _ - @" in html
    assert 'value="Eve"' in html  # what was typed stays
    with tenant_context(tenant.tenant):
        assert User.objects.count() == people
        assert not AuditEntry.objects.filter(action="staff.create", target_label=username).exists()


def test_a_full_width_or_padded_name_is_stored_normalised_and_signs_in(tenant, owner):
    response = owner.post("/backoffice/staff/", {"username": " ｎｅｗ.ｂｉｅ ", "role": Role.CASHIER})
    assert response.status_code == 201
    password = response.context["password"]
    with tenant_context(tenant.tenant):
        assert User.objects.filter(username="new.bie").exists()
    client = tenant.client()
    signed_in = client.post("/login/", {"username": "new.bie", "password": password})
    assert signed_in.status_code == 302 and client.session["_auth_user_id"]
    assert client.get("/till/")["Location"] == "/password/"  # a one-time password: change it first


def test_a_name_differing_only_in_case_or_width_is_already_taken(in_tenant):
    from accounts.services import staff_create

    for taken in ("CASHIER", "ｃａｓｈｉｅｒ", " cashier"):
        with pytest.raises(ServiceError) as refused:
            staff_create(username=taken, role=Role.CASHIER, actor=None)
        assert "already in use" in refused.value.message_dict["username"][0]


def test_provisioning_refuses_a_bad_owner_name_before_making_anything(db, django_db_setup):
    from tenants.models import Tenant
    from tenants.services import tenant_provision

    with pytest.raises(ServiceError) as refused:
        tenant_provision(slug="lookalike", name="Look Alike", owner_email="o@look.example", owner_username="оwner")
    assert "A username may use only" in refused.value.message_dict["owner_username"][0]
    assert not Tenant.objects.filter(slug="lookalike").exists()
    with pytest.raises(CommandError, match="owner_username: A username may use only"):
        call_command("provision_tenant", slug="lookalike", name="L", owner_email="o@l.example",
                     owner_username="a b")  # fmt: skip
    assert not Tenant.objects.filter(slug="lookalike").exists()


def test_manage_py_createsuperuser_refuses_a_look_alike(db, monkeypatch):
    assert connection.schema_name == "public"
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-admin-pass-91")
    with pytest.raises(CommandError, match="A username may use only"):
        call_command("createsuperuser", interactive=False, username="аdmin", email="a@example.com", verbosity=0)
    call_command("createsuperuser", interactive=False, username="ops.admin", email="o@example.com", verbosity=0)
    assert User.objects.filter(username="ops.admin").exists() and not User.objects.filter(username="аdmin").exists()
