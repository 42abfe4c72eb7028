"""How long staff wait to sign in, switch person and get a supervisor's approval (issue 11, point 8).

    DATABASE_URL=... REDIS_URL=... python bench/approval_speed.py [--runs 60] [--supervisors 8]

Through Django's test client in one process, with the production password hasher (Argon2id at OWASP's minimum,
accounts/hashers.py; tests use MD5, so a timed test would say nothing), DEBUG off. It makes a throwaway tenant
with a cashier and `--supervisors` supervisors who all have PINs, registers a till, opens a shift, and times:

- password sign-in: POST /login/ (a fresh browser each time);
- PIN sign-in: POST /lock/ on the registered till, switching between the cashier and a supervisor each time;
- supervisor approval: the till's submit of a 50% discount with the approver named (the request the dialog
  sends), next to the same submit of a discount that needs no approval (the order's own cost);
- approver_verify alone, the service behind it.

Prints p50 / p95 / max in milliseconds. On a checkout without PIN sign-in (before issue 11) it times what
exists: approval by username and PIN, and password sign-in. The tenant is dropped at the end unless --keep.
"""

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings.development")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")

PASSWORD = "bench-password-123"  # noqa: S105 - a throwaway tenant's
CASHIER_PIN, SUPERVISOR_PIN = "1357", "2580"


def timed(fn, runs: int) -> list[float]:
    out = []
    for n in range(runs):
        started = time.perf_counter()
        fn(n)
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(name: str, ms: list[float]) -> str:
    p95 = statistics.quantiles(ms, n=20)[18] if len(ms) >= 20 else max(ms)
    return f"{name:<44} p50 {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms   max {max(ms):6.1f} ms   (n={len(ms)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument(
        "--supervisors", type=int, default=8, help="supervisors with a PIN (the old code hashed per one)"
    )
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import get_hasher
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import schema_context

    from accounts import services as account_services
    from accounts.models import Role
    from accounts.services import staff_create, staff_set_pin
    from business.models import Outlet
    from catalog.services import category_create, product_create
    from sales.services.shifts import register_create, shift_open
    from tenants.models import Tenant
    from tenants.services import tenant_provision

    has_pins = hasattr(account_services, "pin_person_verify")  # PIN sign-in exists (issue 11)
    settings.LOGIN_RATE_LIMIT = settings.LOGIN_RATE_LIMIT_PER_IP = "1000000/m"  # one address signs in many times
    settings.LOGIN_FREE_FAILURES = settings.LOGIN_FREE_FAILURES_PER_ADDRESS = 1000000  # (the limits since issue 12)
    settings.PIN_FREE_FAILURES_PER_DEVICE = 1000000
    print(f"hasher: {get_hasher().algorithm} ({type(get_hasher()).__name__}); code: "
          f"{'with PIN sign-in' if has_pins else 'before PIN sign-in'}")  # fmt: skip

    call_command("setup_platform", verbosity=0)
    slug = f"pinbench-{uuid.uuid4().hex[:6]}"
    tenant = tenant_provision(slug=slug, name="PIN bench", owner_email="o@pin.example").tenant
    host = tenant.get_primary_domain().domain
    try:
        with schema_context(tenant.schema_name):
            owner = staff_create(username="boss", role=Role.ADMIN_TENANT, actor=None, password=PASSWORD,
                                 must_change_password=False)  # fmt: skip
            cashier = staff_create(username="kasir", role=Role.CASHIER, actor=owner, password=PASSWORD,
                                   must_change_password=False)  # fmt: skip
            supervisors = [
                staff_create(
                    username=f"spv{n}",
                    role=Role.SUPERVISOR,
                    actor=owner,
                    password=PASSWORD,
                    must_change_password=False,
                    first_name=f"Spv {n}",
                )  # fmt: skip
                for n in range(args.supervisors)
            ]
            staff_set_pin(user=cashier, pin=CASHIER_PIN, actor=owner)
            for n, supervisor in enumerate(supervisors):
                staff_set_pin(user=supervisor, pin=SUPERVISOR_PIN if n == len(supervisors) - 1 else f"{4820 + n * 3}",
                              actor=owner)  # fmt: skip
            approver = supervisors[-1]  # the last one: a loop over supervisors would hash every PIN first
            product = product_create(category=category_create(name="Menu"), name="Kopi", sku="K", price_minor=20000)
            shift = shift_open(register=register_create(outlet=Outlet.objects.get(code="MAIN"), name="Bench"),
                               user=cashier, opening_float_minor=0)  # fmt: skip

        # Password sign-in: a fresh browser each time.
        def password_sign_in(n):
            response = Client(HTTP_HOST=host).post("/login/", {"username": "kasir", "password": PASSWORD})
            assert response.status_code == 302, response.status_code

        results = [summary("password sign-in (POST /login/)", timed(password_sign_in, args.runs))]

        # The cashier's till: their session holds the register with the open shift.
        till = Client(HTTP_HOST=host)
        till.post("/login/", {"username": "kasir", "password": PASSWORD})
        session = till.session
        session["till_register_id"] = shift.register_id
        session.save()

        def submit(discount: str, approver_field):
            def run(n):
                body = {"lines": [{"product_id": product.pk}], "order_discount": {"kind": "percent", "value": discount},
                        "idempotency_key": uuid.uuid4().hex}  # fmt: skip
                if approver_field is not None:
                    body["approver"] = approver_field
                response = till.post("/till/orders/", json.dumps(body), content_type="application/json")
                assert response.status_code == 201, response.content

            return run

        results.append(summary("till submit, 5% discount (no approval)", timed(submit("5", None), args.runs)))
        named = {"id": approver.pk, "pin": SUPERVISOR_PIN} if has_pins else {"username": approver.username,
                                                                              "pin": SUPERVISOR_PIN}  # fmt: skip
        results.append(summary("supervisor approval: till submit, 50% off", timed(submit("50", named), args.runs)))
        with schema_context(tenant.schema_name):
            kwargs = {"approver_id": approver.pk} if has_pins else {"username": approver.username}
            service = timed(lambda n: account_services.approver_verify(pin=SUPERVISOR_PIN,
                                                                       capability="discount.over_limit", **kwargs),
                            args.runs)  # fmt: skip
        results.append(summary("approver_verify (the service alone)", service))

        if has_pins:
            device = Client(HTTP_HOST=host)
            device.post("/login/", {"username": "spv0", "password": PASSWORD})
            assert device.post("/device/", {"action": "register", "name": "Bench till"}).status_code == 302
            session = device.session
            session["till_register_id"] = shift.register_id
            session.save()
            people = [(cashier.pk, CASHIER_PIN), (approver.pk, SUPERVISOR_PIN)]

            def pin_sign_in(n):
                user_id, pin = people[n % 2]
                response = device.post("/lock/", {"action": "sign_in", "user": user_id, "pin": pin, "next": "/till/"})
                assert response.status_code == 302 and response["Location"] == "/till/", response.status_code

            results.append(summary("PIN sign-in / switch (POST /lock/)", timed(pin_sign_in, args.runs)))
        print("\n".join(results))
    finally:
        if not args.keep:
            connection.set_schema_to_public()
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA "{tenant.schema_name}" CASCADE')
            Tenant.objects.filter(pk=tenant.pk).delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
