"""The load of a busy evening: per tenant 6 tills, 2 kitchen displays, a supervisor and an owner.

    LOADTEST_TENANTS=50 locust -f loadtest/locustfile.py --host http://127.0.0.1:8000 -u 500 -r 8.3 ...

Every simulated user signs in as its own staff member of its own tenant (`lt001`, `lt002`, ... from
loadtest/setup.py), sending the tenant's address as the Host header (`lt001.localhost:<port>`), and then does
what the browser does, request for request:

- Cashier (static/js/till.js): the till page, a shift on its own register, then per order: taps products over
  10-30 s (each change is priced by the server: POST /till/preview/, a category tab now and then), *Send*
  (POST /till/orders/ with `send: true` and the cart's idempotency key), *Tabs*, *Pay* the whole balance by
  cash or card. Beside it, in its own greenlet like the page's script, the ready strip follows the orders ready
  to hand over (below), and marks its own ready orders served.
- Kitchen display (static/js/kitchen.js): its station's display, following its tickets (below); a bump's answer
  replaces the tickets and names its version; it bumps each ticket 20-40 s after it arrived.
- Supervisor and owner: their pages, 5-15 s apart.

How the two screens follow the changes ($LOADTEST_LIVE):
- `push` (the default): server-sent events from the live process (kitchen/stream.py, uvicorn on its own port),
  followed as static/js/live.js does. The page names the stream (`data-stream-url` on #kds-live and on the
  till's root); each screen opens it in its own greenlet on its own socket and reads `event: state` events
  (`id:` the state's ETag, `data:` exactly what a 200 poll answers), doing with each what it did with a 200 poll
  (a display drops a state that arrives while its bump is in flight, and polls once after the bump's answer, as
  kitchen.js does); `event: ping` comes every 10 s, and 25 s without a byte counts as a lost stream. When the
  stream ends (its token lapses after 10 minutes) or fails, the screen polls at once without If-None-Match (the
  answer names a fresh stream in `X-Live-Stream`), then every 1.5 s with the ETag, and opens the new stream after
  the first poll at least a pause after the loss: 1 s, doubling with each loss up to 30 s, back to 1 s once a
  stream sent a state. "Handed over" is followed by one poll without If-None-Match, as till.js does. Each stream
  connect is a request "SSE connect kitchen|ready" (its time: until the answer's headers); each state event an
  entry of type SSE, "stream kitchen|ready event", whose time is the gap since the previous state on that stream
  (the first: since the connect) and whose size is the event's data; each stream's end "stream kitchen|ready
  end" (its time: how long the stream lived; a failure when it broke rather than being closed by the server).
- `poll`: the loops before push. The strip polls /till/ready/ 1.5 s after each answer with If-None-Match (and
  at once after "served"); the display polls /kitchen/poll/ 1.5 s after each answer with the last ETag.

Live-update latency: the time from a cashier's *Send* answer to the first display answer or event showing the
ticket ("LIVE kitchen ticket"), and from the bump answer completing an order to the first ready-strip answer or
event showing it ("LIVE ready strip"); 0 when a screen showed it before the write's own answer arrived. A poll
loop cannot do better than its period (1.5 s) plus one answer. Both, and the combined checkout (submit + pay),
are reported as their own entries (types LIVE and FLOW) and written with a per-second series to
$LOADTEST_RESULT_JSON at the end.
"""

import hashlib
import hmac
import html
import itertools
import json
import os
import random
import re
import struct
import time
import urllib.parse
import uuid
from collections import defaultdict

import gevent
import gevent.socket
from geventhttpclient.response import HTTPSocketResponse
from locust import FastHttpUser, constant, events, task

PASSWORD = os.environ.get("LOADTEST_PASSWORD", "loadtest-pass-1")
# The owners' authenticator key (loadtest/setup.py gives each owner one): the second step of signing in.
TOTP_KEY = os.environ.get("LOADTEST_TOTP_KEY", "6c6f61642d746573742d6f776e65722d32666121")


def totp_code(key_hex: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30 s): what an authenticator app with this key shows at `at`."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


