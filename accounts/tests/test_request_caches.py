"""A signed-in request finds its tenant, session and user in caches, and a change to any of them counts at once.

Committed (`committed_db`): outside a transaction the caches are used, as in production."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from accounts.models import Role
from accounts.services import staff_update
from tenants.models import Tenant

LOOKUPS = ("tenants_domain", "django_session", "accounts_user")


def _lookups(queries) -> list[str]:
    return [q["sql"][:80] for q in queries.captured_queries if any(table in q["sql"] for table in LOOKUPS)]


def test_a_signed_in_request_reads_no_tenant_session_or_user_row(committed_db):
    alpha, _ = committed_db
    owner = alpha.client(Role.ADMIN_TENANT)
    owner.get("/backoffice/staff/")  # the first request fills the caches
    with CaptureQueriesContext(connection) as queries:
        assert owner.get("/backoffice/staff/").status_code == 200
    assert not any("tenants_domain" in q or "django_session" in q for q in _lookups(queries))
    # The staff page lists users itself: what must be gone is the lookup of the signed-in user by id.
    owner_pk = alpha.users[Role.ADMIN_TENANT].pk
    assert not any(f'"accounts_user"."id" = {owner_pk}' in q["sql"] for q in queries.captured_queries)


def test_a_verified_owner_request_reads_no_device_row_and_the_cache_holds_no_secret(committed_db):
    """The second factor's device is read from the cache like the user (accounts.middleware.CachedOTPMiddleware),
    and without its TOTP key."""
    from django.core.cache import cache

    from accounts.middleware import otp_device_cache_key

    alpha, _ = committed_db
    owner = alpha.client(Role.ADMIN_TENANT)
    owner.get("/backoffice/")  # the first request fills the caches
    with CaptureQueriesContext(connection) as queries:
        assert owner.get("/backoffice/").status_code == 200
    assert not [q for q in queries.captured_queries if "otp_totp" in q["sql"]]
    with tenant_context(alpha.tenant):
        cached = cache.get(otp_device_cache_key(owner.session["otp_device_id"]))
    assert cached is not None and "key" in cached.get_deferred_fields()


def test_a_deactivated_person_is_signed_out_at_the_next_request(committed_db):
    alpha, _ = committed_db
    cashier = alpha.users[Role.CASHIER]
    till = alpha.client(Role.CASHIER)
    till.get("/till/")
    till.get("/till/")  # cached now
    with tenant_context(alpha.tenant):
        staff_update(user=cashier, actor=alpha.users[Role.ADMIN_TENANT], role=cashier.role, is_active=False,
                     first_name=cashier.first_name)  # fmt: skip
    try:
        assert till.get("/till/")["Location"].startswith("/login/")
    finally:
        with tenant_context(alpha.tenant):
            staff_update(user=cashier, actor=alpha.users[Role.ADMIN_TENANT], role=cashier.role, is_active=True,
                         first_name=cashier.first_name)  # fmt: skip


def test_a_new_password_ends_other_sessions_at_once(committed_db):
    alpha, _ = committed_db
    supervisor = alpha.users[Role.SUPERVISOR]
    other_device = alpha.client(Role.SUPERVISOR)
    assert other_device.get("/supervisor/").status_code == 200
    with tenant_context(alpha.tenant):
        old_hash = supervisor.password
        supervisor.set_password("a-brand-new-passphrase")
        supervisor.save(update_fields=["password"])
    try:
        assert other_device.get("/supervisor/")["Location"].startswith("/login/")
    finally:
        with tenant_context(alpha.tenant):
            supervisor.password = old_hash
            supervisor.save(update_fields=["password"])


def test_a_deactivated_business_is_refused_at_once_in_this_process(committed_db):
    alpha, _ = committed_db
    client = alpha.client()
    assert client.get("/login/").status_code == 200  # the tenant is cached now
    business = Tenant.objects.get(pk=alpha.tenant.pk)
    business.is_active = False
    business.save(update_fields=["is_active"])
    try:
        assert client.get("/login/").status_code == 403
    finally:
        business.is_active = True
        business.save(update_fields=["is_active"])
    assert client.get("/login/").status_code == 200
