"""CPU and queries of one checkout (submit + pay) inside one process, no HTTP server and no other load.

    # after `bench/till_load.py setup --tills 20 --with-stock` against the same database:
    DATABASE_URL=... REDIS_URL=... python bench/checkout_cpu.py [--orders 300] [--send] [--profile]

It signs in as the bench tenant's till0 through Django's test client (the whole middleware stack, production
settings), opens a shift, then rings up orders of three lines and pays each by card. It prints the median
process CPU and wall time of submit and of pay, and their query counts; with --profile, a pyinstrument
profile of all of them. The figure to compare with a bare request is the CPU, which no other process on the
machine changes much.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--send", action="store_true", help="send each order to the kitchen")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings.production")
    for name, value in {"SECRET_KEY": "bench-only", "BEHIND_TLS": "false", "DEBUG": "false",
                        "ALLOWED_HOSTS": ".localhost,testserver", "LOG_LEVEL": "WARNING",
                        "LOGIN_RATE_LIMIT": "10000/m", "LOGIN_RATE_LIMIT_PER_IP": "10000/m",
                        "LOGIN_FREE_FAILURES": "10000", "LOGIN_FREE_FAILURES_PER_ADDRESS": "10000",
                        "RATELIMIT_IP_META_KEY": "REMOTE_ADDR"}.items():  # fmt: skip
        os.environ.setdefault(name, value)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.till_load import PASSWORD

    client = Client(HTTP_HOST="bench.localhost")
    client.post("/login/", {"username": "till0", "password": PASSWORD})
    register = f"CPU {uuid.uuid4().hex[:6]}"
    client.post("/till/shift/open/", {"register": "new", "register_name": register, "opening_float": "0"})
    first_id = client.get("/till/scan/?code=B0-0").json()["product"]["id"]
    rng = random.Random(1)

    def order() -> tuple[float, float, float, float, int, int]:
        lines = [{"product_id": first_id + rng.randrange(50), "quantity": rng.randint(1, 3)} for _ in range(3)]
        cart = {"lines": lines, "idempotency_key": uuid.uuid4().hex, "send": args.send}
        c0, w0 = time.process_time(), time.perf_counter()
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as submit_queries:
            response = client.post("/till/orders/", cart, content_type="application/json")
        c1, w1 = time.process_time(), time.perf_counter()
        assert response.status_code == 201, response.content[:300]
        body = response.json()
        payment = {"tender": "card", "amount_minor": body["total_minor"], "reference": "CPU",
                   "idempotency_key": uuid.uuid4().hex}  # fmt: skip
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as pay_queries:
            response = client.post(f"/till/orders/{body['id']}/payments/", payment, content_type="application/json")
        c2, w2 = time.process_time(), time.perf_counter()
        assert response.status_code == 201, response.content[:300]
        return c1 - c0, c2 - c1, w1 - w0, w2 - w1, len(submit_queries), len(pay_queries)

    for _ in range(20):  # warm caches and code paths
        order()
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    rows = [order() for _ in range(args.orders)]
    if profiler is not None:
        profiler.stop()
    client.post("/till/shift/close/", {"note": "cpu bench"})

    def median_ms(index: int) -> float:
        return statistics.median(row[index] for row in rows) * 1000

    print(json.dumps({"orders": len(rows), "send": args.send}))
    print(f"submit  cpu p50 {median_ms(0):6.2f} ms  wall p50 {median_ms(2):6.2f} ms  queries {rows[-1][4]}")
    print(f"pay     cpu p50 {median_ms(1):6.2f} ms  wall p50 {median_ms(3):6.2f} ms  queries {rows[-1][5]}")
    if profiler is not None:
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