TENANTS = int(os.environ.get("LOADTEST_TENANTS", "0") or 0)
RESULT_JSON = os.environ.get("LOADTEST_RESULT_JSON", "")
POLL_SECONDS = 1.5  # both screens: 1.5 s after the previous answer
THINK_ORDER = (10.0, 30.0)  # a cashier's time per order, spent tapping products
THINK_PAGE = (5.0, 15.0)  # a supervisor's or owner's time on a page
BUMP_AFTER = (20.0, 40.0)  # a ticket's time on the display before the kitchen bumps it
SYNTHETIC = ("FLOW", "LIVE")  # request types that are not HTTP requests
SSE = "SSE"  # events received on a stream and streams ended: not HTTP requests either (their failures count)
LIVE_MODE = os.environ.get("LOADTEST_LIVE", "push") or "push"
if LIVE_MODE not in ("push", "poll"):
    raise ValueError(f"LOADTEST_LIVE must be push or poll, not {LIVE_MODE!r}")
PUSH = LIVE_MODE == "push"
PAUSE_FIRST, PAUSE_MOST = 1.0, 30.0  # a lost stream is opened again after this pause, doubling with each loss
# No byte for this long (neither a state nor a ping, sent every 10 s) and a stream is lost (static/js/live.js).
STREAM_TIMEOUT = float(os.environ.get("LOADTEST_STREAM_TIMEOUT", "25"))
# Each user keeps its connections open, as a browser does with the server it talks to. In production nginx
# stands between them and opens one connection to gunicorn per request (deploy/nginx/nginx.conf has no upstream
# keep-alive); LOADTEST_CONNECTION_CLOSE=1 sends every request on its own connection, as nginx would.
CONNECTION_CLOSE = os.environ.get("LOADTEST_CONNECTION_CLOSE", "") == "1"

# --- shared state of this Locust process ------------------------------------------------------------------
_slots: dict[str, itertools.count] = defaultdict(itertools.count)
SENT: dict[tuple[str, int], float] = {}  # (tenant, order number) -> when the Send answer arrived
KITCHEN_SEEN: dict[tuple[str, int, str], float] = {}  # (tenant, number, display) -> first seen before SENT known
SHOWN: set[tuple[str, int]] = set()  # sent orders some display has shown
BUMPED: dict[tuple[str, int], float] = {}  # (tenant, order number) -> when the last bump answer arrived
READY_SEEN: dict[tuple[str, int], float] = {}  # (tenant, order number) -> on a strip before its bump answer
LIVE: dict[str, list[float]] = {"kitchen ticket": [], "ready strip": []}
COUNTERS: dict[str, int] = defaultdict(int)
SERIES: dict[int, list] = {}  # second -> [requests, failures, [response times], users]
MARKS: dict[str, float] = {}


def _slot(role: str, per_tenant: int) -> tuple[int, int]:
    """The next free (tenant number, staff number) for a role, e.g. the 8th cashier is lt002's cashier2."""
    n = next(_slots[role])
    tenant = n // per_tenant
    if TENANTS and tenant >= TENANTS:
        COUNTERS["users beyond the tenants provisioned (logins shared)"] += 1
        tenant %= TENANTS
    return tenant + 1, n % per_tenant + 1


def _live(name: str, seconds: float, via: str) -> None:
    """A live-update latency, and what showed it first (a stream event, a poll answer, a tap's answer, ...)."""
    COUNTERS[f"LIVE {name} first shown by {via}"] += 1
    seconds = max(seconds, 0.0)
    LIVE[name].append(seconds)
    events.request.fire(request_type="LIVE", name=name, response_time=seconds * 1000, response_length=0,
                        exception=None, context={})  # fmt: skip


def _by_status(name: str):
    """A poll's entry by its answer: an unchanged screen (304) and a changed one (200) cost very differently."""
    return lambda status: f"{name} {status}" if status in (200, 304) else name


