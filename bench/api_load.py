"""API order create (+ pay) against the till's submit (+ pay): the same server, the same run, side by side.

    # once, against the database the server uses (after `till_load.py setup`): N API keys (one per client, each
    # the owner's, orders read/write) and N registers "API <n>" with open shifts, written to --keys-file
    DATABASE_URL=... REDIS_URL=... python bench/api_load.py setup --clients 20
    # the load (HTTP only; loopback only): first N tills (bench/till_load.py), then N API clients, then the floor
    python bench/api_load.py run --base-url http://127.0.0.1:8000 --clients 20 --orders 25 --send

Each API client holds one keep-alive connection and its own key and register: it creates an order of three lines
(`POST /api/v1/orders/`, sent to the kitchen with --send) and pays it by card (`POST /api/v1/orders/{id}/payments/`),
each with a new Idempotency-Key, exactly the work a till does for an order. It prints orders/s and p50/p95 of
create and create+pay for both, and exits non-zero when any request failed. bench/api_bench.sh runs it at 1 and
20 clients against gunicorn.
"""

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from till_load import _floor, pct, till_measure  # noqa: E402

DEFAULT_KEYS = "/tmp/pos_bench_api_keys.json"  # noqa: S108 - a throwaway bench tenant's keys, this machine only


def setup(clients: int, keys_file: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings.development")
    import django

    django.setup()
    from django_tenants.utils import schema_context

    from accounts.access import owner_role
    from accounts.models import User
    from business.models import Outlet
    from integrations.services import api_key_create
    from sales.models import Register, Shift
    from sales.services.shifts import register_create, shift_open
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug="bench")  # made by `till_load.py setup`
    made = []
    with schema_context(tenant.schema_name):
        owner = User.objects.filter(role=owner_role(), is_active=True).order_by("pk").first()
        outlet = Outlet.objects.order_by("pk").first()
        for i in range(clients):
            register = Register.objects.filter(outlet=outlet, name=f"API {i}").first() or register_create(
                outlet=outlet, name=f"API {i}"
            )
            if not Shift.objects.filter(register=register, status=Shift.Status.OPEN).exists():
                shift_open(register=register, user=owner, opening_float_minor=0)
            _key, whole = api_key_create(actor=owner, name=f"bench {i}", scopes={"orders": "write"}, role=owner.role)
            made.append({"key": whole, "register_id": register.pk})
    Path(keys_file).write_text(json.dumps(made))
    print(f"{clients} API keys and registers with open shifts in {keys_file}")


class ApiClient:
    """One integration: its key and one keep-alive connection."""

    def __init__(self, base: str, host: str, key: str) -> None:
        parsed = urllib.parse.urlparse(base)
        self.address, self.host, self.key = (parsed.hostname, parsed.port or 80), host, key
        self.connection = http.client.HTTPConnection(*self.address, timeout=30)

    def post(self, path: str, body: dict) -> tuple[int, bytes]:
        headers = {"Host": self.host, "Authorization": f"Bearer {self.key}", "Content-Type": "application/json",
                   "Idempotency-Key": str(uuid.uuid4())}  # fmt: skip
        data = json.dumps(body).encode()
        for attempt in (1, 2):  # the server may close an idle keep-alive connection; reconnect once
            try:
                self.connection.request("POST", path, body=data, headers=headers)
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection(*self.address, timeout=30)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def api_measure(args, keys: list[dict], first_id: int) -> dict:
    clients = [ApiClient(args.base_url.rstrip("/"), args.host, k["key"]) for k in keys[: args.clients]]
    registers = [k["register_id"] for k in keys[: args.clients]]
    create_times, round_trips, errors = [], [], []
    lock = threading.Lock()
    deadline = time.monotonic() + args.max_seconds

    def work(client: ApiClient, register_id: int, seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(args.orders):
            if time.monotonic() > deadline:
                return
            lines = [{"product_id": first_id + rng.randrange(50), "quantity": rng.randint(1, 3)} for _ in range(3)]
            started = time.perf_counter()
            status, body = client.post("/api/v1/orders/", {"register_id": register_id, "lines": lines,
                                                           "send": args.send})  # fmt: skip
            created = time.perf_counter()
            if status != 201:
                with lock:
                    errors.append(f"create {status}: {body[:200]!r}")
                continue
            order = json.loads(body)
            status, body = client.post(f"/api/v1/orders/{order['id']}/payments/", {"payments": [
                {"tender": "card", "amount_minor": order["total_minor"], "reference": "BENCH"}]})  # fmt: skip
            done = time.perf_counter()
            with lock:
                if status != 201:
                    errors.append(f"pay {status}: {body[:200]!r}")
                create_times.append(created - started)
                round_trips.append(done - started)

    threads = [
        threading.Thread(target=work, args=(c, r, i)) for i, (c, r) in enumerate(zip(clients, registers, strict=True))
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"submit": create_times, "round_trips": round_trips, "elapsed": time.perf_counter() - started,
            "errors": errors}  # fmt: skip


def run(args) -> int:
    keys = json.loads(Path(args.keys_file).read_text())
    if len(keys) < args.clients:
        print(f"setup first: {args.keys_file} has {len(keys)} keys for {args.clients} clients", file=sys.stderr)
        return 2
    args.tills = args.clients
    till = till_measure(args)
    api = api_measure(args, keys, till["first_id"])
    floor = _floor(till["tills"], args.floor_seconds) if args.floor_seconds else 0.0

    def column(result: dict) -> list[str]:
        count = len(result["round_trips"])
        if not count:
            return ["0 orders", "-", "-"]
        rate = count / result["elapsed"]
        return [f"{rate:.1f} orders/s ({count})",
                f"{pct(result['submit'], 50):.1f} / {pct(result['submit'], 95):.1f} ms",
                f"{pct(result['round_trips'], 50):.1f} / {pct(result['round_trips'], 95):.1f} ms"]  # fmt: skip

    rows = ["throughput (create + pay)", "create p50 / p95", "create+pay p50 / p95"]
    print(f"clients={args.clients} orders per client={args.orders} send={args.send}")
    print(f"{'':28}{'till (session, /till/)':>30}{'API (key, /api/v1/)':>30}")
    for name, t, a in zip(rows, column(till), column(api), strict=True):
        print(f"{name:28}{t:>30}{a:>30}")
    if floor:
        print(f"bare Django (/floor/, {args.clients} clients, same server): {floor:.0f} req/s")
    errors = till["errors"] + api["errors"]
    if errors:
        print(f"{len(errors)} failed requests, first: {errors[:3]}", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--clients", type=int, default=20)
    s.add_argument("--keys-file", default=DEFAULT_KEYS)
    r = sub.add_parser("run")
    r.add_argument("--base-url", default="http://127.0.0.1:8000")
    r.add_argument("--host", default="bench.localhost")
    r.add_argument("--clients", type=int, default=1)
    r.add_argument("--orders", type=int, default=30, help="orders per client")
    r.add_argument("--max-seconds", type=float, default=120)
    r.add_argument("--send", action="store_true", help="send each order to the kitchen, as a café's till does")
    r.add_argument("--floor-seconds", type=float, default=3, help="measure the bare-Django floor after (0: skip)")
    r.add_argument("--keys-file", default=DEFAULT_KEYS)
    args = parser.parse_args()
    if urllib.parse.urlparse(getattr(args, "base_url", "http://127.0.0.1")).hostname not in ("127.0.0.1", "localhost"):
        parser.error("load is only ever sent to this machine (127.0.0.1 / localhost)")
    if args.command == "setup":
        setup(args.clients, args.keys_file)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
