"""Orders per second from N concurrent simulated tills against a running server.

    # once, against the database the server uses (creates tenant `bench`, N cashiers, a menu):
    DATABASE_URL=... REDIS_URL=... python bench/till_load.py setup --tills 20 [--with-stock]
    # the load (HTTP only; loopback only):
    python bench/till_load.py run --base-url http://127.0.0.1:8000 --tills 20 --orders 30 [--send]

Each till signs in as its own cashier over one keep-alive connection, opens a shift on its own register, then
submits orders of three lines (sent to the kitchen with --send) and pays each by card, timing submit and
submit+pay. At the end it closes its shift and, with the same clients and sessions, measures the bare-Django
floor (requests/s of /floor/, a view that does nothing behind the whole middleware stack, on the same server),
so orders/s can be read as a multiple of it. It prints orders/s, p50/p95 latencies and that ratio, and exits
non-zero when any request failed.
"""

import argparse
import http.client
import http.cookies
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway tenant for load tests


def setup(tills: int, with_stock: bool = False) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings.development")
    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command
    from django_tenants.utils import schema_context

    from accounts.models import Role, User
    from accounts.services import staff_create
    from business.models import SalesSettings, Tax
    from catalog.models import Product
    from catalog.services import category_create, product_create
    from tenants.models import Tenant
    from tenants.services import tenant_provision

    call_command("setup_platform", verbosity=0)
    tenant = (
        Tenant.objects.filter(slug="bench").first()
        or tenant_provision(slug="bench", name="Bench", owner_email="owner@bench.example").tenant
    )
    with schema_context(tenant.schema_name):
        for i in range(tills):
            if not User.objects.filter(username=f"till{i}").exists():
                staff_create(username=f"till{i}", role=Role.CASHIER, actor=None, password=PASSWORD,
                             must_change_password=False)  # fmt: skip
        if not Product.objects.exists():
            SalesSettings.objects.update_or_create(pk=1, defaults={"service_charge_rate": Decimal(5)})
            pb1 = Tax.objects.create(code="PB1", name="PB1", rate=Decimal(10), applies_to_service_charge=True)
            for c in range(5):
                category = category_create(name=f"Category {c}")
                for p in range(10):
                    product_create(category=category, name=f"Item {c}-{p}", sku=f"B{c}-{p}",
                                   price_minor=10000 + 1000 * p, taxes=[pb1])  # fmt: skip
        if with_stock:
            _stock_recipes()
    print(f"tenant bench ready with {tills} cashiers (password {PASSWORD})" + (", recipes and stock" * with_stock))


def _stock_recipes() -> None:
    """Every product uses two of five ingredients (milk, beans, ...), with plenty in stock at every outlet, so
    each sale takes its recipe out of the ledger the way a café's does; ingredients are shared, so tills
    contend on the same stock rows."""
    from decimal import Decimal

    from business.models import Outlet
    from catalog.models import Product
    from inventory.models import RecipeComponent, StockItem
    from inventory.services.stock import MovementLine, movements_post

    if StockItem.objects.filter(sku__startswith="BENCH-STK-").exists():
        return
    items = [StockItem.objects.create(name=f"Ingredient {i}", sku=f"BENCH-STK-{i}", base_unit="g", cost=Decimal(2))
             for i in range(5)]  # fmt: skip
    RecipeComponent.objects.bulk_create(
        RecipeComponent(product=product, item=items[(n + k) % 5], quantity=Decimal(10 + k))
        for n, product in enumerate(Product.objects.order_by("pk"))
        for k in range(2)
    )
    for outlet in Outlet.objects.all():
        movements_post(outlet_id=outlet.pk, kind="receiving", source_type="bench",
                       lines=[MovementLine(item.pk, Decimal(10_000_000)) for item in items])  # fmt: skip


class Till:
    """One browser: its own cookies and one keep-alive connection, as a till's browser holds."""

    def __init__(self, base: str, host: str, username: str, password: str = PASSWORD):
        self.base, self.host, self.username, self.password = base, host, username, password
        parsed = urllib.parse.urlparse(base)
        self.address = (parsed.hostname, parsed.port or 80)
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection(*self.address, timeout=30)

    def _csrf(self) -> str:
        return self.cookies.get("csrftoken", "")

    def request(self, method: str, path: str, data=None, *, json_body=None) -> tuple[int, bytes]:
        status, _, payload = self.send(method, path, data, json_body=json_body)
        return status, payload

    def send(self, method: str, path: str, data=None, *, json_body=None, headers=None):
        """`request` with extra request headers (e.g. If-None-Match), answering (status, response headers, body)."""
        headers = {"Host": self.host, "Referer": f"http://{self.host}{path}", "X-CSRFToken": self._csrf(),
                   **(headers or {})}  # fmt: skip
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if json_body is not None:
            body, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif data is not None:
            data = {**data, "csrfmiddlewaretoken": self._csrf()}
            body, headers["Content-Type"] = urllib.parse.urlencode(data).encode(), "application/x-www-form-urlencoded"
        for attempt in (1, 2):  # the server may close an idle keep-alive connection; reconnect once
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, ConnectionError, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection(*self.address, timeout=30)
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
        if response.status in (301, 302, 303) and method == "GET":
            return self.send("GET", urllib.parse.urlparse(response.headers["Location"]).path)
        return response.status, response.headers, payload

    def sign_in_and_open_shift(self) -> None:
        self.sign_in()
        self.open_shift()

    def sign_in(self) -> None:
        self.request("GET", "/login/")
        status, _ = self.request("POST", "/login/", {"username": self.username, "password": self.password})
        if status not in (302, 303):
            raise RuntimeError(f"{self.username}: could not sign in ({status})")

    def open_shift(self, prefix: str = "Bench") -> None:
        self.request("GET", "/till/shift/open/")
        register = f"{prefix} {self.username} {uuid.uuid4().hex[:6]}"  # a new register per run
        form = {"register": "new", "register_name": register, "opening_float": "0"}
        status, body = self.request("POST", "/till/shift/open/", form)
        if status not in (200, 302) or b"shift-open" in body:
            raise RuntimeError(f"{self.username}: could not open a shift ({status})")

    def close_shift(self) -> None:
        self.request("GET", "/till/shift/close/")
        self.request("POST", "/till/shift/close/", {"note": "bench"})


