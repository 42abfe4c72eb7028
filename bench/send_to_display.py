"""Send -> ticket on the kitchen display (and Pay -> ticket): how long after the till's answer a kitchen display,
polling exactly as static/js/kitchen.js does, first shows the order. Against a running server, HTTP only,
loopback only.

    make run PORT=8123 &          # the demo: tenant cafe, users cashier and kitchen, password demo1234
    python bench/send_to_display.py --base http://127.0.0.1:8123 --host cafe.localhost:8123            # Send
    python bench/send_to_display.py --base http://127.0.0.1:8123 --host cafe.localhost:8123 --pay      # Pay

A till (the cashier, over one keep-alive connection, as bench/till_load.py's Till) opens a shift on a new
register and rings up `--orders` orders, one every `--every` seconds, each of `--lines` products of the till's
first category (default size, the first choices of a required option group). Meanwhile a kitchen display (the
kitchen user, its own session) loads /kitchen/ and then polls /kitchen/poll/ as kitchen.js does: 1.5 s after
the page, then 1.5 s after each answer, sending the ETag of the last answer as If-None-Match (a 200 replaces
what the screen shows, a 304 keeps it). It bumps this run's tickets once they have been on the screen for
`--bump-after` seconds, keeping the ETag of the bump's answer as kitchen.js does after a tap, so the screen holds
what a kitchen at that pace would; at the end it bumps the rest, and the till's shift is closed.

- Send (default): each order is POSTed to /till/orders/ with `"send": true` and a fresh idempotency key, then
  paid by card (not timed: it keeps the shift closable). The clock starts at the submit's answer.
- `--pay`: each order is submitted WITHOUT send, then paid in full (POST /till/orders/<id>/payments/, tender
  card, a reference, a fresh key): paying sends an unsent order to the kitchen (the outlet's "paying sends"
  setting, on by default). The clock starts at the payment's answer.

Latency = time from that answer to the first answer the display got (a poll, or a bump's) whose tickets show
the order's number (`#N` on a ticket card), 0 when a poll already showed it before the till's answer came back.
It prints p50/p95/max of that, of the poll that first showed the order, and of the till's own request; and
"stale polls": polls that started after the till's answer and still did not show the order (should be 0: any
other figure means the display's version or its shared answer lagged the commit). With a 1.5 s poll the
latency is mostly the wait for the next poll: about uniform over 0-1.5 s, so p50 ~ 0.75 s and p95 ~ 1.45 s.
Exits non-zero when a request failed or an order never showed within `--timeout` seconds.

Against the bench tenant of bench/till_bench.sh (after `till_load.py setup` and `poll_cpu.py setup`):
    python bench/send_to_display.py --base http://127.0.0.1:8765 --host bench.localhost \\
        --cashier till0 --kitchen kds --password bench-password-1
(--pay there needs a station that takes the menu's categories: poll_cpu's station takes none, and paying
skips lines no station takes.)
"""

import argparse
import html
import json
import random
import re
import sys
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.kds_poll import POLL_PATH, percentile  # noqa: E402
from bench.till_load import Till  # noqa: E402

DEMO_PASSWORD = "demo1234"  # noqa: S105 - the demo's printed logins (demo/management/commands/seed_demo.py)
# A ticket card of kitchen/_tickets.html: its id, then the order number in its header.
TICKET = re.compile(r'<article\b[^>]*\bdata-ticket-id="(\d+)"[^>]*>.*?<strong>#(\d+)</strong>', re.DOTALL)
PRODUCT = re.compile(r"data-product='([^']*)'")


def tickets_shown(page: bytes) -> dict[int, int]:
    """Ticket id -> order number of the ticket cards in a tickets partial (or the display page)."""
    return {int(ticket): int(number) for ticket, number in TICKET.findall(page.decode("utf-8", "replace"))}


@dataclass
class Answer:
    """One answer the display got: a poll's (status 200 or 304) or a bump's, and what the screen showed after."""

    started: float
    answered: float
    status: int
    kind: str
    shown: dict[int, int]  # ticket id -> order number on the screen after this answer


