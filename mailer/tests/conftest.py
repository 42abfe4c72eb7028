"""Fixtures for the mail outbox: a real SMTP server (aiosmtpd) on a free port, and a tenant for committed mail.

Tests whose messages must be seen by other connections (threads, worker processes) use `mail_lab`, a tenant of
their own, so that a sender running in alpha or beta in another test never claims them; all such tests are in the
xdist group "worker" and never meet each other.
"""

import socket
import threading
import time
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django_tenants.utils import get_tenant_model, tenant_context
from kombu import Exchange, Queue

from mailer.models import Message

LAB_SLUG = "mail-lab"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Inbox:
    """What the SMTP server accepted: (envelope recipients, raw message) per DATA, in order."""

    received: list[tuple[list[str], bytes]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipients answered 550
    delay: float = 0.0  # seconds each DATA takes (to make two senders overlap)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.delay:
            time.sleep(self.delay)  # blocks the server's loop: one message at a time, as a slow server would
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        with self.lock:
            return [_subject(raw) for _to, raw in self.received]


def _subject(raw: bytes) -> str:
    from email import message_from_bytes, policy

    return str(message_from_bytes(raw, policy=policy.default)["Subject"])


class SmtpServer:
    """aiosmtpd on `port`, started and stopped at will (the "mail server is down" tests)."""

    def __init__(self, port: int, inbox: Inbox):
        self.port, self.inbox, self._controller = port, inbox, None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp_settings(settings, smtp_port):
    """Django sends through real SMTP to 127.0.0.1:`smtp_port` (nothing listens there until `smtp` starts)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp_port, 10
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return settings


@pytest.fixture
def smtp(smtp_settings, smtp_port):
    """A running SMTP server that Django sends to; `smtp.inbox.received` is what it accepted."""
    server = SmtpServer(smtp_port, Inbox())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _mail_lab_tenant(_session_tenants, django_db_blocker):
    from tenants.services import tenant_provision

    with django_db_blocker.unblock():
        tenant = get_tenant_model().objects.filter(slug=LAB_SLUG).first()
        if tenant is None:
            tenant = tenant_provision(slug=LAB_SLUG, name="Mail Lab", owner_email="owner@mail-lab.test").tenant
    return tenant


@pytest.fixture
def mail_lab(committed_db, _mail_lab_tenant):
    """A tenant for committed messages; they all go afterwards."""
    with tenant_context(_mail_lab_tenant):
        Message.objects.all().delete()
    yield _mail_lab_tenant
    with tenant_context(_mail_lab_tenant):
        Message.objects.all().delete()
    connection.set_schema_to_public()


def queue_drop(name: str) -> None:
    """Delete a test's Celery queue with its messages and binding (as core/tests/conftest.py does: declared first,
    since kombu's queue_delete on Redis removes only what the deleting channel declared)."""
    from pos_project.celery import app as celery_app

    with celery_app.connection_for_write() as conn:
        queue = Queue(name, Exchange(name, type="direct"), routing_key=name)(conn.default_channel)
        queue.declare()
        queue.delete()