def pct(values: list[float], q: int) -> float:
    """The q-th percentile of `values` (seconds), in milliseconds."""
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else values[0] * 1000


def till_measure(args) -> dict:
    """The till's load: `args.tills` tills sign in, open shifts, ring up and pay `args.orders` orders each, close.
    Returns the timings (seconds), the errors and the tills (signed in, for the floor)."""
    tills = [Till(args.base_url.rstrip("/"), args.host, f"till{i}") for i in range(args.tills)]
    for till in tills:
        till.sign_in_and_open_shift()
    product_ids = json.loads(
        tills[0].request("GET", "/till/scan/?code=B0-0")[1] or b"{}").get("product", {}).get("id")  # fmt: skip
    if not product_ids:
        raise SystemExit("setup first: the bench menu is missing")
    first_id = product_ids
    submit_times, round_trips, errors = [], [], []
    lock = threading.Lock()
    deadline = time.monotonic() + args.max_seconds

    def work(till: Till, seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(args.orders):
            if time.monotonic() > deadline:
                return
            lines = [{"product_id": first_id + rng.randrange(50), "quantity": rng.randint(1, 3)} for _ in range(3)]
            started = time.perf_counter()
            cart = {"lines": lines, "idempotency_key": uuid.uuid4().hex, "send": args.send}
            status, body = till.request("POST", "/till/orders/", json_body=cart)
            submitted = time.perf_counter()
            if status != 201:
                with lock:
                    errors.append(f"submit {status}: {body[:200]!r}")
                continue
            order = json.loads(body)
            status, body = till.request("POST", f"/till/orders/{order['id']}/payments/", json_body={
                "tender": "card", "amount_minor": order["total_minor"], "reference": "BENCH",
                "idempotency_key": uuid.uuid4().hex})  # fmt: skip
            done = time.perf_counter()
            with lock:
                if status != 201:
                    errors.append(f"pay {status}: {body[:200]!r}")
                submit_times.append(submitted - started)
                round_trips.append(done - started)

    threads = [threading.Thread(target=work, args=(till, i)) for i, till in enumerate(tills)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for till in tills:
        till.close_shift()
    return {"submit": submit_times, "round_trips": round_trips, "elapsed": elapsed, "errors": errors,
            "tills": tills, "first_id": first_id}  # fmt: skip


def run(args) -> int:
    result = till_measure(args)
    submit_times, round_trips, elapsed, errors = (result[k] for k in ("submit", "round_trips", "elapsed", "errors"))
    floor = _floor(result["tills"], args.floor_seconds) if args.floor_seconds else 0.0
    count = len(round_trips)
    print(f"tills={args.tills} orders={count} in {elapsed:.2f} s -> {count / elapsed:.1f} orders/s (submit + pay)")
    if count:
        print(f"submit      p50 {pct(submit_times, 50):7.1f} ms   p95 {pct(submit_times, 95):7.1f} ms")
        print(f"submit+pay  p50 {pct(round_trips, 50):7.1f} ms   p95 {pct(round_trips, 95):7.1f} ms")
    if floor:
        ratio = count / elapsed / floor
        print(f"bare Django (/floor/, {args.tills} clients, same server): {floor:.0f} req/s"
              f" -> orders/s = {ratio:.3f} x floor")  # fmt: skip
    if errors:
        print(f"{len(errors)} failed requests, first: {errors[:3]}", file=sys.stderr)
        return 1
    return 0


def _floor(tills: list[Till], seconds: float) -> float:
    """Requests/s of the bare-Django floor (/floor/) from the same clients on the same server, right
    after the tills: what the machine serves when a request does next to nothing."""
    done = [0] * len(tills)
    deadline = time.monotonic() + seconds

    def hammer(index: int, till: Till) -> None:
        while time.monotonic() < deadline:
            till.request("GET", "/floor/")
            done[index] += 1

    threads = [threading.Thread(target=hammer, args=(i, till)) for i, till in enumerate(tills)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--tills", type=int, default=20)
    s.add_argument("--with-stock", action="store_true", help="give every product a recipe with stock to take")
    r = sub.add_parser("run")
    r.add_argument("--base-url", default="http://127.0.0.1:8000")
    r.add_argument("--host", default="bench.localhost")
    r.add_argument("--tills", type=int, default=1)
    r.add_argument("--orders", type=int, default=30, help="orders per till")
    r.add_argument("--max-seconds", type=float, default=120)
    r.add_argument("--send", action="store_true", help="send each order to the kitchen, as a café's till does")
    r.add_argument("--floor-seconds", type=float, default=5, help="measure the bare-Django floor after (0: skip)")
    args = parser.parse_args()
    if urllib.parse.urlparse(getattr(args, "base_url", "http://127.0.0.1")).hostname not in ("127.0.0.1", "localhost"):
        parser.error("load is only ever sent to this machine (127.0.0.1 / localhost)")
    if args.command == "setup":
        setup(args.tills, with_stock=args.with_stock)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