class Display(threading.Thread):
    """A kitchen display as static/js/kitchen.js runs it, recording every answer with what it showed."""

    def __init__(self, session: Till, interval: float, bump_after: float):
        super().__init__(daemon=True)
        self.session, self.interval, self.bump_after = session, interval, bump_after
        self.answers: list[Answer] = []
        self.errors: list[str] = []
        self.mine: set[int] = set()  # order numbers of this run: the only tickets it bumps
        self.halt = threading.Event()
        self.lock = threading.Lock()
        self.etag: str | None = None
        self.shown: dict[int, int] = {}
        self.since: dict[int, float] = {}  # ticket id -> when the screen first showed it

    def load(self) -> dict[int, int]:
        """The display page, as the browser opens it: the tickets it shows before the first poll."""
        started = time.perf_counter()
        status, page = self.session.request("GET", "/kitchen/")
        if status != 200:
            raise RuntimeError(f"{self.session.username}: /kitchen/ answered {status}")
        self._record(started, 200, "page", tickets_shown(page))
        return dict(self.shown)

    def _record(self, started: float, status: int, kind: str, shown: dict[int, int] | None) -> None:
        answered = time.perf_counter()
        with self.lock:
            if shown is not None:
                self.shown = shown
                for ticket in shown:
                    self.since.setdefault(ticket, answered)
            self.answers.append(Answer(started, answered, status, kind, dict(self.shown)))

    def run(self) -> None:
        due = time.perf_counter() + self.interval  # setTimeout(poll, 1500) after the page
        while not self.halt.wait(max(0.0, due - time.perf_counter())):
            started = time.perf_counter()
            headers = {"If-None-Match": self.etag} if self.etag else {}
            try:
                status, response_headers, body = self.session.send("GET", POLL_PATH, headers=headers)
            except OSError as exc:
                self.errors.append(f"poll: {exc!r}")
                due = time.perf_counter() + self.interval
                continue
            self._record(started, status, "poll", tickets_shown(body) if status == 200 else None)
            if status in (200, 304):
                self.etag = response_headers.get("ETag")
            else:
                self.errors.append(f"poll {status}")
            due = time.perf_counter() + self.interval  # the next poll 1.5 s after this answer
            self.bump(older_than=self.bump_after)  # a tap runs beside the poll timer, not instead of it

    def bump(self, older_than: float) -> None:
        """Bump this run's tickets that have been on the screen `older_than` seconds, as a tap on *Bump* does:
        the screen takes the answer's tickets and polls on with its ETag (kitchen.js, htmx:afterSwap)."""
        if older_than < 0:
            return
        now = time.perf_counter()
        with self.lock:
            due = [t for t, number in self.shown.items() if number in self.mine and now - self.since[t] >= older_than]
        for ticket in due:
            started = time.perf_counter()
            status, headers, body = self.session.send("POST", f"/kitchen/tickets/{ticket}/bump/", {})
            if status != 200:
                self.errors.append(f"bump {status}")
                continue
            self._record(started, status, "bump", tickets_shown(body))
            self.etag = headers.get("ETag")


@dataclass
class Rung:
    """One order of the run: the request that should put it on the display, and when its answer came."""

    number: int
    requested: float
    answered: float


def cart_products(till: Till) -> list[dict]:
    """The products the till page shows first (its first category), as its tiles carry them, not sold out."""
    status, page = till.request("GET", "/till/")
    products = [json.loads(html.unescape(raw)) for raw in PRODUCT.findall(page.decode("utf-8", "replace"))]
    products = [p for p in products if not p["sold_out"]]
    if status != 200 or not products:
        raise RuntimeError(f"the till page ({status}) shows no product to sell")
    return products


def cart_line(product: dict, rng: random.Random) -> dict:
    """A line as till.js sends it: the preselected size and, for a required option group, its first choices."""
    line = {"product_id": product["id"], "quantity": rng.randint(1, 2)}
    if product.get("default_variant_id"):
        line["variant_id"] = product["default_variant_id"]
    line["modifier_ids"] = [m["id"] for g in product.get("groups", []) for m in g["modifiers"][: g["min"]]]
    return line


def ring_up(till: Till, display: Display, args, products: list[dict]) -> tuple[list[Rung], list[float], list[str]]:
    """The orders, one every `--every` seconds: (orders, the timed till request's seconds, errors)."""
    rng = random.Random(args.seed)
    rungs, timings, errors = [], [], []
    start = time.perf_counter()
    for k in range(args.orders):
        time.sleep(max(0.0, start + k * args.every - time.perf_counter()))
        lines = [cart_line(rng.choice(products), rng) for _ in range(args.lines)]
        cart = {"lines": lines, "idempotency_key": uuid.uuid4().hex, "send": not args.pay}
        requested = time.perf_counter()
        status, body = till.request("POST", "/till/orders/", json_body=cart)
        submitted = time.perf_counter()
        if status != 201:
            errors.append(f"submit {status}: {body[:200]!r}")
            continue
        order = json.loads(body)
        with display.lock:
            display.mine.add(order["number"])
        if not args.pay and not order["sent"]:
            errors.append(f"#{order['number']}: the submit with send answered sent=false")
        payment = {"tender": "card", "amount_minor": order["total_minor"], "reference": f"BENCH-{order['number']}",
                   "idempotency_key": uuid.uuid4().hex}  # fmt: skip
        paying = time.perf_counter()
        status, body = till.request("POST", f"/till/orders/{order['id']}/payments/", json_body=payment)
        paid = time.perf_counter()
        if status != 201:
            errors.append(f"pay {status}: {body[:200]!r}")
            continue
        if args.pay and not json.loads(body)["sent"]:
            errors.append(f"#{order['number']}: paying did not send it (outlet's 'paying sends' off, no station?)")
            continue
        rungs.append(Rung(order["number"], paying, paid) if args.pay else Rung(order["number"], requested, submitted))
        timings.append(paid - paying if args.pay else submitted - requested)
    return rungs, timings, errors