CSRF_FORM = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CSRF_PAGE = re.compile(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'")
STREAM_URL = re.compile(r'\sdata-stream-url="([^"]*)"')


def stream_url(text: str, marker: str) -> str | None:
    """The `data-stream-url` of the page's element whose opening tag holds `marker` (what the screen's script
    reads), unescaped; None when the page names no stream."""
    tag = re.search(r"<[^<>]*" + re.escape(marker) + r"[^<>]*>", text)
    found = STREAM_URL.search(tag[0]) if tag else None
    return html.unescape(found[1]) if found and found[1] else None


def _fire(request_type: str, name: str, ms: float, length: int = 0, exception=None) -> None:
    events.request.fire(request_type=request_type, name=name, response_time=ms, response_length=length,
                        exception=exception, context={})  # fmt: skip


class StreamError(Exception):
    pass


class Staff(FastHttpUser):
    abstract = True
    wait_time = constant(0)  # each role spends its own time (think times below)
    role = ""
    per_tenant = 1

    def on_start(self) -> None:
        tenant, number = _slot(self.role, self.per_tenant)
        self.tenant = f"lt{tenant:03d}"
        self.username = self.role if self.per_tenant == 1 else f"{self.role}{number}"
        self.number = number
        port = urllib.parse.urlparse(self.host).port
        self.server = urllib.parse.urlparse(self.host).hostname or "127.0.0.1"  # where the streams are, too
        self.hostport = f"{self.tenant}.localhost" + (f":{port}" if port else "")
        self.origin = f"http://{self.hostport}"
        self.csrf = ""
        self.rng = random.Random(f"{self.tenant}-{self.username}")  # noqa: S311 - think times, not secrets
        self.sign_in()

    # -- HTTP as the browser sends it ---------------------------------------------------------------------
    def call(self, method: str, path: str, name: str, *, expect=(200,), headers=None, body=None, json_body=None,
             name_for_status=None, check=None):  # fmt: skip
        """One request with the tenant's Host header, redirects not followed (the browser's next request is
        its own entry), named by type (`name_for_status` renames by the answer, e.g. 304 vs 200)."""
        all_headers = {"Host": self.hostport, **(headers or {})}
        if CONNECTION_CLOSE:
            all_headers["Connection"] = "close"
        if method != "GET":
            all_headers.setdefault("Origin", self.origin)
            all_headers.setdefault("Referer", self.origin + "/")
        data = None
        if json_body is not None:
            data = json.dumps(json_body)
            all_headers.update({"Content-Type": "application/json", "X-CSRFToken": self.csrf})
        elif body is not None:
            data = urllib.parse.urlencode(body)
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        with self.client.request(method, path, name=name, data=data, headers=all_headers, allow_redirects=False,
                                 catch_response=True) as response:  # fmt: skip
            if name_for_status:
                response.request_meta["name"] = name_for_status(response.status_code)
            problem = None
            if response.status_code not in expect:
                problem = f"{response.status_code} {(response.text or '')[:160]!r}"
                if not response.status_code:  # no answer: say what the connection did
                    problem += f" {response.error!r}"[:200]
            elif check:
                problem = check(response)
            if problem:
                response.failure(problem)
            else:
                response.success()
        return response

    def page(self, path: str, name: str, **kwargs):
        response = self.call("GET", path, name, **kwargs)
        found = CSRF_PAGE.search(response.text or "")
        if found:
            self.csrf = found[1]
        return response

    def sign_in(self) -> None:
        form = self.call("GET", "/login/", "GET sign-in page")
        token = CSRF_FORM.search(form.text or "")
        answer = self.call("POST", "/login/", "POST sign-in", expect=(302,), body={
            "csrfmiddlewaretoken": token[1] if token else "", "username": self.username, "password": PASSWORD,
            "next": ""})  # fmt: skip
        self.home = urllib.parse.urlparse(answer.headers.get("Location", "/") if answer.headers else "/").path
        if self.home == "/login/verify/":  # an owner: the authenticator's code (one sign-in per owner per run)
            step = self.call("GET", "/login/verify/", "GET second step")
            token = CSRF_FORM.search(step.text or "")
            answer = self.call("POST", "/login/verify/", "POST second step", expect=(302,), body={
                "csrfmiddlewaretoken": token[1] if token else "", "token": totp_code(TOTP_KEY)})  # fmt: skip
            self.home = urllib.parse.urlparse(answer.headers.get("Location", "/") if answer.headers else "/").path

    listening = False  # a stream of this screen has sent a state and is open

    def think(self, low: float, high: float) -> None:
        gevent.sleep(self.rng.uniform(low, high))

    # -- a screen's live updates by push (server-sent events), as its script follows them -----------------------
    def follow(self, url: str | None, kind: str, on_state, poll, poll_first: bool = False) -> None:
        """Forever, as static/js/live.js: read the stream at `url`; when it is lost, poll at once without
        If-None-Match (`poll(fresh=True)` returns the stream a 200 answer names in X-Live-Stream), then every
        1.5 s with the ETag, and open the stream after the first poll at least `pause` after the loss (1 s,
        doubled by each loss up to 30 s, back to 1 s when a stream sent a state). A page that named no stream
        polls every 1.5 s (at once first, with `poll_first`), and listens if an answer names one."""
        pushing, pause, reopen_at = bool(url), PAUSE_FIRST, 0.0
        if not url:
            if poll_first:
                poll(fresh=False)
            gevent.sleep(POLL_SECONDS)
            url = poll(fresh=False)
        while True:
            if url and time.monotonic() >= reopen_at:
                if self.stream(url, kind, on_state):
                    pause = PAUSE_FIRST
                url, reopen_at, pause = None, time.monotonic() + pause, min(pause * 2, PAUSE_MOST)
            else:
                gevent.sleep(POLL_SECONDS)
            url = poll(fresh=pushing and not url) or url

    def stream(self, url: str, kind: str, on_state) -> bool:
        """One stream, read until the server closes it or it is lost: a GET on its own socket to the stream's port
        on the server's address (the URL's host name only goes in the Host header), parsed as EventSource does.
        Each `state` event goes to `on_state(body, event_id)`. True when it sent at least one state."""
        parts = urllib.parse.urlsplit(urllib.parse.urljoin(self.origin + "/", url))  # a path: on this origin
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = (f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: text/event-stream\r\n"
                f"Cache-Control: no-cache\r\nOrigin: {self.origin}\r\nUser-Agent: locust-loadtest\r\n\r\n")  # fmt: skip
        connect = f"SSE connect {kind}"
        started = time.perf_counter()
        sock = None
        try:
            sock = gevent.socket.create_connection((self.server, parts.port or 80), timeout=10)
            sock.settimeout(30)  # for the answer's headers
            sock.sendall(head.encode("latin-1"))
            response = HTTPSocketResponse(sock, method="GET")
            sock.settimeout(STREAM_TIMEOUT)
            status, kind_of = response.status_code, str(response.get("content-type") or "")
            if status != 200 or not kind_of.startswith("text/event-stream"):
                body = response.read(400) if status != 200 else b""  # 403, 503: a short text
                raise StreamError(f"{status} {kind_of!r} {body[:160]!r}")
        except gevent.GreenletExit:
            if sock is not None:
                sock.close()
            raise
        except Exception as exc:  # noqa: BLE001 - refused, reset, timed out, 403, 503: a failed connect
            if sock is not None:
                sock.close()
            _fire("GET", connect, (time.perf_counter() - started) * 1000, exception=exc)
            return False
        opened = last = time.perf_counter()
        _fire("GET", connect, (opened - started) * 1000)
        event_name, event_id, data, problem, received = "", None, [], None, 0
        try:
            while True:
                raw = response.readline(b"\n")
                if not raw:
                    break  # the server ended the stream (its token expired)
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith(":"):
                    continue  # ": ping"
                if line:
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if field == "data":
                        data.append(value)
                    elif field == "event":
                        event_name = value
                    elif field == "id":
                        event_id = value
                    continue
                if data and event_name == "state":  # a blank line ends an event
                    now = time.perf_counter()
                    body, error = "\n".join(data), None
                    try:
                        on_state(body, event_id)
                    except (ValueError, KeyError, TypeError) as exc:
                        error = exc
                    _fire(SSE, f"stream {kind} event", (now - last) * 1000, len(body.encode()), error)
                    last, received = now, received + 1
                    self.listening = True  # as live.js's <body data-live="listening">
                elif data and event_name != "ping":
                    COUNTERS[f"stream events of another type ({event_name or 'message'})"] += 1
                event_name, data = "", []
        except gevent.GreenletExit:
            raise
        except Exception as exc:  # noqa: BLE001 - reset, no ping within STREAM_TIMEOUT, bad chunk: a broken stream
            problem = exc
        finally:
            sock.close()
            self.listening = False
        if not received:  # the service could not render the screen, or lost Redis, before the first state
            COUNTERS[f"{kind} streams ended before their first event"] += 1
        _fire(SSE, f"stream {kind} end", (time.perf_counter() - opened) * 1000, exception=problem)
        return received > 0


class Cashier(Staff):
    weight = 6
    role, per_tenant = "cashier", 6

    def on_start(self) -> None:
        super().on_start()
        self.products: dict[str, list[dict]] = {}
        self.orders: dict[int, int] = {}  # order id -> number, sent by this till and not yet served
        self.ready_etag = None
        self.ready_seen: set[int] = set()
        self.to_serve: list[tuple[float, int]] = []
        self.stream_url: str | None = None
        self.open_till()
        if PUSH:
            self.poller = gevent.spawn(self.follow, self.stream_url, "ready", self.ready_state, self.poll_ready,
                                       poll_first=True)  # fmt: skip
            self.server_loop = gevent.spawn(self.serve_loop)
        else:
            self.poller = gevent.spawn(self.ready_loop)

    def on_stop(self) -> None:
        for name in ("poller", "server_loop"):
            greenlet = getattr(self, name, None)
            if greenlet is not None:
                greenlet.kill(block=False)

    def open_till(self) -> None:
        till = self.page("/till/", "GET till page", expect=(200, 302))
        if till.status_code == 302:
            form = self.page("/till/shift/open/", "GET shift open page")
            text = form.text or ""
            mine = re.search(rf'<option value="(\d+)" ?(disabled)?[^>]*>Till {self.number}(?:<| )', text)
            register = mine[1] if mine and not mine[2] else "new"
            if register == "new":
                COUNTERS["registers already in use (a new one opened)"] += 1
            token = CSRF_FORM.search(text)
            self.call("POST", "/till/shift/open/", "POST shift open", expect=(302,), body={
                "csrfmiddlewaretoken": token[1] if token else "", "register": register,
                "register_name": f"Till {self.number} {uuid.uuid4().hex[:4]}", "opening_float": "0"})  # fmt: skip
            till = self.page("/till/", "GET till page")
        text = till.text or ""
        self.stream_url = stream_url(text, "data-ready-url=")
        if PUSH and not self.stream_url:
            COUNTERS["till pages naming no stream (the strip polls)"] += 1
        self.categories = re.findall(r"/till/products/\?category=(\d+)", text)
        first = self.categories[0] if self.categories else ""
        self.products[first] = self._grid(text)

    @staticmethod
    def _grid(text: str) -> list[dict]:
        products = [json.loads(html.unescape(m)) for m in re.findall(r"data-product='([^']*)'", text)]
        return [p for p in products if not p.get("variants") and not p.get("modifier_groups")]

    def _pick(self) -> dict | None:
        category = self.rng.choice(self.categories) if self.categories else ""
        if category not in self.products:  # a category tab the till has not shown yet (htmx)
            grid = self.call("GET", f"/till/products/?category={category}", "GET till products",
                             headers={"HX-Request": "true", "HX-Target": "till-products"})  # fmt: skip
            self.products[category] = self._grid(grid.text or "")
        choices = self.products[category] or next((p for p in self.products.values() if p), [])
        return self.rng.choice(choices) if choices else None

    def _cart(self, lines: list[dict]) -> dict:
        return {"lines": [{"product_id": line["product_id"], "variant_id": None, "modifier_ids": [],
                           "quantity": line["quantity"], "note": "", "discount": None} for line in lines],
                "order_type": "takeaway", "table_label": "", "customer_name": "", "order_discount": None,
                "table_id": None, "rush": False}  # fmt: skip

    @task
    def sell(self) -> None:
        n_lines = self.rng.randint(2, 4)
        pauses = [self.rng.random() + 0.2 for _ in range(n_lines + 1)]
        total = self.rng.uniform(*THINK_ORDER)
        lines: list[dict] = []
        for index in range(n_lines):
            gevent.sleep(total * pauses[index] / sum(pauses))
            product = self._pick()
            if product is None:
                COUNTERS["tills without products"] += 1
                return
            lines.append({"product_id": product["id"], "quantity": self.rng.choice((1, 1, 1, 2))})
            self.call("POST", "/till/preview/", "POST preview", json_body=self._cart(lines))
        gevent.sleep(total * pauses[-1] / sum(pauses))
        # Send: the order goes to the kitchen as an open tab, under the cart's idempotency key.
        body = {**self._cart(lines), "idempotency_key": str(uuid.uuid4()), "send": True}
        started = time.perf_counter()
        sent = self.call("POST", "/till/orders/", "POST submit (send)", expect=(201,), json_body=body)
        submit_ms = (time.perf_counter() - started) * 1000
        if sent.status_code != 201:
            return
        order = sent.json()
        now = time.time()
        key = (self.tenant, order["number"])
        SENT[key] = now
        for seen_key in [k for k in KITCHEN_SEEN if k[:2] == key]:  # a display showed it before this answer
            KITCHEN_SEEN.pop(seen_key)
            SHOWN.add(key)
            _live("kitchen ticket", 0.0, "a display before the Send answer")
        self.orders[order["id"]] = order["number"]
        # Tabs, then Pay on the tab just sent: the till's way to take the money for a sent order.
        gevent.sleep(self.rng.uniform(1.0, 3.0))
        tabs = self.call("GET", "/till/tabs/", "GET tabs")
        tab = next((t for t in (tabs.json() or {}).get("tabs", []) if t["id"] == order["id"]), order) \
            if tabs.status_code == 200 else order  # fmt: skip
        gevent.sleep(self.rng.uniform(1.0, 3.0))
        cash = self.rng.random() < 0.5
        payment = {"tender": "cash" if cash else "card", "amount_minor": tab["balance_minor"], "tip_minor": 0,
                   "tendered_minor": None, "reference": "" if cash else f"AP{self.rng.randrange(10**6):06d}",
                   "idempotency_key": str(uuid.uuid4())}  # fmt: skip
        started = time.perf_counter()
        paid = self.call("POST", f"/till/orders/{order['id']}/payments/", "POST pay", expect=(201,),
                         json_body=payment, check=lambda r: None if r.json().get("balance_minor") == 0
                         else f"balance left {r.json().get('balance_minor')}")  # fmt: skip
        pay_ms = (time.perf_counter() - started) * 1000
        if paid.status_code == 201:
            events.request.fire(request_type="FLOW", name="checkout (submit+pay)", response_time=submit_ms + pay_ms,
                                response_length=0, exception=None, context={})  # fmt: skip

    # -- the ready strip, beside the cart --------------------------------------------------------------------
    def serve_loop(self) -> None:
        """Push: "Handed over" on each ready order 2-6 s after the strip showed it (checked every 1.5 s, as the
        poll loop did); as till.js, followed by a poll without If-None-Match only while no stream is listening
        (a listening strip is sent its new state)."""
        while True:
            gevent.sleep(POLL_SECONDS)
            self.serve_due(then_poll=not self.listening)

    def serve_due(self, then_poll: bool = False) -> bool:
        now = time.time()
        due = [order_id for when, order_id in self.to_serve if when <= now]
        if due:
            self.to_serve = [(w, o) for w, o in self.to_serve if o not in due]
            for order_id in due:
                self.call("POST", f"/till/orders/{order_id}/served/", "POST served", json_body={})
                self.orders.pop(order_id, None)
                if then_poll:
                    self.poll_ready(fresh=True)
        return bool(due)

    def ready_loop(self) -> None:
        while True:
            self.poll_ready(fresh=False)
            if self.serve_due():
                self.poll_ready(fresh=True)  # the strip reloads at once after "served"
            gevent.sleep(POLL_SECONDS)

    def poll_ready(self, fresh: bool) -> str | None:
        """One poll of the strip; the stream URL a 200 answer names (push), else None."""
        headers = {"If-None-Match": self.ready_etag} if self.ready_etag and not fresh else {}
        response = self.call("GET", "/till/ready/", "GET ready", expect=(200, 304), headers=headers,
                             name_for_status=_by_status("GET ready"))  # fmt: skip
        if response.status_code != 200:
            return None
        self.ready_etag = response.headers.get("ETag")
        self.ready_shown(response.json() or {}, "a poll answer")
        return response.headers.get("X-Live-Stream")

    def ready_state(self, body: str, event_id: str | None) -> None:
        """A stream's state event: the same JSON as a 200 poll."""
        self.ready_etag = event_id
        self.ready_shown(json.loads(body), "a stream event")

    def ready_shown(self, data: dict, via: str) -> None:
        """What the strip now shows; the first sight of an order this till sent is its live-update latency."""
        now = time.time()
        for ready in data.get("ready", []):
            if ready["id"] in self.orders and ready["id"] not in self.ready_seen:
                self.ready_seen.add(ready["id"])
                bumped = BUMPED.pop((self.tenant, ready["number"]), None)
                if bumped is not None:
                    _live("ready strip", now - bumped, via)
                else:
                    READY_SEEN[(self.tenant, ready["number"])] = now  # the bump's answer is still on its way
                self.to_serve.append((now + self.rng.uniform(2.0, 6.0), ready["id"]))


TICKET = re.compile(
    r'data-testid="ticket"[^>]*? data-created="(\d+)".*?<strong>#(\d+)</strong>.*?/kitchen/tickets/(\d+)/bump/', re.S
)


class KitchenDisplay(Staff):
    weight = 2
    role, per_tenant = "kitchen", 2

    def on_start(self) -> None:
        super().on_start()
        page = self.page("/kitchen/", "GET kitchen display")
        stations = re.findall(r'href="/kitchen/\?station=(\d+)"', page.text or "")
        self.station = stations[(self.number - 1) % len(stations)] if stations else ""
        self.query = f"?station={self.station}" if self.station else ""
        self.display = f"{self.tenant}:{self.station}"
        page = self.page(f"/kitchen/{self.query}", "GET kitchen display")
        self.etag = None
        self.tickets: dict[int, tuple[int, float]] = {}  # ticket id -> (order number, created)
        self.seen: set[int] = set()
        self.due: dict[int, float] = {}
        self.show(page.text or "", "the page")
        self.follower = None
        self.tapping = self.missed = False  # a bump in flight; a state dropped meanwhile (kitchen.js)
        if PUSH:
            url = stream_url(page.text or "", 'id="kds-live"')
            if not url:
                COUNTERS["kitchen pages naming no stream (the display polls)"] += 1
            self.follower = gevent.spawn(self.follow, url, "kitchen", self.kitchen_state, self.poll_kitchen)

    def on_stop(self) -> None:
        if getattr(self, "follower", None) is not None:
            self.follower.kill(block=False)

    def kitchen_state(self, body: str, event_id: str | None) -> None:
        """A stream's state event: the same tickets partial as a 200 poll; dropped while a bump is in flight (the
        bump's answer shows the tickets after it, and one poll then catches up), as kitchen.js does."""
        if self.tapping:
            self.missed = True
            return
        self.etag = event_id
        self.show(body, "a stream event")

    def poll_kitchen(self, fresh: bool = False) -> str | None:
        """One poll of the display; the stream URL a 200 answer names (push), else None."""
        headers = {"If-None-Match": self.etag} if self.etag and not fresh else {}
        response = self.call("GET", f"/kitchen/poll/{self.query}", "GET kitchen poll", expect=(200, 304),
                             headers=headers, name_for_status=_by_status("GET kitchen poll"))  # fmt: skip
        if response.status_code in (200, 304):
            self.etag = response.headers.get("ETag")
        if response.status_code != 200:
            return None
        self.show(response.text or "", "a poll answer")
        return response.headers.get("X-Live-Stream")

    def show(self, partial: str, via: str) -> None:
        """What the display now shows; the first sight of a sent order is its live-update latency."""
        now = time.time()
        self.tickets = {}
        for created, number, ticket_id in TICKET.findall(partial):
            number, ticket_id = int(number), int(ticket_id)
            self.tickets[ticket_id] = (number, float(created))
            if ticket_id not in self.seen:
                self.seen.add(ticket_id)
                self.due[ticket_id] = float(created) + self.rng.uniform(*BUMP_AFTER)
                sent = SENT.get((self.tenant, number))
                if sent is not None:
                    SHOWN.add((self.tenant, number))
                    _live("kitchen ticket", now - sent, via)
                elif float(created) >= MARKS.get("start", now):
                    KITCHEN_SEEN[(self.tenant, number, self.display)] = now

    @task
    def work(self) -> None:
        """Every 1.5 s (poll: after each poll) the kitchen bumps the ticket most overdue, if any."""
        gevent.sleep(POLL_SECONDS)
        if not PUSH:
            self.poll_kitchen()
        now = time.time()
        overdue = sorted((due, ticket_id) for ticket_id, due in self.due.items()
                         if ticket_id in self.tickets and due <= now)  # fmt: skip
        if overdue:
            ticket_id = overdue[0][1]
            number = self.tickets[ticket_id][0]
            # An earlier station's bump of the same order is not what makes it ready: while this bump is on its way,
            # a strip showing the order counts it as "before the bump answer", not from that older bump.
            BUMPED.pop((self.tenant, number), None)
            self.tapping = True
            try:
                answer = self.call("POST", f"/kitchen/tickets/{ticket_id}/bump/{self.query}", "POST bump", body={},
                                   headers={"HX-Request": "true", "HX-Target": "kds-tickets",
                                            "X-CSRFToken": self.csrf,
                                            "HX-Current-URL": f"{self.origin}/kitchen/{self.query}"})  # fmt: skip
            finally:
                self.tapping = False
            self.due.pop(ticket_id, None)
            if answer.status_code == 200:
                if READY_SEEN.pop((self.tenant, number), None) is not None:
                    _live("ready strip", 0.0, "a strip before the bump answer")
                else:
                    BUMPED[(self.tenant, number)] = time.time()
                self.show(answer.text or "", "a bump answer")
                # htmx swapped the tickets; kitchen.js goes on from the version the answer names (none: fetch)
                self.etag = answer.headers.get("ETag")
            if self.missed:  # a state came while the bump was in flight: one poll catches up
                self.missed = False
                self.poll_kitchen(fresh=False)


class Supervisor(Staff):
    weight = 1
    role, per_tenant = "supervisor", 1
    pages = [
        ("/supervisor/", "GET supervisor console"),
        ("/till/history/", "GET orders list"),
        ("shift", "GET shift X report"),
        ("/supervisor/kitchen/", "GET kitchen metrics"),
        ("/backoffice/stock/", "GET stock levels"),
        ("/supervisor/stock/adjustments/", "GET stock approvals"),
    ]

    def on_start(self) -> None:
        super().on_start()
        self.shift_reports: list[str] = []
        self.visit(self.home or "/", "GET landing page")

    def visit(self, path: str, name: str) -> None:
        response = self.page(path, name)
        reports = re.findall(r'href="(/shifts/\d+/report/)"', response.text or "")
        if reports:
            self.shift_reports = reports

    @task
    def browse(self) -> None:
        self.think(*THINK_PAGE)
        path, name = self.rng.choice(self.pages)
        if path == "shift":
            if not self.shift_reports:
                return
            path = self.rng.choice(self.shift_reports)
        self.visit(path, name)


class Owner(Supervisor):
    weight = 1
    role, per_tenant = "owner", 1
    pages = [
        ("/backoffice/", "GET owner dashboard"),
        ("/backoffice/catalog/products/", "GET products list"),
        ("/backoffice/stock/", "GET stock levels"),
        ("/backoffice/stock/movements/", "GET stock movements"),
        ("/backoffice/stock/low/", "GET low stock"),
        ("/supervisor/kitchen/", "GET kitchen metrics"),
        ("/till/history/", "GET orders list"),
        ("/backoffice/staff/", "GET staff"),
    ]


# --- results: a per-second series and the live-update samples, for loadtest/run.py ------------------------
@events.request.add_listener
def _count(request_type, name, response_time, exception=None, **_kwargs):
    if request_type in SYNTHETIC:
        return
    bucket = SERIES.setdefault(int(time.time()), [0, 0, [], 0])
    if request_type == SSE:  # not a request: only a broken stream or an unreadable event counts, as a failure
        bucket[1] += exception is not None
        return
    bucket[0] += 1
    bucket[1] += exception is not None
    bucket[2].append(response_time)


@events.test_start.add_listener
def _start(environment, **_kwargs):
    MARKS["start"] = time.time()

    def users():
        while True:
            runner = environment.runner
            if runner is not None:
                SERIES.setdefault(int(time.time()), [0, 0, [], 0])[3] = runner.user_count
            gevent.sleep(1)

    gevent.spawn(users)


@events.spawning_complete.add_listener
def _spawned(user_count, **_kwargs):
    MARKS.setdefault("spawned", time.time())


@events.test_stop.add_listener
def _write(environment, **_kwargs):
    MARKS["stop"] = time.time()
    if not RESULT_JSON:
        return
    steady = MARKS.get("spawned", MARKS.get("start", 0))
    series = [{"t": t, "requests": b[0], "failures": b[1], "times": [round(x, 1) for x in b[2]], "users": b[3]}
              for t, b in sorted(SERIES.items())]  # fmt: skip
    with open(RESULT_JSON, "w") as out:
        json.dump({"marks": MARKS, "steady_from": steady, "live_mode": LIVE_MODE, "live": LIVE,
                   "counters": COUNTERS,
                   "unmatched": {"kitchen seen before send answer": len(KITCHEN_SEEN),
                                 "sent never seen by a display": len(SENT.keys() - SHOWN),
                                 "bumps never seen on a strip": len(BUMPED),
                                 "ready on a strip, no bump answer": len(READY_SEEN)},
                   "series": series}, out)  # fmt: skip
