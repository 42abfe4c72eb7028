"""CPU and queries of each request type of the load test, one at a time in one process: what a request costs
with nothing else running, to set beside what it costs under `make loadtest` (where the same requests take about
twice the CPU, sharing 2 cores with everything else).

    # against a load-test database (after `loadtest/run.py` has provisioned it) and its Redis:
    DATABASE_URL=postgresql://.../pos_loadtest_<dir> REDIS_URL=... python bench/request_cpu.py [--host lt005.localhost]
        [--repeat 15] [--profile "POST bump"]

It signs in as the tenant's cashier6, kitchen2 and supervisor through Django's test client (the whole middleware
stack, production settings), opens a shift on a new register, and times each request type `--repeat` times after
three warm-up calls, printing the median process CPU and the query count of the last call. With --profile, a
pyinstrument profile of the request types whose name contains the text. It leaves orders, paid or sent to the
kitchen, in that tenant, as the load test does.
"""

import argparse
import os
import re
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSWORD = "loadtest-pass-1"  # loadtest/setup.py


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="lt005.localhost", help="a load-test tenant's host")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--profile", default="", help="profile the request types whose name contains this")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings.production")
    for name, value in {"SECRET_KEY": "bench-only", "BEHIND_TLS": "false", "DEBUG": "false", "ALLOWED_HOSTS": "*",
                        "LOG_LEVEL": "WARNING", "LOGIN_RATE_LIMIT": "10000/m", "LOGIN_RATE_LIMIT_PER_IP": "10000/m",
                        "LOGIN_FREE_FAILURES": "10000", "LOGIN_FREE_FAILURES_PER_ADDRESS": "10000",
                        "RATELIMIT_IP_META_KEY": "REMOTE_ADDR"}.items():  # fmt: skip
        os.environ.setdefault(name, value)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import schema_context

    from kitchen.models import Ticket

    results: dict[str, tuple[float, int, int]] = {}

    def measure(name: str, call, repeat: int = args.repeat) -> None:
        profiler = None
        if args.profile and args.profile in name:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
        rows = []
        for i in range(repeat + 3):
            if profiler is not None and i == 3:
                profiler.start()
            with CaptureQueriesContext(connection) as queries:
                started = time.process_time()
                response = call()
                spent = time.process_time() - started
            if i >= 3:
                rows.append((spent, len(queries), response.status_code))
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        results[name] = (statistics.median(row[0] for row in rows) * 1000, rows[-1][1], rows[-1][2])

    def signed_in(username: str) -> Client:
        client = Client(HTTP_HOST=args.host)
        response = client.post("/login/", {"username": username, "password": PASSWORD})
        assert response.status_code == 302, f"{username} could not sign in ({response.status_code})"
        return client

    till = signed_in("cashier6")
    till.post("/till/shift/open/", {"register": "new", "register_name": f"CPU {uuid.uuid4().hex[:6]}",
                                    "opening_float": "0"})  # fmt: skip
    category = re.findall(r"/till/products/\?category=(\d+)", till.get("/till/").content.decode())[0]
    grid = till.get(f"/till/products/?category={category}").content.decode()
    lines = [{"product_id": int(pk), "quantity": 1} for pk in re.findall(r"&quot;id&quot;: (\d+)", grid)[:2]]
    orders = []

    def submit():
        body = {"lines": lines, "send": True, "idempotency_key": uuid.uuid4().hex}
        response = till.post("/till/orders/", body, content_type="application/json")
        orders.append(response.json())
        return response

    def pay():
        order = orders.pop()
        body = {"tender": "card", "amount_minor": order["total_minor"], "reference": "CPU",
                "idempotency_key": uuid.uuid4().hex}  # fmt: skip
        return till.post(f"/till/orders/{order['id']}/payments/", body, content_type="application/json")

    measure("GET till page", lambda: till.get("/till/"), 5)
    measure("GET till products", lambda: till.get(f"/till/products/?category={category}"))
    measure("POST preview", lambda: till.post("/till/preview/", {"lines": lines}, content_type="application/json"))
    measure("POST submit (send)", submit)
    measure("GET tabs", lambda: till.get("/till/tabs/"))
    measure("POST pay", pay)
    measure("GET ready (full)", lambda: till.get("/till/ready/"))

    kitchen = signed_in("kitchen2")
    measure("GET kitchen poll 200", lambda: kitchen.get("/kitchen/poll/"))
    with schema_context("t_" + args.host.split(".")[0]):
        tickets = iter(Ticket.objects.filter(status=Ticket.Status.NEW).order_by("-pk").values_list("pk", flat=True))
    measure("POST bump", lambda: kitchen.post(f"/kitchen/tickets/{next(tickets)}/bump/", {}))

    supervisor = signed_in("supervisor")
    for path, name in [("/supervisor/", "GET supervisor console"), ("/till/history/", "GET orders list"),
                       ("/supervisor/kitchen/", "GET kitchen metrics"), ("/backoffice/stock/", "GET stock levels"),
                       ("/supervisor/stock/adjustments/", "GET stock approvals")]:  # fmt: skip
        measure(name, lambda path=path: supervisor.get(path), 8)
    measure("GET floor", lambda: till.get("/floor/"), 20)
    for name, (cpu, queries, status) in results.items():
        print(f"{name:24s} cpu p50 {cpu:7.2f} ms  queries {queries:3d}  status {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
