"""How many kitchen displays polling at once one gunicorn worker process sustains.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/pos_bench_kds REDIS_URL=redis://127.0.0.1:6379/8 \\
        .venv/bin/python bench/kds_poll.py --displays 25,50,100,200,400,800 --seconds 20

Creates the database when it is missing and runs `setup_platform` (point it at a scratch database), provisions
a throwaway tenant with two kitchen stations, a kitchen user and `--open-tickets` orders sent to the kitchen
through the real services (order_submit with send_to_kitchen=True). It then starts gunicorn with
deploy/gunicorn.conf.py (the product's worker class, gthread with WEB_THREADS threads, and its other settings)
but exactly one worker, bound to 127.0.0.1, with the production settings (DEBUG off, BEHIND_TLS=false since
there is no TLS proxy here).

For each step of `--displays`, that many displays, each with its own signed-in kitchen session (or one shared
session with --shared-session), poll GET /kitchen/poll/ every `--interval` seconds with the ETag of their last
answer, as static/js/kitchen.js does, over their own keep-alive connection (--connection close opens one per
poll instead, which is what nginx does towards gunicorn in deploy/nginx/nginx.conf). A writer thread creates
an order sent to the kitchen or bumps the oldest ticket every `--write-every` seconds, so each display gets a
200 with the tickets partial now and then and a 304 otherwise. The displays keep a fixed cadence (poll k is
due at start + k x interval, the starts spread over one interval); a poll is late when it starts more than
`--late-after` seconds after it was due, and slots skipped because an answer came back too late count as late.
The first `--warmup` seconds of each step are not counted.

Each step prints requests/s, p50/p95/p99 latency, % of 304s, % late polls, errors, and the CPU used by the
gunicorn worker, this process (load generator and writer) and the whole machine. The sustained figure is the
largest step with p95 < 250 ms, no errors and < 1% late polls. Before the load it counts, in process through
the test client and the full middleware stack, the SQL queries of one 304 poll and of one 200 poll.
The load generator is one asyncio loop; it shares the machine's cores with gunicorn and PostgreSQL.
The tenant is dropped at the end unless --keep. Load is only ever sent to 127.0.0.1.
For the per-worker capacity pass --max-requests 0 (the config's 2000 recycles a lone worker every ~minute at
these rates, and the reboot stalls every display); on a shared machine --nice 10 raises this run's priority.
"""

import argparse
import asyncio
import os
import random
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings.development")
os.environ.setdefault("LOG_LEVEL", "WARNING")
POLL_PATH = "/kitchen/poll/"


