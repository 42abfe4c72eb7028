"""Fixtures shared by every app's tests.

Two tenants (`tenant`, `other_tenant`) and a staff member of every role in each are created once per test
session, committed, in the real PostgreSQL test database. Tests run inside a transaction that is rolled back,
so what a test writes disappears, and the session's tenants stay. Tests that need committed data (a real
Celery worker, a browser against a server process, racing connections) use `committed_db` and clean up after
themselves; `transactional_db` is avoided because its flush would empty the shared platform tables.
"""

import time
from binascii import unhexlify
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context, tenant_context

from accounts.models import Role, User

STAFF_PASSWORD = "correct-horse-battery"
# The session tenants' owners sign in with a second factor (as every owner must): an authenticator with this key
# (RFC 6238's test key, hex). `totp_code()` gives its codes.
OWNER_TOTP_KEY = "3132333435363738393031323334353637383930"


def totp_code(key: str = OWNER_TOTP_KEY, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app with `key` shows now (or `steps_ahead` 30-second steps later: a code of a
    step already used is refused, django-otp accepts the next step's)."""
    totp = TOTP(unhexlify(key), step=30, t0=0, digits=6, drift=0)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def password_sign_in(client: Client, username: str, password: str = STAFF_PASSWORD):
    """Sign in through the login page, passing the second step with the authenticator's code when asked for it
    (the session tenants' owners). Returns the last response."""
    response = client.post("/login/", {"username": username, "password": password})
    if response.status_code == 302 and response["Location"] == "/login/verify/":
        response = client.post("/login/verify/", {"token": totp_code()})
    return response


def otp_backup_code(user) -> str:
    """A new one-use backup code for `user` (in the current schema): a test that signs the same person in several
    times passes each second step with one (an authenticator's code of a step already used is refused)."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name="backup", defaults={"confirmed": True})
    return device.token_set.create(token=StaticToken.random_token()).token


def otp_verify_session(client: Client, user) -> None:
    """Mark the client's signed-in session as having passed the second step with `user`'s authenticator, the way
    `django_otp.login` does (call in the user's schema, after `force_login`)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


pytest_plugins = ["pos_project.testing.browser"]
ROLES = (Role.ADMIN_TENANT, Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN)


@dataclass
class TenantFixture:
    tenant: object
    host: str
    users: dict  # role -> User

    @property
    def schema(self) -> str:
        return self.tenant.schema_name

    def client(self, role: str | None = None) -> Client:
        """A test client on this tenant's host, signed in as the staff member of `role` (if given), past the
        second step when that person has an authenticator (the owner)."""
        client = Client(HTTP_HOST=self.host)
        if role is not None:
            with tenant_context(self.tenant):
                client.force_login(self.users[role])
                otp_verify_session(client, self.users[role])
        return client

    def password_sign_in(self, client: Client, username: str, password: str = STAFF_PASSWORD):
        """Sign in through the login page, passing the second step with a new backup code when asked (as often as
        a test likes). Returns the last response."""
        response = client.post("/login/", {"username": username, "password": password})
        if response.status_code == 302 and response["Location"] == "/login/verify/":
            with tenant_context(self.tenant):
                code = otp_backup_code(User.objects.get(username=username))
            response = client.post("/login/verify/", {"token": code})
        return response


def _username(role: str) -> str:
    return "owner" if role == Role.ADMIN_TENANT else role.lower()


def _ensure_tenant(slug: str, name: str) -> TenantFixture:
    from accounts.services import staff_create
    from tenants.models import Tenant
    from tenants.services import tenant_provision

    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        tenant = tenant_provision(slug=slug, name=name, owner_email=f"owner@{slug}.test").tenant
    users = {}
    with schema_context(tenant.schema_name):
        for role in ROLES:
            username = _username(role)
            user = User.objects.filter(username=username).first()
            if user is not None and user.must_change_password:  # the provisioned owner's one-time password
                user.set_password(STAFF_PASSWORD)
                user.must_change_password = False
                user.save()
            if user is None:
                user = staff_create(username=username, role=role, actor=None, password=STAFF_PASSWORD,
                                    must_change_password=False, first_name=username.title())  # fmt: skip
            users[role] = user
        owner = users[Role.ADMIN_TENANT]
        if not TOTPDevice.objects.filter(user=owner, confirmed=True).exists():
            TOTPDevice.objects.create(user=owner, name="authenticator", key=OWNER_TOTP_KEY, confirmed=True)
    return TenantFixture(tenant=tenant, host=tenant.get_primary_domain().domain, users=users)


@pytest.fixture(scope="session")
def django_db_setup(
    django_test_environment, django_db_blocker, django_db_keepdb, django_db_createdb, django_db_modify_db_settings
):
    """pytest-django's setup, but always for the default database: `committed_db` tests need it too."""
    from django.test.utils import setup_databases, teardown_databases

    from tenants.services import public_tenant_ensure, tenant_template_ensure

    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, aliases={"default"}, keepdb=keepdb)
        public_tenant_ensure()
        tenant_template_ensure()
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=0)


@pytest.fixture(scope="session")
def _session_tenants(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        alpha = _ensure_tenant("alpha", "Alpha Café")
        beta = _ensure_tenant("beta", "Beta Bistro")
    return alpha, beta


@pytest.fixture
def tenant(_session_tenants, db) -> TenantFixture:
    return _session_tenants[0]


@pytest.fixture
def other_tenant(_session_tenants, db) -> TenantFixture:
    return _session_tenants[1]


@pytest.fixture
def in_tenant(tenant):
    """Run the test body in the tenant's schema (for service and selector tests)."""
    with tenant_context(tenant.tenant):
        yield tenant
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _no_live_version_from_another_test():
    """Redis is not rolled back with a test's transaction: a kitchen live version (kitchen/live.py) left by one
    test would make the next serve that test's cached display. Each test starts without one."""
    from django.core.cache import cache

    for schema in ("t_alpha", "t_beta"):
        with schema_context(schema):
            cache.delete_pattern("live:*")
    yield


@pytest.fixture(autouse=True)
def _site_language_for_each_test():
    """A request leaves its language active in the thread (LocaleMiddleware does not undo it): a service test run
    after a page asked for in Indonesian would read Indonesian messages. Each test starts in the site's language."""
    translation.activate(settings.LANGUAGE_CODE)
    yield


@pytest.fixture(autouse=True)
def _public_schema_after_each_test():
    """Requests leave the shared connection on the last tenant's schema; start every test from public."""
    yield
    connection.set_schema_to_public()


@pytest.fixture
def committed_db(_session_tenants, django_db_blocker):
    """Database access without the wrapping transaction: writes are visible to other processes.

    The test must delete what it made (or make only things that are harmless to keep).
    """
    with django_db_blocker.unblock():
        yield _session_tenants
        connection.set_schema_to_public()


@pytest.fixture
def api(tenant):
    """`api(scopes=..., role=..., tenant=...)`: an ApiClient (pos_project/testing/api.py) on the tenant's host
    with a new API key (default: the owner's, every resource read and write); the key is `client.key`."""
    from pos_project.testing.api import ApiClient, api_key_make

    def make(*, tenant_=None, **options) -> ApiClient:
        where = tenant_ or tenant
        key, whole = api_key_make(where, **options)
        return ApiClient(where.host, whole, key=key)

    return make