def first_shown(answers: list[Answer], rung: Rung) -> tuple[Answer | None, int]:
    """The first answer after the till's request whose screen shows the order, and how many polls started after
    the till's answer without showing it (stale)."""
    stale = 0
    for answer in answers:
        if answer.answered < rung.requested:
            continue
        if rung.number in answer.shown.values():
            return answer, stale
        stale += answer.kind == "poll" and answer.started > rung.answered
    return None, stale


def wait_until_shown(display: Display, rungs: list[Rung], timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        with display.lock:
            answers = list(display.answers)
        if all(first_shown(answers, rung)[0] for rung in rungs):
            return
        time.sleep(0.1)


def line(label: str, values: list[float]) -> str:
    if not values:
        return f"{label:44} -"
    ms = [v * 1000 for v in values]
    return (f"{label:44} p50 {percentile(ms, 50):7.1f} ms   p95 {percentile(ms, 95):7.1f} ms   "
            f"max {max(ms):7.1f} ms   (n={len(ms)})")  # fmt: skip


def run(args) -> int:
    base = args.base.rstrip("/")
    till = Till(base, args.host, args.cashier, args.password)
    kitchen = Till(base, args.host, args.kitchen, args.password)
    till.sign_in()
    till.open_shift(prefix="Display bench")
    kitchen.sign_in()
    products = cart_products(till)
    display = Display(kitchen, args.poll_interval, args.bump_after)
    before = set(display.load().values())  # order numbers already on the screen: an order of this run is new
    display.start()
    rungs, timings, errors = ring_up(till, display, args, products)
    wait_until_shown(display, rungs, args.timeout)
    display.halt.set()
    display.join()
    display.bump(older_than=0)  # the rest of this run's tickets: the next run starts from a clear screen
    till.request("GET", "/till/shift/close/")
    closed, _ = till.request("POST", "/till/shift/close/", {"note": "send_to_display bench"})
    if closed not in (200, 302):
        errors.append(f"shift close {closed}")

    latencies, showing, missing, ambiguous, stale_total = [], [], [], [], 0
    for rung in rungs:
        if rung.number in before:
            ambiguous.append(rung.number)
            continue
        answer, stale = first_shown(display.answers, rung)
        stale_total += stale
        if answer is None:
            missing.append(rung.number)
            continue
        latencies.append(max(0.0, answer.answered - rung.answered))
        showing.append(answer.answered - answer.started)
    polls = [a for a in display.answers if a.kind == "poll"]
    statuses = {s: sum(a.status == s for a in polls) for s in sorted({a.status for a in polls})}
    what = "Pay" if args.pay else "Send"
    request = "pay (POST /till/orders/<id>/payments/)" if args.pay else "submit (POST /till/orders/, send)"
    print(f"{what} -> ticket on the display: {len(rungs)} of {args.orders} orders of {args.lines} lines, "
          f"one every {args.every:g} s; display polls {args.poll_interval:g} s after each answer (kitchen.js), "
          f"bumps after {args.bump_after:g} s; {base} as {args.host}")  # fmt: skip
    print(line(f"{what} -> ticket on the display", latencies))
    print(line("the poll (or bump) answer that showed it", showing))
    print(line(f"till's {request}", timings))
    bumps = sum(a.kind == "bump" for a in display.answers)
    print(f"display: polls {statuses}, bumps {bumps}, stale polls {stale_total}"
          " (started after the till's answer and not showing the order: should be 0)")  # fmt: skip
    if ambiguous:
        print(f"not counted, their number was already on the screen before the run: {ambiguous}")
    if missing:
        errors.append(f"never shown within {args.timeout:g} s: {missing}")
    errors += display.errors
    if errors:
        print(f"{len(errors)} problems, first: {errors[:5]}", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="the server (loopback only)")
    parser.add_argument("--host", default="cafe.localhost:8000", help="Host header: the tenant's domain")
    parser.add_argument("--pay", action="store_true", help="submit without send, then pay: Pay -> ticket")
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--every", type=float, default=1.0, help="seconds between orders")
    parser.add_argument("--lines", type=int, default=3, help="lines per order")
    parser.add_argument("--poll-interval", type=float, default=1.5, help="kitchen.js: 1.5 s after each answer")
    parser.add_argument("--bump-after", type=float, default=20,
                        help="seconds a ticket of this run is shown before it is bumped (-1: never)")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=15, help="seconds to wait for the last orders to show")
    parser.add_argument("--cashier", default="cashier")
    parser.add_argument("--kitchen", default="kitchen")
    parser.add_argument("--password", default=DEMO_PASSWORD, help="of both users")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if urllib.parse.urlparse(args.base).hostname not in ("127.0.0.1", "localhost"):
        parser.error("requests are only ever sent to this machine (127.0.0.1 / localhost)")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