def ensure_database(url: str) -> None:
    """CREATE DATABASE when the one DATABASE_URL names does not exist yet (system PostgreSQL, trust auth)."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SystemExit(f"Database name {name!r} must be a plain lowercase identifier.")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))] if ordered else float("nan")


# --- Provisioning (in process, through the services) -------------------------------------------------------


@dataclass
class Seeded:
    tenant: object
    host: str
    kitchen_user: object
    cashier: object
    shift: object
    products: list


def seed(open_tickets: int) -> Seeded:
    from decimal import Decimal

    from django.core.management import call_command
    from django_tenants.utils import schema_context

    from accounts.models import Role
    from accounts.services import staff_create
    from business.models import SalesSettings, Tax
    from business.selectors import outlet_default
    from catalog.services import category_create, product_create
    from kitchen.services import station_create
    from sales.services.orders import LineRequest, order_submit
    from sales.services.shifts import register_create, shift_open
    from tenants.services import tenant_provision

    call_command("setup_platform", verbosity=0)
    slug = f"kds-{uuid.uuid4().hex[:6]}"
    tenant = tenant_provision(slug=slug, name="KDS bench", owner_email=f"owner@{slug}.example").tenant
    with schema_context(tenant.schema_name):
        SalesSettings.objects.update_or_create(pk=1, defaults={"service_charge_rate": Decimal(5)})
        pb1 = Tax.objects.create(code="PB1", name="PB1", rate=Decimal(10), applies_to_service_charge=True)
        food, drinks = category_create(name="Food"), category_create(name="Drinks")
        products = [
            product_create(category=food if i % 2 else drinks, name=f"Item {i}", sku=f"K{i}",
                           price_minor=20000 + 1000 * i, taxes=[pb1])
            for i in range(12)
        ]  # fmt: skip
        outlet = outlet_default()
        station_create(outlet=outlet, name="Grill", category_ids=[food.pk])
        station_create(outlet=outlet, name="Bar", category_ids=[drinks.pk])
        kitchen_user = staff_create(username="kds", role=Role.KITCHEN, actor=None, password="kds-password-123",
                                    must_change_password=False)  # fmt: skip
        cashier = staff_create(username="kds-till", role=Role.CASHIER, actor=None, password="kds-password-123",
                               must_change_password=False)  # fmt: skip
        shift = shift_open(register=register_create(outlet=outlet, name="KDS bench"), user=cashier,
                           opening_float_minor=0)  # fmt: skip
        for n in range(open_tickets):
            lines = [LineRequest(products[(n + k) % len(products)].pk, 1 + k % 2) for k in range(3)]
            order_submit(shift=shift, user=cashier, idempotency_key=f"seed-{n}", lines=lines, send_to_kitchen=True)
    host = tenant.get_primary_domain().domain
    return Seeded(tenant, host, kitchen_user, cashier, shift, products)


def sign_in(seeded: Seeded, count: int) -> list[str]:
    """`count` kitchen sessions (session cookie values), signed in through django.contrib.auth.login."""
    from django.test import Client
    from django_tenants.utils import schema_context

    cookies = []
    with schema_context(seeded.tenant.schema_name):
        for _ in range(count):
            client = Client(HTTP_HOST=seeded.host)
            client.force_login(seeded.kitchen_user)
            cookies.append(client.cookies["sessionid"].value)
    return cookies


def count_queries(seeded: Seeded) -> tuple[int, int, list[str]]:
    """SQL queries of one 200 poll and one 304 poll, through the test client and every middleware."""
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    cookie = sign_in(seeded, 1)[0]
    client = Client(HTTP_HOST=seeded.host)
    client.cookies["sessionid"] = cookie
    client.get(POLL_PATH)  # warm: the first request of a process loads URL confs and templates
    reset_queries()  # the debug query log is a bounded deque: seeding filled it
    with CaptureQueriesContext(connection) as full:
        first = client.get(POLL_PATH)
    assert first.status_code == 200, first.status_code
    with CaptureQueriesContext(connection) as cached:
        second = client.get(POLL_PATH, headers={"If-None-Match": first["ETag"]})
    assert second.status_code == 304, second.status_code
    counts = (len(full), len(cached), [q["sql"] for q in cached.captured_queries])
    timings = {}
    for label, headers in (("304", {"If-None-Match": first["ETag"]}), ("200", {})):
        runs = []
        for _ in range(50):
            started = time.perf_counter()
            client.get(POLL_PATH, headers=headers)
            runs.append((time.perf_counter() - started) * 1000)
        timings[label] = percentile(runs, 50)
    print(f"one poll in process (test client, development settings, median of 50): 304 {timings['304']:.1f} ms, "
          f"200 {timings['200']:.1f} ms ({len(first.content)} bytes)")  # fmt: skip
    connection.set_schema_to_public()
    return counts


class Writer(threading.Thread):
    """Every `every` seconds: an order sent to the kitchen, then the oldest open ticket bumped, alternately."""

    def __init__(self, seeded: Seeded, every: float):
        super().__init__(daemon=True)
        self.seeded, self.every = seeded, every
        self.stop = threading.Event()
        self.changes, self.errors, self.n = 0, [], 0

    def run(self) -> None:
        from django.db import connection
        from django_tenants.utils import schema_context

        from kitchen.models import Ticket
        from kitchen.services import ticket_bump
        from sales.services.orders import LineRequest, order_submit

        products = self.seeded.products
        try:
            with schema_context(self.seeded.tenant.schema_name):
                while not self.stop.wait(self.every):
                    self.n += 1
                    try:
                        if self.n % 2:
                            lines = [LineRequest(products[(self.n + k) % len(products)].pk, 1) for k in range(2)]
                            order_submit(shift=self.seeded.shift, user=self.seeded.cashier, lines=lines,
                                         idempotency_key=uuid.uuid4().hex, send_to_kitchen=True)  # fmt: skip
                        else:
                            oldest = Ticket.objects.filter(status=Ticket.Status.NEW).order_by("created_at").first()
                            if oldest is not None:
                                ticket_bump(ticket=oldest, actor=self.seeded.kitchen_user)
                        self.changes += 1
                    except Exception as exc:  # noqa: BLE001 - reported at the end of the step
                        self.errors.append(repr(exc))
        finally:
            connection.close()


# --- The server ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(args, port: int, workdir: Path) -> tuple[subprocess.Popen, Path]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": args.settings,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "kds-bench-only-" + uuid.uuid4().hex),
        "DEBUG": "false",
        "BEHIND_TLS": "false",
        "LOG_LEVEL": os.environ.get("SERVER_LOG_LEVEL", "INFO"),
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prometheus"),  # as the Dockerfile sets it
        "WEB_CONCURRENCY": "1",
    }
    if args.threads:
        env["WEB_THREADS"] = str(args.threads)
    command = [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py",
               "--bind", f"127.0.0.1:{port}", "--workers", "1"]  # fmt: skip
    if args.worker_class:
        command += ["--worker-class", args.worker_class]
    if args.max_requests is not None:
        command += ["--max-requests", str(args.max_requests)]
    command.append("pos_project.wsgi:application")
    log = workdir / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return server, log
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def server_cpu_seconds(server: subprocess.Popen) -> float:
    import psutil

    total = 0.0
    try:
        master = psutil.Process(server.pid)
        mine = master.cpu_times()  # children_*: workers that exited (recycled) and were reaped by the master
        total = mine.user + mine.system + mine.children_user + mine.children_system
        for proc in master.children(recursive=True):
            times = proc.cpu_times()
            total += times.user + times.system
    except psutil.Error:
        pass
    return total


def boost_backends(boost: int, server: subprocess.Popen, port: int, host: str, cookie: str) -> None:
    """Raise the priority of this database's PostgreSQL backends (the worker's after one poll made it)."""
    import psutil
    from django.db import connection

    request = urllib.request.Request(f"http://127.0.0.1:{port}{POLL_PATH}",  # noqa: S310
                                     headers={"Host": host, "Cookie": f"sessionid={cookie}"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        pids = [row[0] for row in cursor.fetchall()]
    for pid in pids:
        try:
            psutil.Process(pid).nice(-boost)
        except psutil.Error as exc:
            print(f"could not renice backend {pid}: {exc}")
    print(f"priority raised by {boost} for this process, gunicorn and {len(pids)} PostgreSQL backends")


# --- The displays (one asyncio loop) -----------------------------------------------------------------------


@dataclass
class Step:
    displays: int
    latencies: list[float] = field(default_factory=list)
    by_status: dict[int, list[float]] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    polls: int = 0
    late: int = 0
    missed: int = 0
    connects: int = 0


async def http_get(reader, writer, request: bytes) -> tuple[int, dict[str, str], bytes]:
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if status in (204, 304) or 100 <= status < 200:
        body = b""
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(parts)
    else:
        body = await reader.read()
        headers["connection"] = "close"
    return status, headers, body


async def display(step: Step, *, port: int, host: str, cookie: str, start: float, measure_from: float,
                  end: float, args) -> None:  # fmt: skip
    loop = asyncio.get_running_loop()
    due = start + random.random() * args.interval  # noqa: S311 - spreading the displays, not security
    etag, conn = None, None
    while due < end:
        await asyncio.sleep(max(0.0, due - loop.time()))
        started = loop.time()
        counted = due >= measure_from
        request = f"GET {POLL_PATH} HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\nCookie: sessionid={cookie}\r\n"
        if etag:
            request += f"If-None-Match: {etag}\r\n"
        if args.connection == "close":
            request += "Connection: close\r\n"
        try:
            if conn is None:
                conn = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), args.timeout)
                step.connects += counted
            status, headers, _ = await asyncio.wait_for(http_get(*conn, (request + "\r\n").encode()), args.timeout)
            if status in (200, 304):
                etag = headers.get("etag", etag)
            elif counted:
                step.errors.append(f"HTTP {status}")
            if headers.get("connection", "").lower() == "close":
                conn[1].close()
                conn = None
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            status = 0
            if counted:
                step.errors.append(type(exc).__name__)
            if conn is not None:
                conn[1].close()
                conn = None
        finished = loop.time()
        if counted:
            step.polls += 1
            step.late += started - due > args.late_after
            step.statuses[status] = step.statuses.get(status, 0) + 1
            if status:
                step.latencies.append(finished - started)
                step.by_status.setdefault(status, []).append(finished - started)
        due += args.interval
        while finished > due + args.interval and due < end:  # slots that passed while waiting: missed
            due += args.interval
            step.missed += due >= measure_from
    if conn is not None:
        conn[1].close()


def run_step(n: int, cookies: list[str], port: int, host: str, args) -> tuple[Step, float]:
    async def main() -> tuple[Step, float]:
        loop = asyncio.get_running_loop()
        step = Step(n)
        start = loop.time() + 0.2
        measure_from = start + args.warmup
        end = measure_from + args.seconds
        await asyncio.gather(*(
            display(step, port=port, host=host, cookie=cookies[i % len(cookies)], start=start,
                    measure_from=measure_from, end=end, args=args)
            for i in range(n)
        ))  # fmt: skip
        return step, end - measure_from

    return asyncio.run(main())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--displays", default="25,50,100,200,400,800", help="comma-separated steps")
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds per step")
    parser.add_argument("--warmup", type=float, default=3, help="seconds per step not counted")
    parser.add_argument("--interval", type=float, default=1.5, help="poll period of a display (kitchen.js)")
    parser.add_argument("--late-after", type=float, default=0.5)
    parser.add_argument("--write-every", type=float, default=5, help="seconds between ticket changes")
    parser.add_argument("--open-tickets", type=int, default=12)
    parser.add_argument("--timeout", type=float, default=10, help="per request")
    parser.add_argument("--connection", choices=("keepalive", "close"), default="keepalive")
    parser.add_argument("--shared-session", action="store_true", help="one kitchen session for every display")
    parser.add_argument("--threads", type=int, default=0, help="WEB_THREADS (default: the config's, 4)")
    parser.add_argument("--worker-class", default="", help="override the config's (gthread)")
    parser.add_argument("--max-requests", type=int, default=None,
                        help="override the config's 2000 (0: never recycle the worker)")  # fmt: skip
    parser.add_argument("--settings", default="pos_project.settings.production", help="the server's settings")
    parser.add_argument("--stop-after-failures", type=int, default=2,
                        help="stop stepping up after this many steps in a row fail the criteria")  # fmt: skip
    parser.add_argument("--wait-quiet", type=float, default=0,
                        help="before a step, wait up to this many seconds for the machine to go quiet")  # fmt: skip
    parser.add_argument("--quiet-below", type=float, default=15, help="machine CPU %% that counts as quiet")
    parser.add_argument("--nice", type=int, default=0,
                        help="priority boost (e.g. 10) for this process, gunicorn and the PostgreSQL backends of "
                        "this database, when other work shares the machine (needs root)")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the tenant")
    args = parser.parse_args()
    steps = [int(n) for n in args.displays.split(",") if n.strip()]

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ensure_database(os.environ["DATABASE_URL"])
    if args.nice:
        os.nice(-args.nice)  # gunicorn, started from here, inherits it

    import django

    django.setup()
    import psutil
    from django.db import connection

    from tenants.models import Tenant

    started = time.perf_counter()
    seeded = seed(args.open_tickets)
    print(f"tenant {seeded.host}: 2 stations, {args.open_tickets} orders sent to the kitchen "
          f"({time.perf_counter() - started:.1f} s)")  # fmt: skip
    workdir = Path(tempfile.mkdtemp(prefix="kds-bench-"))
    server = None
    try:
        full, cached, sql = count_queries(seeded)
        print(f"queries per poll (in process, full middleware): 200 -> {full}, 304 -> {cached}")
        for text in sql:
            print(f"  304: {text[:150]}")
        cookies = sign_in(seeded, 1 if args.shared_session else max(steps))
        connection.set_schema_to_public()
        print(f"{len(cookies)} kitchen session(s) signed in")

        port = free_port()
        server, log = start_gunicorn(args, port, workdir)
        if args.nice:
            boost_backends(args.nice, server, port, seeded.host, cookies[0])
        boot = log.read_text()
        worker = re.search(r"Using worker: (\S+)", boot)
        config = (f"gunicorn 1 worker, {worker.group(1) if worker else '?'}, "
                  f"threads={args.threads or os.environ.get('WEB_THREADS', '4 (config default)')}, "
                  f"max_requests={'config (2000 +jitter)' if args.max_requests is None else args.max_requests}, "
                  f"connection={args.connection}, {os.cpu_count()} cores shared with the load generator "
                  f"and PostgreSQL")  # fmt: skip
        print(config)
        columns = ("displays", "req/s", "p50 ms", "p95 ms", "p99 ms", "304 %", "304 p50", "200 p50", "late %",
                   "errors", "srv cpu", "gen cpu", "box cpu", "bg cpu", "boots")  # fmt: skip
        header = " ".join(f"{c:>8}" for c in columns)
        print(header)
        sustained, failures_in_row = None, 0
        me = psutil.Process()
        for n in steps:
            background = psutil.cpu_percent(interval=2)  # other work on the machine, before the step
            waited = time.monotonic() + args.wait_quiet
            while background > args.quiet_below and time.monotonic() < waited:
                background = psutil.cpu_percent(interval=2)
            writer = Writer(seeded, args.write_every)
            boots_before = log.read_text().count("Booting worker")
            srv0, me0 = server_cpu_seconds(server), sum(me.cpu_times()[:2])
            psutil.cpu_percent()
            writer.start()
            wall0 = time.perf_counter()
            step, window = run_step(n, cookies, port, seeded.host, args)
            wall = time.perf_counter() - wall0
            writer.stop.set()
            writer.join()
            box = psutil.cpu_percent()
            srv = (server_cpu_seconds(server) - srv0) / wall * 100
            gen = (sum(me.cpu_times()[:2]) - me0) / wall * 100
            boots = log.read_text().count("Booting worker") - boots_before
            served = len(step.latencies)
            p50, p95, p99 = (percentile(step.latencies, q) * 1000 for q in (50, 95, 99))
            split = [f"{percentile(step.by_status.get(c, []), 50) * 1000:8.1f}" for c in (304, 200)]
            not_modified = step.statuses.get(304, 0) / served * 100 if served else 0
            late = (step.late + step.missed) / (step.polls + step.missed) * 100 if step.polls else 100
            errors = len(step.errors) + len(writer.errors)
            row = (f"{n:8d}", f"{served / window:8.1f}", f"{p50:8.1f}", f"{p95:8.1f}", f"{p99:8.1f}",
                   f"{not_modified:8.1f}", *split, f"{late:8.2f}", f"{errors:8d}", f"{srv:7.0f}%", f"{gen:7.0f}%",
                   f"{box:7.0f}%", f"{background:7.0f}%", f"{boots:8d}")  # fmt: skip
            print(" ".join(row), flush=True)
            if step.errors or writer.errors:
                kinds = {e: (step.errors + writer.errors).count(e) for e in set(step.errors + writer.errors)}
                print(f"         errors: {kinds}")
            ok = p95 < 250 and errors == 0 and late < 1 and served > 0
            if ok:
                sustained, failures_in_row = n, 0
            else:
                failures_in_row += 1
                if failures_in_row >= args.stop_after_failures:
                    print(f"         stopping: {failures_in_row} steps in a row missed p95 < 250 ms / 0 errors / "
                          "< 1% late")  # fmt: skip
                    break
        print(f"sustained (largest step with p95 < 250 ms, 0 errors, < 1% late): "
              f"{sustained if sustained is not None else 'none'} displays")  # fmt: skip
        statuses = (status_line for status_line in log.read_text().splitlines() if "[CRITICAL]" in status_line)
        for line in list(statuses)[:5]:
            print(f"  gunicorn: {line}")
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        if not args.keep:
            connection.close()
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA "{seeded.tenant.schema_name}" CASCADE')
            connection.set_schema_to_public()
            Tenant.objects.filter(pk=seeded.tenant.pk).delete()
        print(f"gunicorn log: {workdir / 'gunicorn.log'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
