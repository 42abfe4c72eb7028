"""Server CPU of the live stream service (kitchen/stream.py, docs/adr/0018): what an idle push connection and a
published change cost the service, measured from the service process's own CPU time (the run time of each of
the uvicorn process's threads, render threads included, from /proc/<pid>/task/*/schedstat, to the nanosecond;
/proc/<pid>/stat's user + system time counts 10 ms ticks, too coarse for short phases), not the client's. The
client is this script.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/pos_loadtest_push REDIS_URL=redis://127.0.0.1:6379/10 \\
        .venv/bin/python bench/stream_cpu.py --streams 400 --idle-seconds 60 --changes 500 --rate 20 \\
        --json stream-cpu.json

It needs a database whose tenants have an outlet and kitchen stations (the load test's, loadtest/setup.py); it
only reads it. It starts the service itself, as production runs it (uvicorn, kitchen.stream:app, production
settings, a SECRET_KEY made for the run and shared with the service, which this script also uses to sign the
streams' passes and publish the changes with push on: LIVE_STREAM_PORT set), on a free port, and stops it at the
end. Then, one phase after another:

1. baseline: the service with no stream open, for --baseline-seconds.
2. open: --streams streams (GET /live/stream/?t=<pass>), spread over the tenants' outlets as the load test's
   screens are: 3 tills' ready strips to 1 kitchen display, the displays one per station in turn. Each waits for
   its first state; the CPU per stream opened includes that first render.
3. idle: the streams are held for --idle-seconds (a ping every 10 s each, no change): the service's CPU per
   stream per second and per minute, and its memory (RSS) with no stream and with all of them.
4. changes: --changes calls of kitchen.live.live_changed(outlet, topic) in the outlet's schema, as a committed
   change makes them (the versions move and are published), at a steady --rate per second, spread over the
   outlets that have streams, the topics in turn (--topics: k = kitchen, r = ready strip, kr = both at once).
   It waits until every stream got the state of its outlet's last change, then reports the service's CPU per
   change and per state event delivered, and the delivery latency: from the call of live_changed to a stream
   receiving that state (or a newer one: changes arriving during a render are folded into one more render).

The idle CPU per stream is given raw (everything the service used, divided by the streams) and net of the
service's CPU with no stream at all (its own timers: uvicorn's tick, the Redis health check), which a short run
with few streams cannot tell apart from the streams' cost.

The client reads every stream concurrently in one asyncio loop (a minimal HTTP/1.1 chunked reader); the changes
are published from a thread beside it. Its own CPU is reported too: it must stay well below one core.
Redis: the run uses its own cache key prefix (--key-prefix), so its versions and push channels are its own: a
load test on the same Redis neither sees its changes nor wakes its streams (nor the other way round). Not
counted: the CPU of PostgreSQL and Redis answering the service's renders (shared with whatever else runs).
"""

import argparse
import asyncio
import contextlib
import json
import math
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OPEN_AT_ONCE = 50  # streams connecting and waiting for their first state at the same time
HEAD_TIMEOUT = 30.0  # s for the answer's headers


