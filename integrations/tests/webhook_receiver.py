"""A real HTTP receiver for webhook tests: http.server on a free port of 127.0.0.1, in a thread.

`answers` is the script of statuses it gives, one per request (the last repeats); every request is kept with its
headers and raw body. Tests that need it import the `receiver` fixture from here."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    answers: list[int] = field(default_factory=lambda: [200])
    reply: bytes = b'{"ok": true}'
    delay: float = 0.0  # seconds before answering (the timeout tests)
    location: str = ""  # a Location header to send with a 3xx
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hooks", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def start(self) -> "Receiver":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with owner.lock:
                    owner.received.append(Received(self.path, dict(self.headers.items()), body))
                    index = len(owner.received) - 1
                    status = owner.answers[min(index, len(owner.answers) - 1)]
                if owner.delay:
                    time.sleep(owner.delay)
                self.send_response(status)
                if owner.location:
                    self.send_header("Location", owner.location)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(owner.reply)))
                self.end_headers()
                self.wfile.write(owner.reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def bodies(self) -> list[bytes]:
        with self.lock:
            return [r.body for r in self.received]


@pytest.fixture
def receiver(settings):
    """A running receiver; deliveries may reach 127.0.0.1 (and only that) for the test."""
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    server = Receiver().start()
    yield server
    server.stop()
