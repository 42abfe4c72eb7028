"""One measured load run against a checkout: set up, serve, load, measure, report, stop.

    .venv/bin/python loadtest/run.py --users 20 --duration 60s --label smoke
    .venv/bin/python loadtest/run.py --users 500 --duration 10m --label main --nice 10
    .venv/bin/python loadtest/run.py --repo /work/baseline --users 500 --duration 10m --label baseline

For the checkout (`--repo`, default this one) it makes the database if missing, migrates (`manage.py
setup_platform`), provisions the tenants (loadtest/setup.py, run with the checkout's own code), starts
gunicorn with the checkout's deploy/gunicorn.conf.py and production settings, a Celery worker and beat (as the
Procfile does), waits for /healthz, and runs loadtest/locustfile.py headless (Locust always from this
checkout). With `--live push` (the default when the checkout has kitchen/stream.py) it also starts the live
process beside gunicorn (uvicorn serving kitchen.stream:app on a port of its own, same environment), tells
gunicorn its port (LIVE_STREAM_PORT, so pages and poll answers name the streams), and the screens follow their
server-sent events; `--live poll` starts no live process and the screens poll as before push. Meanwhile it
samples the CPU of each process group every second (the live process as "live") and PostgreSQL's wait events
every 0.5 s, and probes the floor view (/floor/) once a second (the floor under load). After the load, with the
server still up, it measures the bare floor: /floor/ from 32 keep-alive clients for 10 s.

Writes loadtest-report/<time>-<label>/ (Locust's csv and html, summary.md, report.html, logs) and exits
non-zero when the overall p95 is at or over --p95-budget ms or more than --error-budget % of requests failed.
Everything it started is stopped on exit, Ctrl-C included.

Without DATABASE_URL / REDIS_URL: postgresql://postgres@127.0.0.1:5432/pos_loadtest and redis://127.0.0.1:6379/4
(flushed at the start unless it is database 0: sessions and cached users of another checkout's database must not
leak into this run). Another checkout (--repo) gets its own database on the same server, <name>_<its dir>, as its
migrations differ.
"""

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import datetime
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import report  # noqa: E402 - loadtest/report.py, beside this file

FLOOR_PATH = "/floor/"


def log(message: str) -> None:
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def seconds(text: str) -> int:
    """Locust's duration syntax: 90, 90s, 3m, 1h30m."""
    if text.isdigit():
        return int(text)
    parts = re.findall(r"(\d+)\s*([hms])", text)
    if not parts:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r}")
    return sum(int(n) * {"h": 3600, "m": 60, "s": 1}[unit] for n, unit in parts)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the processes this run starts ----------------------------------------------------------------------
class Processes:
    """Everything started here, each in its own process group, stopped in reverse order on exit."""

    def __init__(self) -> None:
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], *, log_path: Path, **kwargs) -> subprocess.Popen:
        out = open(log_path, "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(  # noqa: S603 - our own commands
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
        )
        self.started.append((name, process))
        return process

    def stop(self, process: subprocess.Popen, timeout: float = 15) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop_all(self) -> None:
        for _name, process in reversed(self.started):
            self.stop(process)
        self.started.clear()


