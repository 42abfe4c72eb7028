"""Every page answers with a strict Content-Security-Policy and a Permissions-Policy, and holds nothing the policy
would refuse: no inline script without the response's nonce, no on*= attribute, no javascript: URL, no style=
attribute and no <style> without the nonce (issue 12, point 12).

The walk covers every route of the tenant URL conf (pos_project/testing/tenant_urls.py), for anonymous visitors
and each role, and the platform's pages and Django admin. What the browser itself does under the policy is
pos_project/tests/test_csp_browser.py.
"""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from accounts.models import Role, User
from pos_project.testing.tenant_urls import objects_make, path_for, tenant_routes

ROLES = [None, Role.ADMIN_TENANT, Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN]
NONCE = re.compile(r"'nonce-([A-Za-z0-9+/=]+)'")


class _Refused(HTMLParser):
    """Collects what a strict policy would refuse in a page, given the response's nonce."""

    def __init__(self, nonce: str | None):
        super().__init__(convert_charrefs=True)
        self.nonce, self.found, self._script = nonce, [], None

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        for name, value in attrs:
            if re.fullmatch(r"on[a-z]+", name):
                self.found.append(f"<{tag} {name}=...>")
            if name == "style":
                self.found.append(f"<{tag} style=...>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            src = named.get("src")
            if src is not None and not (src.startswith("/") and not src.startswith("//")):
                self.found.append(f"a script from elsewhere: {src}")
            self._script = None if src is not None else named.get("nonce")
            if src is None and (self.nonce is None or named.get("nonce") != self.nonce):
                self.found.append("<script> with inline code and without the response's nonce")
        if tag == "style" and (self.nonce is None or named.get("nonce") != self.nonce):
            self.found.append("<style> without the response's nonce")


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def policy_problems(response) -> list[str]:
    """What is wrong with an HTML page's policies and markup (JSON, CSV, plain text and redirects: nothing)."""
    if not response.get("Content-Type", "").startswith("text/html") or response.status_code in (301, 302, 304):
        return []
    problems = []
    policy = response.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in (part.strip() for part in policy.split(";")) if d}
    expected = {"default-src": ["'self'"], "object-src": ["'none'"], "base-uri": ["'none'"],
                "frame-ancestors": ["'none'"], "style-src": ["'self'"], "form-action": ["'self'"]}  # fmt: skip
    for name, sources in expected.items():
        if directives.get(name) != sources:
            problems.append(f"CSP {name}: {directives.get(name)}")
    script = directives.get("script-src", [])
    if not script or script[0] != "'self'" or any(s in ("'unsafe-inline'", "'unsafe-eval'", "*") for s in script):
        problems.append(f"CSP script-src: {script}")
    if "camera=()" not in response.get("Permissions-Policy", ""):
        problems.append(f"Permissions-Policy: {response.get('Permissions-Policy')!r}")
    if response.get("X-Frame-Options") != "DENY":
        problems.append(f"X-Frame-Options: {response.get('X-Frame-Options')!r}")
    match = NONCE.search(" ".join(script))
    parser = _Refused(match.group(1) if match else None)
    parser.feed(_body(response).decode())
    return problems + parser.found


# Pages each visitor gets (200) in the walk, at least: a lost page means a broken walk, not a safer site.
PAGES_AT_LEAST = {None: 2, Role.ADMIN_TENANT: 40, Role.SUPERVISOR: 9, Role.CASHIER: 7, Role.KITCHEN: 3}


def _walk(client: Client, routes, objects) -> tuple[int, dict]:
    pages, problems = 0, {}
    # Signing out ends the walk's session: last.
    for route, _pattern in sorted(routes, key=lambda rp: rp[1].name == "logout"):
        path = path_for(route, objects)
        response = client.get(path)
        if response.get("Content-Type", "").startswith("text/html") and response.status_code == 200:
            pages += 1
        found = policy_problems(response)
        if found:
            problems[f"{path} ({response.status_code})"] = found
    return pages, problems


@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_every_tenant_page_holds_under_a_strict_policy(tenant, role):
    objects = objects_make(tenant)
    client = tenant.client(role)
    pages, problems = _walk(client, tenant_routes(), objects)
    assert problems == {}
    assert pages >= PAGES_AT_LEAST[role]


@pytest.mark.parametrize("path", ["/", "/admin/login/", "/no-such-page/"])
def test_the_platform_pages_hold_under_the_policy(db, path):
    response = Client(HTTP_HOST="pos.test").get(path)
    assert policy_problems(response) == [], path


def test_the_django_admin_holds_under_the_policy(tenant):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from conftest import OWNER_TOTP_KEY, otp_verify_session

    admin = User.objects.create_superuser("csp-admin", "csp-admin@example.com", "x" * 20, role=Role.SUPER_ADMIN)
    TOTPDevice.objects.create(user=admin, name="authenticator", key=OWNER_TOTP_KEY, confirmed=True)
    client = Client(HTTP_HOST="pos.test")
    client.force_login(admin)
    otp_verify_session(client, admin)  # the admin requires the second step
    tenant_pk = tenant.tenant.pk
    for path in ["/admin/", "/admin/tenants/tenant/", "/admin/tenants/tenant/add/",
                 f"/admin/tenants/tenant/{tenant_pk}/change/", "/admin/accounts/user/", "/admin/jsi18n/"]:  # fmt: skip
        response = client.get(path)
        assert response.status_code in (200, 302), (path, response.status_code)
        assert policy_problems(response) == [], path


def test_an_unknown_business_and_the_error_pages_hold_under_the_policy(db):
    assert policy_problems(Client(HTTP_HOST="nobody.pos.test").get("/")) == []


def test_each_response_has_its_own_nonce(tenant):
    client = tenant.client(Role.CASHIER)
    first, second = (NONCE.search(client.get("/till/shift/open/")["Content-Security-Policy"]) for _ in range(2))
    assert first and second and first.group(1) != second.group(1)
