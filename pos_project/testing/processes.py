"""Processes that must use the test database (Celery worker, beat, gunicorn, the live stream service)."""

import http.client
import os
import socket
import subprocess
import sys
import time
from urllib.parse import quote

from django.conf import settings


def child_env(**extra: str) -> dict[str, str]:
    db = settings.DATABASES["default"]
    host = db.get("HOST") or db.get("OPTIONS", {}).get("host", "")
    url = f"postgresql://{db['USER']}:{quote(db.get('PASSWORD') or '')}@{quote(host, safe='')}"
    url += f":{db['PORT']}" if db.get("PORT") else ""
    env = dict(os.environ)
    env.update(DATABASE_URL=f"{url}/{db['NAME']}", DJANGO_SETTINGS_MODULE="pos_project.settings.test", **extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_stream_service(port: int | None = None, **extra: str) -> tuple[subprocess.Popen, int]:
    """The live stream service (kitchen/stream.py) as production runs it, on `port` or a free one; returns once
    it answers (a stream asked for without a pass is refused: 403)."""
    port = port or free_port()
    service = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "kitchen.stream:app", "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log", "--lifespan", "on", "--log-level", "warning", "--timeout-graceful-shutdown", "2"],
        env=child_env(**extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/live/stream/")
            if connection.getresponse().status == 403:
                return service, port
        except OSError:
            pass
        if service.poll() is not None or time.monotonic() > deadline:
            service.kill()
            raise RuntimeError(f"the stream service did not start:\n{service.communicate()[0]}")
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