def log(message: str) -> None:
    print(f"[stream_cpu {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


# --- the service ------------------------------------------------------------------------------------------
class Service:
    """kitchen.stream under uvicorn, as production runs it, in its own process group; its CPU and memory."""

    def __init__(self, env: dict, port: int) -> None:
        self.port = port
        self.log_file = tempfile.NamedTemporaryFile(prefix="stream_cpu-", suffix=".log", delete=False)  # noqa: SIM115
        command = [sys.executable, "-m", "uvicorn", "kitchen.stream:app", "--host", "127.0.0.1", "--port", str(port),
                   "--no-access-log", "--lifespan", "on", "--log-level", "warning",
                   "--timeout-graceful-shutdown", "2"]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command, cwd=ROOT, env=env, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.ps = psutil.Process(self.process.pid)
        self.threads: dict[tuple[int, int], int] = {}  # (pid, tid) -> ns on a CPU, as last read
        self.clock = "threads' run time (schedstat, ns)"

    def processes(self) -> list[psutil.Process]:
        return [self.ps, *self.ps.children(recursive=True)]

    def cpu(self) -> float:
        """CPU seconds the service has used so far, to the nanosecond: the sum of its threads' run times
        (/proc/<pid>/task/<tid>/schedstat). A thread that ends keeps the time last read (measure() reads every
        0.5 s; the render threads live as long as the service). Where schedstat is missing: user + system time
        in clock ticks (10 ms), too coarse for a short run."""
        for proc in self.processes():
            with contextlib.suppress(OSError):
                for tid in os.listdir(f"/proc/{proc.pid}/task"):
                    with contextlib.suppress(OSError, ValueError, IndexError):
                        text = Path(f"/proc/{proc.pid}/task/{tid}/schedstat").read_text()
                        self.threads[(proc.pid, int(tid))] = int(text.split()[0])
        if self.threads:
            return sum(self.threads.values()) / 1e9
        self.clock = "user + system time (clock ticks)"
        return self.cpu_ticks()

    def cpu_ticks(self) -> float:
        """User + system CPU seconds from /proc/<pid>/stat (psutil): clock ticks, 10 ms each."""
        total = 0.0
        for proc in self.processes():
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
        return total

    def rss(self) -> int:
        total = 0
        for proc in self.processes():
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total

    def wait_listening(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the stream service exited at start:\n{self.log_tail()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.2)
        raise SystemExit(f"the stream service did not listen within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        self.log_file.flush()
        return Path(self.log_file.name).read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


# --- the screens ------------------------------------------------------------------------------------------
@dataclass
class Stream:
    """One open screen as this client follows it: every state event it received (time, id) and its pings."""

    kind: str
    schema: str
    outlet_id: int
    station_id: int | None
    topic: str
    status: int = 0
    first_state: float | None = None
    states: list[tuple[float, str]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    pings: int = 0
    ended: str = ""  # why it ended before this script closed it

    @property
    def channel(self) -> tuple[str, int, str]:
        return self.schema, self.outlet_id, self.topic


def screens(count: int) -> tuple[list[Stream], list[tuple[str, int]]]:
    """`count` screens spread over every active tenant's outlets, first outlets of every tenant first: in groups
    of 4 (3 ready strips, 1 kitchen display) given to the outlets in turn, each outlet's displays on its
    stations in turn, as the load test's 6 cashiers and 2 kitchen users per tenant. Also the outlets used."""
    from django.db.models import Q
    from django_tenants.utils import get_public_schema_name, schema_context

    from business.models import Outlet
    from kitchen.live import KITCHEN, READY
    from kitchen.models import Station
    from kitchen.screens import DISPLAY
    from sales.screens import READY_STRIP
    from tenants.models import Tenant

    tenants = Tenant.objects.filter(is_active=True, is_template=False).exclude(
        Q(schema_name=get_public_schema_name()) | Q(schema_name="tenant_template")
    )
    ranked: list[tuple[int, str, int, list[int]]] = []  # (rank in its tenant, schema, outlet, stations)
    for schema in tenants.order_by("schema_name").values_list("schema_name", flat=True):
        with schema_context(schema):
            for rank, outlet in enumerate(Outlet.objects.filter(is_active=True).order_by("pk")):
                stations = list(Station.objects.filter(outlet=outlet).values_list("pk", flat=True))
                ranked.append((rank, schema, outlet.pk, stations))
    if not ranked:
        raise SystemExit("no active tenant with an active outlet in this database (see loadtest/setup.py)")
    ranked.sort(key=lambda row: (row[0], row[1]))
    streams, used = [], []
    for index in range(count):
        group, place = divmod(index, 4)
        _rank, schema, outlet_id, stations = ranked[group % len(ranked)]
        if (schema, outlet_id) not in used:
            used.append((schema, outlet_id))
        if place < 3:
            streams.append(Stream(READY_STRIP, schema, outlet_id, None, READY))
        else:
            station = stations[(group // len(ranked)) % len(stations)] if stations else None
            streams.append(Stream(DISPLAY, schema, outlet_id, station, KITCHEN))
    return streams, used


def stream_pass(stream: Stream, language: str) -> str:
    """The signed pass a page or full poll gives the screen (kitchen.live.live_stream_url)."""
    from django.core import signing

    screen = [stream.kind, stream.schema, stream.outlet_id, stream.station_id, language, int(time.time())]
    return signing.dumps(screen, salt="kitchen.live.stream")


async def follow(stream: Stream, port: int, path: str, opening: asyncio.Semaphore) -> None:
    """Open the stream and read it until cancelled: HTTP/1.1, the body chunked (or up to the close)."""
    await opening.acquire()
    released = False
    writer = None
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
                     "Cache-Control: no-cache\r\n\r\n".encode())  # fmt: skip
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
        lines = head.decode("latin-1").split("\r\n")
        stream.status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if stream.status != 200:
            body = await asyncio.wait_for(reader.read(300), 5)
            stream.ended = f"{stream.status} {body[:120]!r}"
            return
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        buffer = b""
        while True:
            if chunked:
                size_line = await reader.readline()
                if not size_line:
                    stream.ended = "connection closed"
                    return
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    stream.ended = "ended by the service"
                    return
                data = (await reader.readexactly(size + 2))[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    stream.ended = "ended by the service"
                    return
            now = time.perf_counter()
            buffer += data
            while b"\n\n" in buffer:
                raw, buffer = buffer.split(b"\n\n", 1)
                name, event_id = "", ""
                for line in raw.split(b"\n"):
                    if line.startswith(b"event:"):
                        name = line[6:].strip().decode()
                    elif line.startswith(b"id:"):
                        event_id = line[3:].strip().decode()
                if name == "state":
                    if stream.first_state is None:
                        stream.first_state = now
                        opening.release()
                        released = True
                    stream.states.append((now, event_id))
                    stream.ids.add(event_id)
                elif name == "ping":
                    stream.pings += 1
    except asyncio.CancelledError:
        raise
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
        stream.ended = repr(exc)[:200]
    finally:
        if not released:
            opening.release()
        if writer is not None:
            writer.close()


# --- the changes ------------------------------------------------------------------------------------------
@dataclass
class Change:
    schema: str
    outlet_id: int
    topics: str
    called: float = 0.0  # perf_counter just before live_changed
    ids: dict[str, str] = field(default_factory=dict)  # topic -> the event id (ETag) its state carries


def publish(change: Change) -> Change:
    """One committed change as the services make it (outside a transaction on_commit runs at once: the versions
    move, then move again and are published), and the ETag each topic's state now carries."""
    from django_tenants.utils import schema_context

    from kitchen.live import live_changed, live_etag, live_version

    with schema_context(change.schema):
        change.called = time.perf_counter()
        live_changed(change.outlet_id, *change.topics)
        for topic in change.topics:
            version = live_version(topic, change.outlet_id)
            change.ids[topic] = live_etag(topic, change.outlet_id, version) if version else ""
    return change


def deliveries(streams: list[Stream], changes: list[Change], since: float) -> tuple[list[float], int, int]:
    """Latency of every stream update owed (s), the updates never delivered, and the state events received since
    `since`. A state carrying a change's ETag delivers that change and every earlier one of its channel that the
    stream had not been sent yet (the service renders only the newest version)."""
    by_channel: dict[tuple[str, int, str], list[Change]] = {}
    for change in changes:
        for topic in change.topics:
            by_channel.setdefault((change.schema, change.outlet_id, topic), []).append(change)
    latencies: list[float] = []
    missed = received = 0
    for stream in streams:
        owed = by_channel.get(stream.channel, [])
        position = {c.ids[stream.topic]: i for i, c in enumerate(owed) if c.ids.get(stream.topic)}
        done = -1
        for at, event_id in stream.states:
            if at < since:
                continue
            received += 1
            index = position.get(event_id)
            if index is not None and index > done:
                latencies += [at - c.called for c in owed[done + 1 : index + 1]]
                done = index
        missed += len(owed) - 1 - done
    return latencies, missed, received


# --- the run ----------------------------------------------------------------------------------------------
async def measure(args, service: Service, streams: list[Stream], outlets: list[tuple[str, int]]) -> dict:
    from django.conf import settings

    from kitchen.live import STREAM_PATH

    language = settings.LANGUAGE_CODE
    result: dict = {}
    client0 = time.process_time()
    ticks0, cpu_start = service.cpu_ticks(), service.cpu()

    async def keep_reading() -> None:  # so that a thread ending mid-phase loses at most 0.5 s of its time
        while True:
            service.cpu()
            await asyncio.sleep(0.5)

    reader = asyncio.create_task(keep_reading())

    def since(cpu0: float, wall0: float, client_cpu0: float) -> tuple[float, float, float]:
        """Service CPU (s), wall time (s) and client CPU (s) since the marks."""
        return service.cpu() - cpu0, time.perf_counter() - wall0, time.process_time() - client_cpu0

    # Warm-up: the service listens on Redis once its startup is done (503 until then); one stream of each kind
    # is opened and closed, so the template compilation and first connections are not counted below.
    deadline = time.monotonic() + 30
    for probe_of in ({s.kind: s for s in streams}).values():
        while True:
            probe = Stream(probe_of.kind, probe_of.schema, probe_of.outlet_id, probe_of.station_id, probe_of.topic)
            path = f"{STREAM_PATH}?t={stream_pass(probe, language)}"
            task = asyncio.create_task(follow(probe, service.port, path, asyncio.Semaphore(1)))
            while probe.first_state is None and not task.done() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if probe.first_state is not None:
                break
            if probe.status != 503 or time.monotonic() >= deadline:
                raise SystemExit(f"the warm-up stream failed ({probe.ended or 'no state in time'}):\n"
                                 f"{service.log_tail()}")  # fmt: skip
            await asyncio.sleep(0.3)
    await asyncio.sleep(1)

    # 1. baseline
    marks = service.cpu(), time.perf_counter(), time.process_time()
    await asyncio.sleep(args.baseline_seconds)
    cpu, wall, _ = since(*marks)
    rss_before = service.rss()
    result["baseline"] = {
        "seconds": round(wall, 2),
        "cpu_ms": round(cpu * 1000, 1),
        "cpu_ms_per_s": round(cpu * 1000 / wall, 3),
        "rss_mib": round(rss_before / 2**20, 1),
    }
    log(f"baseline: {cpu * 1000 / wall:.2f} ms CPU/s with no stream, RSS {rss_before / 2**20:.1f} MiB")

    # 2. open
    opening = asyncio.Semaphore(OPEN_AT_ONCE)
    marks = service.cpu(), time.perf_counter(), time.process_time()
    tasks = [
        asyncio.create_task(follow(s, service.port, f"{STREAM_PATH}?t={stream_pass(s, language)}", opening))
        for s in streams
    ]
    deadline = time.monotonic() + 60 + len(streams) * 0.05
    while time.monotonic() < deadline and any(s.first_state is None and not s.ended for s in streams):
        await asyncio.sleep(0.05)
    cpu, wall, _ = since(*marks)
    opened = [s for s in streams if s.first_state is not None and not s.ended]
    failed = [s for s in streams if s not in opened]
    result["open"] = {"streams": len(streams), "opened": len(opened), "failed": len(failed),
                      "failures": sorted({s.ended or "no first state in time" for s in failed})[:5],
                      "seconds": round(wall, 2), "cpu_ms": round(cpu * 1000, 1),
                      "cpu_ms_per_stream": round(cpu * 1000 / max(len(opened), 1), 3)}  # fmt: skip
    log(f"open: {len(opened)}/{len(streams)} streams got their first state in {wall:.1f} s")
    if not opened:
        raise SystemExit(f"no stream opened: {result['open']['failures']}\n{service.log_tail()}")
    await asyncio.sleep(1)

    # 3. idle
    pings0 = sum(s.pings for s in streams)
    states0 = sum(len(s.states) for s in streams)
    marks = service.cpu(), time.perf_counter(), time.process_time()
    await asyncio.sleep(args.idle_seconds)
    cpu, wall, client_cpu = since(*marks)
    rss = service.rss()
    idle_streams = [s for s in opened if not s.ended]
    n = max(len(idle_streams), 1)
    per_s = cpu * 1000 / n / wall
    baseline_per_s = result["baseline"]["cpu_ms_per_s"]
    result["idle"] = {
        "streams": len(idle_streams),
        "lost": len(opened) - len(idle_streams),
        "seconds": round(wall, 2),
        "cpu_ms": round(cpu * 1000, 1),
        "cpu_ms_per_stream_per_s": round(per_s, 5),
        "cpu_ms_per_stream_per_min": round(per_s * 60, 3),
        "cpu_ms_per_stream_per_min_net_of_baseline": round((cpu * 1000 / wall - baseline_per_s) / n * 60, 3),
        "pings": sum(s.pings for s in streams) - pings0,
        "states": sum(len(s.states) for s in streams) - states0,
        "rss_mib": round(rss / 2**20, 1),
        "rss_kib_per_stream": round((rss - rss_before) / 1024 / n, 1),
        "client_cpu_pct": round(client_cpu / wall * 100, 1),
    }
    log(f"idle: {per_s:.4f} ms CPU per stream per second over {wall:.1f} s, RSS {rss / 2**20:.1f} MiB")

    # 4. changes
    changes: list[Change] = []
    topics = args.topics
    executor = ThreadPoolExecutor(1, thread_name_prefix="publish")
    loop = asyncio.get_running_loop()
    marks = service.cpu(), time.perf_counter(), time.process_time()
    started = marks[1]
    for i in range(args.changes):
        schema, outlet_id = outlets[i % len(outlets)]
        delay = started + i / args.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        change = Change(schema, outlet_id, topics[(i // len(outlets)) % len(topics)])
        changes.append(await loop.run_in_executor(executor, publish, change))
    executor.shutdown()
    last: dict[tuple[str, int, str], str] = {}
    for change in changes:
        for topic, event_id in change.ids.items():
            last[(change.schema, change.outlet_id, topic)] = event_id
    waiting = [s for s in idle_streams if s.channel in last]
    deadline = time.monotonic() + args.settle_timeout
    while time.monotonic() < deadline:
        waiting = [s for s in waiting if last[s.channel] not in s.ids and not s.ended]
        if not waiting:
            break
        await asyncio.sleep(0.02)
    cpu, wall, client_cpu = since(*marks)
    latencies, missed, received = deliveries(idle_streams, changes, started)
    owed = len(latencies) + missed
    idle_ms = result["idle"]["cpu_ms"] / result["idle"]["seconds"] * wall  # the pings' share of the window
    ms = [x * 1000 for x in latencies]
    result["changes"] = {
        "changes": len(changes),
        "topics": topics,
        "outlets": len(outlets),
        "rate_asked": args.rate,
        "rate_achieved": round((len(changes) - 1) / max(changes[-1].called - changes[0].called, 1e-9), 2)
        if len(changes) > 1
        else None,
        "seconds": round(wall, 2),
        "cpu_ms": round(cpu * 1000, 1),
        "cpu_ms_per_change": round(cpu * 1000 / max(len(changes), 1), 3),
        "cpu_ms_per_change_net_of_idle": round((cpu * 1000 - idle_ms) / max(len(changes), 1), 3),
        "state_events": received,
        "updates_owed": owed,
        "cpu_ms_per_event": round(cpu * 1000 / max(received, 1), 3),
        "missed": missed,
        "streams_without_last_state": len(waiting),
        "latency_ms": {"p50": pct(ms, 50), "p95": pct(ms, 95), "max": max(ms) if ms else None},
        "client_cpu_pct": round(client_cpu / wall * 100, 1),
        "lost": sum(1 for s in idle_streams if s.ended),
    }
    for key in ("p50", "p95", "max"):
        value = result["changes"]["latency_ms"][key]
        result["changes"]["latency_ms"][key] = round(value, 1) if value is not None else None
    log(f"changes: {len(changes)} published, {received} state events, {missed} updates missed")

    for task in [*tasks, reader]:
        task.cancel()
    await asyncio.gather(*tasks, reader, return_exceptions=True)
    result["client_cpu_s_total"] = round(time.process_time() - client0, 2)
    # The same span by both clocks: they should agree to about 10 ms (a tick) per thread.
    result["cpu_check_s"] = {"clock": round(service.cpu() - cpu_start, 3),
                             "ticks": round(service.cpu_ticks() - ticks0, 3)}  # fmt: skip
    return result


def table(result: dict) -> str:
    o, b, i, c = result["open"], result["baseline"], result["idle"], result["changes"]
    lat = c["latency_ms"]
    kinds = ", ".join(f"{n} {kind}" for kind, n in result["kinds"].items())
    rows = [
        ("streams open", f"{o['opened']} of {o['streams']} ({kinds}; {result['tenants']} tenants, "
                         f"{result['outlets']} outlets)"),
        ("service CPU with no stream", f"{b['cpu_ms_per_s']:.3f} ms/s (RSS {b['rss_mib']} MiB)"),
        ("open: CPU per stream (first state included)", f"{o['cpu_ms_per_stream']:.3f} ms"),
        (f"idle ({i['seconds']:.0f} s): CPU per stream per second", f"{i['cpu_ms_per_stream_per_s']:.4f} ms"),
        ("idle: CPU per stream per minute", f"{i['cpu_ms_per_stream_per_min']:.3f} ms "
                                            f"({i['cpu_ms_per_stream_per_min_net_of_baseline']:.3f} ms net of the "
                                            "no-stream baseline)"),
        ("idle: pings received (expected), streams lost",
         f"{i['pings']} (~{i['streams'] * i['seconds'] / 10:.0f}), {i['lost']}"),
        (f"RSS with {i['streams']} streams", f"{i['rss_mib']} MiB ({i['rss_kib_per_stream']:+.1f} KiB per stream)"),
        ("changes published (rate asked / achieved)", f"{c['changes']} over {c['outlets']} outlets, topics "
                                                      f"{'/'.join(c['topics'])} ({c['rate_asked']:g}/s / "
                                                      f"{c['rate_achieved']}/s)"),
        ("CPU per change", f"{c['cpu_ms_per_change']:.3f} ms ({c['cpu_ms_per_change_net_of_idle']:.3f} ms net of "
                           "the idle streams' share)"),
        ("state events delivered (stream updates owed)", f"{c['state_events']} ({c['updates_owed']})"),
        ("CPU per state event delivered", f"{c['cpu_ms_per_event']:.3f} ms"),
        ("latency call → event p50 / p95 / max", f"{lat['p50']} / {lat['p95']} / {lat['max']} ms"),
        ("updates missed, streams lost", f"{c['missed']}, {c['lost']}"),
        ("client CPU (idle / changes)", f"{i['client_cpu_pct']} % / {c['client_cpu_pct']} % of a core"),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    lines = [f"| {'measure':{width}} | value |", f"|{'-' * (width + 2)}|-------|"]
    lines += [f"| {name:{width}} | {value} |" for name, value in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="default: $DATABASE_URL")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"), help="default: $REDIS_URL")
    parser.add_argument("--streams", type=int, default=400)
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--changes", type=int, default=500)
    parser.add_argument("--rate", type=float, default=20, help="changes per second")
    parser.add_argument(
        "--topics",
        default="k,r",
        help="the changes' topics in turn, comma separated: k (kitchen), r (ready strip), kr (both)",
    )
    parser.add_argument("--baseline-seconds", type=float, default=5)
    parser.add_argument("--settle-timeout", type=float, default=15, help="s to wait for the last states")
    parser.add_argument(
        "--key-prefix",
        default="stream-cpu",
        help="the run's cache key prefix (its versions and push channels): its own, away from other runs'",
    )
    parser.add_argument("--port", type=int, help="the service's port (default: a free one)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if not args.database_url or not args.redis_url:
        parser.error("give --database-url and --redis-url (or set DATABASE_URL and REDIS_URL)")
    if args.streams < 1 or args.changes < 1 or args.rate <= 0 or args.idle_seconds <= 0:
        parser.error("--streams, --changes, --idle-seconds and --rate must be positive")
    args.topics = [t.strip() for t in args.topics.split(",") if t.strip()]
    if not args.topics or any(not t or set(t) - {"k", "r"} or len(set(t)) != len(t) for t in args.topics):
        parser.error("--topics: k, r or kr, comma separated")
    # A stream ends STREAM_SECONDS (600) after its pass was signed: the whole run must fit in it.
    if args.idle_seconds + args.changes / args.rate + args.settle_timeout + 60 > 600:
        parser.error("the run would outlast the streams' passes (10 minutes): shorten --idle-seconds or --changes")

    port = args.port or free_port()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "DJANGO_SETTINGS_MODULE": "pos_project.settings.production",
        "SECRET_KEY": "stream-cpu-" + secrets.token_urlsafe(40),
        "CACHE_KEY_PREFIX": args.key_prefix,
        "ALLOWED_HOSTS": ".localhost,127.0.0.1",
        "BEHIND_TLS": "false",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "LIVE_STREAM_PORT": str(port),  # push on: live_changed publishes (kitchen.live.live_push_on)
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    streams, outlets = screens(args.streams)
    connections.close_all()
    kinds: dict[str, int] = {}
    for s in streams:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    log(f"{len(streams)} streams ({kinds}) over {len(outlets)} outlets; service on 127.0.0.1:{port}")
    service = Service(env, port)
    try:
        service.wait_listening()
        result = asyncio.run(measure(args, service, streams, outlets))
        logged = service.log_tail(20000).splitlines()
        problems = [line for line in logged if any(word in line for word in ("Traceback", "ERROR", "WARNING"))]
    finally:
        service.stop()
    result = {
        "streams": args.streams,
        "kinds": kinds,
        "tenants": len({schema for schema, _ in outlets}),
        "outlets": len(outlets),
        **result,
        "meta": {
            "database": args.database_url.rsplit("/", 1)[-1],
            "redis": args.redis_url,
            "key_prefix": settings.CACHES["default"]["KEY_PREFIX"],
            "cpu_clock": service.clock,
            "cores": os.cpu_count(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "service_log_problems": problems[:10],
            "service_log": service.log_file.name,
            "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
        },
    }
    print(table(result))
    if problems:
        print(f"\nthe service logged {len(problems)} errors: see {service.log_file.name}")
    else:
        Path(service.log_file.name).unlink(missing_ok=True)
        result["meta"]["service_log"] = None
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        log(f"results in {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
