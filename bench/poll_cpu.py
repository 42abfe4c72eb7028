"""Server CPU per poll: what an unchanged kitchen-display or ready-strip poll costs gunicorn, measured from the
worker's own CPU time (not the client's), against a running bench tenant.

    # once (same database as till_load): the bench tenant with a kitchen user and one station
    DATABASE_URL=... REDIS_URL=... python bench/poll_cpu.py setup
    # gunicorn running as bench/till_bench.sh starts it (production settings); then:
    python bench/poll_cpu.py run --base-url http://127.0.0.1:8765 --host bench.localhost --polls 2000

It signs in as the kitchen and as a cashier, takes each endpoint's ETag once, then sends `--polls` polls holding
it from 4 threads with keep-alive, and divides the CPU time the gunicorn processes spent by the number of polls.
For comparison it also measures the same endpoints without an ETag (a full answer every time).
"""

import argparse
import http.client
import os
import re
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway tenant for load tests


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings.development")
    import django

    django.setup()
    from django_tenants.utils import schema_context

    from accounts.models import Role, User
    from accounts.services import staff_create
    from business.models import Outlet
    from kitchen.models import Station
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug="bench")
    with schema_context(tenant.schema_name):
        if not User.objects.filter(username="kds").exists():
            staff_create(username="kds", role=Role.KITCHEN, actor=None, password=PASSWORD, must_change_password=False)
        if not Station.objects.exists():
            Station.objects.create(outlet=Outlet.objects.order_by("pk").first(), name="Bench kitchen")
    print("bench tenant ready: kitchen user kds, one station")


class Session:
    def __init__(self, base: str, host: str):
        parsed = urllib.parse.urlparse(base)
        self.addr, self.host, self.cookies = (parsed.hostname, parsed.port or 80), host, {}

    def _conn(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(*self.addr, timeout=30)

    def request(self, conn, method: str, path: str, body: str | None = None, headers: dict | None = None):
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        all_headers = {"Host": self.host, "Cookie": cookie, **(headers or {})}
        if body is not None:
            all_headers.update({"Content-Type": "application/x-www-form-urlencoded",
                                "X-CSRFToken": self.cookies.get("csrftoken", ""),
                                "Referer": f"http://{self.host}{path}"})  # fmt: skip
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response, data

    def sign_in(self, username: str) -> None:
        conn = self._conn()
        self.request(conn, "GET", "/login/")
        form = urllib.parse.urlencode({"username": username, "password": PASSWORD,
                                       "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})  # fmt: skip
        response, _ = self.request(conn, "POST", "/login/", body=form)
        if response.status not in (302, 303):
            raise SystemExit(f"{username} could not sign in ({response.status})")


def gunicorn_cpu(port: int) -> float:
    """CPU seconds used so far by the gunicorn processes listening on `port` (master and workers)."""
    import psutil

    total = 0.0
    for proc in psutil.process_iter(["cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if "gunicorn" in cmd and f":{port}" in cmd:
            for p in [proc, *proc.children(recursive=True)]:
                times = p.cpu_times()
                total += times.user + times.system
    return total


def measure(session: Session, path: str, polls: int, port: int, etag: str | None) -> tuple[float, float, dict]:
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    per_thread = polls // 4

    def work():
        conn = session._conn()
        for _ in range(per_thread):
            response, _ = session.request(conn, "GET", path, headers={"If-None-Match": etag} if etag else {})
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1

    cpu0, wall0 = gunicorn_cpu(port), time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu, wall = gunicorn_cpu(port) - cpu0, time.perf_counter() - wall0
    done = sum(statuses.values())
    return cpu / done * 1000, done / wall, statuses


def run(args) -> int:
    port = urllib.parse.urlparse(args.base_url).port
    kitchen, till = Session(args.base_url, args.host), Session(args.base_url, args.host)
    kitchen.sign_in("kds")
    till.sign_in("till0")
    # The cashier needs an open shift for its ready strip: the till's own form.
    conn = till._conn()
    till.request(conn, "GET", "/till/shift/open/")
    form = urllib.parse.urlencode(
        {
            "register": "new",
            "register_name": f"poll {time.time_ns() % 10**6}",
            "opening_float": "0",
            "csrfmiddlewaretoken": till.cookies.get("csrftoken", ""),
        }
    )
    till.request(conn, "POST", "/till/shift/open/", body=form)  # fmt: skip
    # Two floors: /healthz is answered by the first middleware, before tenant routing (gunicorn, WSGI, one view);
    # /floor/ is a tenant view that does nothing behind the whole middleware stack, with the kitchen's session.
    rows = []
    for path in ("/healthz", "/floor/"):
        cpu_ms, rate, statuses = measure(kitchen, path, args.polls, port, None)
        rows.append((f"floor: {path}", cpu_ms, rate, statuses))
    for name, session, path in (("kitchen poll", kitchen, "/kitchen/poll/"), ("ready poll", till, "/till/ready/")):
        response, _ = session.request(session._conn(), "GET", path)
        etag = response.headers.get("ETag")
        for label, held in (("unchanged (304)", etag), ("no ETag (200)", None)):
            cpu_ms, rate, statuses = measure(session, path, args.polls, port, held)
            rows.append((f"{name}, {label}", cpu_ms, rate, statuses))
    print(f"{'request':34} {'server CPU/request':>20} {'req/s':>8}  statuses")
    for label, cpu_ms, rate, statuses in rows:
        print(f"{label:34} {cpu_ms:17.2f} ms {rate:8.0f}  {statuses}")
    conn = till._conn()
    till.request(conn, "GET", "/till/shift/close/")
    body = urllib.parse.urlencode({"note": "poll bench", "csrfmiddlewaretoken": till.cookies.get("csrftoken", "")})
    till.request(conn, "POST", "/till/shift/close/", body=body)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup")
    r = sub.add_parser("run")
    r.add_argument("--base-url", default="http://127.0.0.1:8765")
    r.add_argument("--host", default="bench.localhost")
    r.add_argument("--polls", type=int, default=2000)
    args = parser.parse_args()
    if args.command == "setup":
        setup()
        return 0
    if not re.match(r"https?://(127\.0\.0\.1|localhost)[:/]", args.base_url):
        parser.error("polls are only ever sent to this machine")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
