"""The mail outbox end to end: a real beat, a real worker, a real SMTP server that is down, then up.

Beat sends the "send-mail-every-minute" job (every second here: MAILER_SEND_EVERY_SECONDS=1 in its environment)
through run_for_each_tenant; the worker runs mail_send_due in each tenant's schema; aiosmtpd listens on a free
port only once the test starts it.
"""

import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from mailer.models import Message
from mailer.services import mail_queue
from mailer.tests.conftest import Inbox, SmtpServer, queue_drop
from pos_project.testing.processes import child_env

pytestmark = [pytest.mark.worker, pytest.mark.xdist_group("worker")]
JOB = "send-mail-every-minute"


def _env(queue: str, port: int) -> dict[str, str]:
    return child_env(
        CELERY_QUEUE=queue,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_TIMEOUT="5",
        MAILER_SEND_EVERY_SECONDS="1",
        MAILER_BACKOFF_FIRST_SECONDS="1",
        MAILER_BACKOFF_MAX_SECONDS="4",
    )


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "pos_project", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip


def _stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.terminate()
    return process.communicate(timeout=20)[0] or ""


def _wait_until(condition, what: str, processes: list[subprocess.Popen], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        for process in processes:
            if process.poll() is not None:
                pytest.fail(f"{process.args} exited while waiting for {what}:\n{_stop(process)}")
        time.sleep(0.1)
    pytest.fail(f"no {what} within {timeout} s:\n" + "\n".join(_stop(p) for p in processes))


def test_a_message_queued_while_the_mail_server_is_down_is_delivered_once_when_it_returns(mail_lab, smtp_port):
    from django_celery_beat.models import PeriodicTask

    queue = f"pos-test-mail-{uuid.uuid4().hex[:8]}"
    token = uuid.uuid4().hex[:8]
    # Only the mail job is due while the test runs: the others ran "just now" as far as beat knows.
    PeriodicTask.objects.exclude(name=JOB).update(last_run_at=timezone.now())
    with tenant_context(mail_lab):
        message = mail_queue(to=["owner@mail-lab.test"], subject=f"Summary {token}", text="Yesterday: Rp 1.250.000",
                             kind=Message.Kind.REPORT_DAILY)  # fmt: skip

    def stored() -> Message:
        with tenant_context(mail_lab):
            return Message.objects.get(pk=message.pk)

    env = _env(queue, smtp_port)
    worker = _start(["worker", "-Q", queue, "--pool", "solo", "--without-gossip", "--without-mingle",
                     "--without-heartbeat", "-l", "WARNING"], env)  # fmt: skip
    beat = _start(["beat", "-l", "WARNING", "--max-interval", "1", "--pidfile=",
                   "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"], env)  # fmt: skip
    server = SmtpServer(smtp_port, Inbox())
    processes = [worker, beat]
    try:
        # 1. The server is down: attempts fail, the message stays queued, each retry later than the last.
        _wait_until(lambda: stored().attempts >= 2, "two failed attempts", processes)
        down = stored()
        assert down.status == "queued" and down.sent_at is None
        assert "ConnectionRefusedError" in down.last_error
        assert down.next_attempt_at >= down.last_attempt_at + timedelta(seconds=1)

        # 2. The server comes back: the next beat round delivers it.
        server.start()
        _wait_until(lambda: stored().status == "sent", "delivery once the server is up", processes)

        # 3. More rounds run (a second message goes out after it), and the first is not sent again.
        with tenant_context(mail_lab):
            later = mail_queue(to=["owner@mail-lab.test"], subject=f"Later {token}", text="t",
                               kind=Message.Kind.REPORT_DAILY)  # fmt: skip
        _wait_until(lambda: f"Later {token}" in server.inbox.subjects(), "a later round", processes)
        with tenant_context(mail_lab):
            _wait_until(lambda: Message.objects.get(pk=later.pk).status == "sent", "the later one marked", processes)
    finally:
        outputs = {"worker": _stop(worker), "beat": _stop(beat)}
        server.stop()
        queue_drop(queue)
    subjects = server.inbox.subjects()
    assert subjects.count(f"Summary {token}") == 1, subjects
    assert [to for to, _raw in server.inbox.received] == [["owner@mail-lab.test"]] * 2
    sent = stored()
    assert sent.status == "sent" and sent.attempts >= 3 and sent.sent_at is not None
    for name, output in outputs.items():
        assert "Traceback" not in output, f"{name}:\n{output}"