# --- sampling ---------------------------------------------------------------------------------------------
class CpuSampler(threading.Thread):
    """Cores used per process group, each second, from the processes' own CPU times; "other" is the machine's
    total minus our groups (another benchmark on the machine shows up there)."""

    def __init__(self, roots: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.roots = roots  # group -> pid of the root process (its children count too)
        self.samples: list[dict] = []
        self.stopping = threading.Event()
        self.last: dict[int, float] = {}

    def groups(self) -> dict[int, str]:
        owner: dict[int, str] = {}
        for group, pid in list(self.roots.items()):  # the run adds roots (Locust, py-spy) as it starts them
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(pid)
                for proc in [root, *root.children(recursive=True)]:
                    owner[proc.pid] = group
        for proc in psutil.process_iter(["name"]):
            name = proc.info["name"] or ""
            if proc.pid not in owner and name.startswith("postgres"):
                owner[proc.pid] = "postgres"
            elif proc.pid not in owner and name.startswith("redis-server"):
                owner[proc.pid] = "redis"
        return owner

    def run(self) -> None:
        try:
            self._sample()
        except Exception as exc:  # noqa: BLE001 - a sampler failing must not end the run; the log says so
            log(f"CPU sampler stopped: {exc!r}")

    def _sample(self) -> None:
        total0 = sum(psutil.cpu_times()[:3])
        wall0 = time.monotonic()
        first = True
        while not self.stopping.wait(0 if first else 1.0):
            owner = self.groups()
            used: dict[str, float] = {}
            seen: dict[int, float] = {}
            for pid, group in owner.items():
                with contextlib.suppress(psutil.Error):
                    t = psutil.Process(pid).cpu_times()
                    now = t.user + t.system
                    seen[pid] = now
                    used[group] = used.get(group, 0.0) + now - self.last.get(pid, now if first else 0.0)
            self.last = seen
            total = sum(psutil.cpu_times()[:3])
            wall = time.monotonic()
            if not first and wall > wall0:
                span = wall - wall0
                cores = {group: max(value, 0.0) / span for group, value in used.items()}
                ours = sum(cores.values())
                cores["other"] = max((total - total0) / span - ours, 0.0)
                self.samples.append({"t": time.time(), **cores})
            total0, wall0, first = total, wall, False


class WaitSampler(threading.Thread):
    """PostgreSQL's wait events of the database's busy backends, every 0.5 s."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.database_url = database_url
        self.counts: dict[str, int] = {}
        self.samples = 0
        self.backend_samples = 0
        self.stopping = threading.Event()
        self.error = ""

    def run(self) -> None:
        import psycopg

        try:
            conn = psycopg.connect(self.database_url, autocommit=True)
        except Exception as exc:  # noqa: BLE001 - the report says it could not sample
            self.error = str(exc)
            return
        with conn:
            while not self.stopping.wait(0.5):
                rows = conn.execute(
                    "SELECT coalesce(wait_event_type, 'CPU'), coalesce(wait_event, 'running') FROM pg_stat_activity "
                    "WHERE datname = current_database() AND state NOT IN ('idle') AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend'"
                ).fetchall()
                self.samples += 1
                for kind, event in rows:
                    key = f"{kind}: {event}"
                    self.counts[key] = self.counts.get(key, 0) + 1
                    self.backend_samples += 1


class FloorProbe(threading.Thread):
    """The floor view once a second during the load: what the bare stack answers in while the server is busy."""

    def __init__(self, port: int, host: str, path: str) -> None:
        super().__init__(daemon=True)
        self.port, self.host, self.path = port, host, path
        self.times: list[float] = []
        self.errors = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        while not self.stopping.wait(1.0):
            started = time.perf_counter()
            try:
                conn.request("GET", self.path, headers={"Host": self.host})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    self.errors += 1
                    continue
                self.times.append((time.perf_counter() - started) * 1000)
            except (OSError, http.client.HTTPException):
                self.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)


def floor_burst(port: int, host: str, clients: int, duration: float, path: str = FLOOR_PATH) -> dict:
    """Closed loop: `clients` keep-alive connections asking the floor view back to back for `duration` seconds."""
    times: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    deadline = time.perf_counter() + duration

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = times[index]
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Host": host})
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    mine.append((time.perf_counter() - started) * 1000)
                else:
                    errors[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    # One client alone first: the stack's own latency with nothing queued ahead of it.
    single: list[float] = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    until = time.perf_counter() + 3
    while time.perf_counter() < until:
        started = time.perf_counter()
        conn.request("GET", path, headers={"Host": host})
        conn.getresponse().read()
        single.append((time.perf_counter() - started) * 1000)
    conn.close()
    deadline = time.perf_counter() + duration
    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    every = sorted(t for chunk in times for t in chunk)
    result = {"path": path, "clients": clients, "seconds": round(elapsed, 1), "requests": len(every)}
    result.update(errors=sum(errors), rps=len(every) / elapsed if elapsed else 0, p50=report.pct(every, 50),
                  p95=report.pct(every, 95), p99=report.pct(every, 99), single_rps=len(single) / 3,
                  single_p50=report.pct(single, 50), single_p95=report.pct(single, 95))  # fmt: skip
    return result


# --- database ---------------------------------------------------------------------------------------------
def database_ensure(database_url: str) -> None:
    import psycopg

    parsed = urllib.parse.urlparse(database_url)
    name = parsed.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SystemExit(f"database name {name!r} must be a plain lowercase identifier")
    admin = urllib.parse.urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            log(f"created database {name}")


def statements(database_url: str, action: str) -> list[dict] | None:
    """pg_stat_statements: reset ("reset") or the top 15 by total time ("top"); None when unavailable."""
    import psycopg

    try:
        with psycopg.connect(database_url, autocommit=True) as conn:
            if action == "reset":
                conn.execute("SELECT pg_stat_statements_reset()")
                return []
            rows = conn.execute(
                "SELECT calls, total_exec_time, mean_exec_time, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), "
                "160) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = "
                "current_database()) ORDER BY total_exec_time DESC LIMIT 15"
            ).fetchall()
    except Exception:  # noqa: BLE001 - not preloaded on this server: the report says so
        return None
    return [{"calls": c, "total_ms": t, "mean_ms": m, "rows": r, "query": q} for c, t, m, r, q in rows]


def redis_flush(redis_url: str) -> None:
    import redis

    if urllib.parse.urlparse(redis_url).path.strip("/") in ("", "0"):
        log(f"not flushing {redis_url} (database 0 may be someone's; give the load test its own index)")
        return
    redis.Redis.from_url(redis_url).flushdb()


def config_value(repo: Path, python: str, name: str) -> str:
    """A number from the checkout's gunicorn config as it reads the environment we pass."""
    code = f"import runpy; print(runpy.run_path('deploy/gunicorn.conf.py').get({name!r}))"
    return subprocess.run(  # noqa: S603 - the checkout's own interpreter
        [python, "-c", code], cwd=repo, capture_output=True, text=True, check=False
    ).stdout.strip()


def wait_listening(port: int, process: subprocess.Popen, name: str, timeout: float = 60) -> None:
    """Until something accepts connections on the port (uvicorn listens once its startup is done)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited before listening on port {port}; see {name}.log")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
            return
        time.sleep(0.3)
    raise SystemExit(f"{name} did not listen on port {port} in time; see {name}.log")


def wait_healthy(port: int, host: str, gunicorn: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gunicorn.poll() is not None:
            raise SystemExit("gunicorn exited before answering /healthz; see gunicorn.log")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", FLOOR_PATH, headers={"Host": host})
            if conn.getresponse().status == 200:
                return
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer /healthz in time")


# --- the run ----------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, default=ROOT, help="the checkout to serve (default: this one)")
    parser.add_argument("--python", help="its interpreter (default: <repo>/.venv/bin/python, else this one)")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--tenants", type=int, help="default: users / 10")
    parser.add_argument("--duration", type=seconds, default=seconds("3m"), help="e.g. 90s, 3m, 10m (ramp included)")
    parser.add_argument("--spawn-rate", type=float, help="users per second (default: all users in about 60 s)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (WEB_CONCURRENCY; default: the config's)")
    parser.add_argument("--threads", type=int, help="threads per worker (WEB_THREADS; default: the config's)")
    parser.add_argument("--max-requests", type=int, help="gunicorn --max-requests (default: the config's)")
    parser.add_argument("--label", default="run")
    parser.add_argument("--nice", type=int, nargs="?", const=10, default=0,
                        help="run Locust (and the floor burst) under nice N (default N: 10)")  # fmt: skip
    parser.add_argument(
        "--py-spy",
        type=int,
        default=0,
        metavar="SECONDS",
        help="record the gunicorn workers with py-spy for SECONDS after the ramp (flamegraph.svg)",
    )
    parser.add_argument("--p95-budget", type=float, default=150, help="ms; the run fails at or above it")
    parser.add_argument("--error-budget", type=float, default=0.1, help="%% of requests; fails at or above it")
    parser.add_argument("--floor-clients", type=int, default=32)
    parser.add_argument("--floor-seconds", type=float, default=10)
    parser.add_argument(
        "--floor-path",
        default=FLOOR_PATH,
        help="the floor view: /floor/ (a tenant view that does nothing, behind the whole middleware stack) or, "
        "for a checkout without it, /healthz (answered before tenant routing, so a lower floor)",
    )
    parser.add_argument("--port", type=int, help="default: a free one")
    parser.add_argument(
        "--live",
        choices=("push", "poll"),
        help="how the kitchen displays and the tills' ready strips follow changes: push (server-sent events from "
        "the live process, kitchen.stream under uvicorn; the default when the checkout has kitchen/stream.py) or "
        "poll (every 1.5 s with ETags, as before push; the default otherwise)",
    )
    parser.add_argument("--live-port", type=int, help="the live process's port (default: a free one)")
    parser.add_argument("--out", type=Path, default=ROOT / "loadtest-report")
    parser.add_argument(
        "--skip-setup",
        action="store_true",
        help="tenants are already there (faster reruns): only tidy what earlier runs left",
    )
    args = parser.parse_args(argv)
    args.repo = args.repo.resolve()
    if not (args.repo / "manage.py").exists():
        parser.error(f"{args.repo} is not a checkout of the project (no manage.py)")
    args.tenants = args.tenants or max(1, (args.users + 9) // 10)
    args.spawn_rate = args.spawn_rate or max(args.users / 60, 1.0)
    venv_python = args.repo / ".venv" / "bin" / "python"
    args.python = args.python or str(venv_python if venv_python.exists() else Path(sys.executable))
    has_stream = (args.repo / "kitchen" / "stream.py").exists()
    if args.live == "push" and not has_stream:
        parser.error(f"--live push: {args.repo} has no kitchen/stream.py (use --live poll)")
    args.live = args.live or ("push" if has_stream else "poll")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")  # noqa: DTZ005 - a local folder name
    out = (args.out / f"{stamp}-{re.sub(r'[^A-Za-z0-9_.-]', '_', args.label)}").resolve()
    out.mkdir(parents=True)
    database_url = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/pos_loadtest"
    if args.repo != ROOT:  # another checkout migrates differently: its own database on the same server
        suffix = re.sub(r"[^a-z0-9]", "_", args.repo.name.lower())
        database_url = re.sub(r"/([A-Za-z0-9_]+)$", rf"/\1_{suffix}", database_url)
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/4"
    port = args.port or free_port()
    live_port = (args.live_port or free_port()) if args.live == "push" else None
    host = f"lt001.localhost:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "pos_project.settings.production",
        "SECRET_KEY": "loadtest-only",
        "ALLOWED_HOSTS": ".localhost",
        "BEHIND_TLS": "false",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        # Every simulated person signs in from 127.0.0.1 within a minute: lift the sign-in limits for the run.
        "LOGIN_RATE_LIMIT": "100000/m",
        "LOGIN_RATE_LIMIT_PER_IP": "100000/m",
        "LOGIN_FREE_FAILURES": "100000",
        "LOGIN_FREE_FAILURES_PER_ADDRESS": "100000",
        "PIN_FREE_FAILURES_PER_DEVICE": "100000",
        "RATELIMIT_IP_META_KEY": "REMOTE_ADDR",
        "SITE_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    if live_port:  # pages and poll answers name the streams on this port
        env["LIVE_STREAM_PORT"] = str(live_port)
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if args.threads:
        env["WEB_THREADS"] = str(args.threads)
    workers = int(config_value(args.repo, args.python, "workers") if not args.workers else args.workers)
    threads = int(config_value(args.repo, args.python, "threads") if not args.threads else args.threads)
    max_requests = args.max_requests if args.max_requests is not None else config_value(args.repo, args.python,
                                                                                         "max_requests")  # fmt: skip
    git = ["git", "-C", str(args.repo), "log", "-1", "--format=%h %s"]
    commit = subprocess.run(git, capture_output=True, text=True, check=False).stdout.strip()[:100]  # noqa: S603,S607
    meta = {"label": args.label, "repo": str(args.repo), "commit": commit, "users": args.users,
            "tenants": args.tenants, "duration_s": args.duration, "spawn_rate": args.spawn_rate, "workers": workers,
            "threads": threads, "max_requests": max_requests, "nice": args.nice, "cores": os.cpu_count(),
            "database": database_url.rsplit("/", 1)[-1], "redis": redis_url, "started": stamp,
            "live": args.live, "live_port": live_port}  # fmt: skip
    log(f"{args.label}: {args.users} users on {args.tenants} tenants for {args.duration} s against {args.repo} "
        f"({commit[:8]}); gunicorn {workers}x{threads}, max_requests {max_requests}; live updates by {args.live}; "
        f"report in {out}")  # fmt: skip

    processes = Processes()
    samplers: list[threading.Thread] = []
    # SIGTERM ends the run like Ctrl-C: through the finally below, which stops everything started.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background (SIG_IGN)
    try:
        database_ensure(database_url)
        redis_flush(redis_url)
        run_env = {**env, "DJANGO_SETTINGS_MODULE": "pos_project.settings.production"}
        # --skip-setup skips migrating and static files, never the tidy of setup.py: what an earlier run left
        # (unserved ready orders above all, which fill the strip's oldest-first places) would skew this one.
        tidy = [args.python, str(HERE / "setup.py"), "--tenants", str(args.tenants)]
        steps = [tidy]
        if not args.skip_setup:
            steps = [[args.python, "manage.py", "setup_platform", "-v", "0"], tidy,
                     [args.python, "manage.py", "collectstatic", "--noinput", "-v", "0"]]  # fmt: skip
        log("tidying what earlier runs left ..." if args.skip_setup else "migrating and provisioning tenants ...")
        for step in steps:
            done = subprocess.run(  # noqa: S603 - the checkout's own commands
                step, cwd=args.repo, env=run_env, capture_output=True, text=True, check=False
            )
            (out / "setup.log").open("a").write(f"$ {' '.join(step)}\n{done.stdout}{done.stderr}\n")
            if done.returncode:
                raise SystemExit(f"setup step failed: {' '.join(step)}\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
        ready = [line for line in (out / "setup.log").read_text().splitlines() if "tenants ready" in line]
        log(ready[-1][:200] if ready else "tenants ready")
        pg_statements = statements(database_url, "reset") is not None

        gunicorn_cmd = [args.python, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "--bind",
                        f"127.0.0.1:{port}", "--access-logfile", str(out / "gunicorn-access.log"),
                        "--error-logfile", str(out / "gunicorn.log")]  # fmt: skip
        if args.max_requests is not None:
            gunicorn_cmd += ["--max-requests", str(args.max_requests)]
        gunicorn = processes.start("gunicorn", [*gunicorn_cmd, "pos_project.wsgi:application"],
                                   log_path=out / "gunicorn.out", cwd=args.repo, env=run_env)  # fmt: skip
        worker = processes.start("celery worker", [args.python, "-m", "celery", "-A", "pos_project", "worker",
                                 "--loglevel=WARNING", "--concurrency=2", "--without-gossip", "--without-mingle"],
                                 log_path=out / "celery-worker.log", cwd=args.repo, env=run_env)  # fmt: skip
        beat = processes.start("celery beat", [args.python, "-m", "celery", "-A", "pos_project", "beat",
                               "--loglevel=WARNING", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
                               "--pidfile=", "--schedule", str(out / "celerybeat-schedule")],
                               log_path=out / "celery-beat.log", cwd=args.repo, env=run_env)  # fmt: skip
        live = None
        if live_port:
            live = processes.start("live", [args.python, "-m", "uvicorn", "kitchen.stream:app", "--host", "127.0.0.1",
                                   "--port", str(live_port), "--no-access-log", "--lifespan", "on", "--log-level",
                                   "warning"], log_path=out / "live.log", cwd=args.repo, env=run_env)  # fmt: skip
        wait_healthy(port, host, gunicorn)
        if live is not None:
            wait_listening(live_port, live, "live")
            log(f"live process (kitchen.stream, uvicorn) up on 127.0.0.1:{live_port} (pid {live.pid})")
        log(f"gunicorn up on 127.0.0.1:{port} (pid {gunicorn.pid}); starting Locust")

        roots = {"gunicorn": gunicorn.pid, "celery worker": worker.pid, "celery beat": beat.pid}
        if live is not None:
            roots["live"] = live.pid
        cpu = CpuSampler(roots)
        waits = WaitSampler(database_url)
        probe = FloorProbe(port, host, args.floor_path)
        samplers = [cpu, waits, probe]
        for sampler in samplers:
            sampler.start()
        locust_cmd = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
                      "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.duration}s",
                      "--host", f"http://127.0.0.1:{port}", "--csv", str(out / "locust"), "--csv-full-history",
                      "--html", str(out / "locust.html"), "--only-summary", "--stop-timeout", "5",
                      "--exit-code-on-error", "0"]  # fmt: skip
        if args.nice:
            locust_cmd = ["nice", "-n", str(args.nice), *locust_cmd]
        locust_env = {**os.environ, "LOADTEST_TENANTS": str(args.tenants), "LOADTEST_LIVE": args.live,
                      "LOADTEST_RESULT_JSON": str(out / "locust-extra.json")}  # fmt: skip
        locust = processes.start("locust", locust_cmd, log_path=out / "locust.log", cwd=ROOT, env=locust_env)
        cpu.roots["locust"] = locust.pid
        spy = None
        if args.py_spy:
            ramp = args.users / args.spawn_rate
            if not _sleep_while(locust, ramp + 5):
                spy_for = max(5, min(args.py_spy, args.duration - ramp - 10))
                spy = processes.start("py-spy", ["py-spy", "record", "-o", str(out / "flamegraph.svg"), "-d",
                                      str(int(spy_for)), "-p", str(gunicorn.pid), "--subprocesses", "--nonblocking"],
                                      log_path=out / "py-spy.log")  # fmt: skip
                cpu.roots["py-spy"] = spy.pid
        locust.wait()
        restarts = report.gunicorn_restarts(out / "gunicorn.log", workers)  # before the floor burst adds its own
        if spy is not None:
            spy.wait(timeout=120)
        for sampler in (cpu, waits, probe):
            sampler.stopping.set()
        log(f"load done; measuring the floor ({args.floor_path}, closed loop) ...")
        floor = run_floor(args, port, host)
        top = statements(database_url, "top") if pg_statements else None
        restarts["after_floor"] = report.gunicorn_restarts(out / "gunicorn.log", workers)["restarts"]
    except KeyboardInterrupt:
        log("interrupted: stopping everything started")
        return 130
    finally:
        for sampler in samplers:
            sampler.stopping.set()
        processes.stop_all()

    data = report.collect(out, meta=meta, cpu=cpu.samples, waits=waits, probe=probe, floor=floor, statements=top,
                          restarts=restarts, budget=args.p95_budget, error_budget=args.error_budget)  # fmt: skip
    summary = report.write(out, data)
    print(summary)
    latest = args.out / "latest"
    with contextlib.suppress(OSError):
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(out.name)
    log(f"report: {out / 'report.html'}")
    return 0 if data["verdict"]["ok"] else 1


def _sleep_while(process: subprocess.Popen, duration: float) -> bool:
    """Sleep up to `duration` s; True when the process ended meanwhile."""
    try:
        process.wait(timeout=duration)
        return True
    except subprocess.TimeoutExpired:
        return False


def run_floor(args: argparse.Namespace, port: int, host: str) -> dict:
    """The floor burst in its own (niced) process, so its client threads never share a GIL with anything."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import run; "
        "print(json.dumps(run.floor_burst(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), "
        "sys.argv[6])))"
    )
    command = [sys.executable, "-c", code, str(HERE), str(port), host, str(args.floor_clients),
               str(args.floor_seconds), args.floor_path]  # fmt: skip
    if args.nice:
        command = ["nice", "-n", str(args.nice), *command]
    done = subprocess.run(  # noqa: S603 - this interpreter
        command, capture_output=True, text=True, check=False, timeout=args.floor_seconds + 60
    )
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": (done.stderr or done.stdout)[-500:]}


if __name__ == "__main__":
    if shutil.which("nice") is None:
        print("warning: nice not found; --nice is ignored", file=sys.stderr)
    sys.exit(main())
