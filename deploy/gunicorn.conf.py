"""gunicorn settings for the web container; numbers come from the environment.

gunicorn --config deploy/gunicorn.conf.py pos_project.wsgi:application
"""

import os
from pathlib import Path

from gunicorn import glogging

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Workers x threads per core count (docs/adr/0012): requests are CPU-bound Python (one process can use one core,
# its GIL), with 4 threads each to overlap waits on PostgreSQL. Measured: on 1 core 1x4 served as many orders as
# 2x4 or 3x4 with the lowest p95; on 2 cores 3x4, 2x8 and 4x4 tied and 2x4 fell behind. 4 cores: 5x4, extrapolated
# (one per core plus one, as on 2), not measured here. Inside a container os.cpu_count() reports the host's
# CPUs, not the container's limit: say WEB_CORES (or set WEB_CONCURRENCY / WEB_THREADS outright).
PROFILES = {1: (1, 4), 2: (3, 4), 4: (5, 4)}
cores = int(os.environ.get("WEB_CORES", "2"))
_workers, _threads = PROFILES.get(cores, (cores + 1, 4))
workers = int(os.environ.get("WEB_CONCURRENCY", _workers))
# Each thread holds its own PostgreSQL connection (CONN_MAX_AGE), so connections per web container = workers x
# threads (2 cores: 12; 4 cores: 20).
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", _threads))
# A till request is short (a sale is a few queries); one stuck past this is killed rather than holding a worker.
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
# Shorter than compose's stop_grace_period (35 s) so in-flight sales finish before the container is killed.
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "25"))
# Idle keep-alive connections are held 75 s (longer than nginx's 60 s upstream keepalive_timeout and a browser's
# idle time between two taps). At 5 s, a till that listens to the stream service and makes a request every 10-30 s
# reconnected for nearly every one, and under load a new connection costs gthread far more than a kept one: at 200
# users the tills' p95 went from 705 ms to 162 ms with nothing else changed (make loadtest, docs/adr/0018). An idle
# connection costs a socket in the worker's poller, nothing else (worker_connections 1000 per worker).
keepalive = int(os.environ.get("WEB_KEEPALIVE", "75"))
# Recycle workers now and then so a slow leak never grows without bound; jitter avoids all restarting at once.
# Rare enough not to fire under load: at 2,000 a busy worker restarted every half minute in the load test
# (12-14 per run, each 0.6 s of CPU and cold caches); 100,000 is about once an hour per worker at full load.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
# Import the application once in the master and fork workers from it: a (re)started worker is ready at once
# instead of importing Django again, and the code's memory is shared. Nothing connects at import time
# (database, Redis and Celery connect on first use in each worker).
preload_app = True
# The heartbeat file on tmpfs: on the container's overlay filesystem it can stall and get workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - a private heartbeat file

# Logs to stdout/stderr for the container runtime. The application's own log lines are JSON (LOG_FORMAT);
# the access line names the client address nginx passes on and the request id the app echoes in its logs.
accesslog = "-"
errorlog = "-"


class QuietPollLogger(glogging.Logger):
    """No access line for an unchanged answer (304): those are the screens' polls, most of all requests, and a
    line costs gunicorn about a tenth of such a request's CPU. nginx's access log still has every request."""

    def access(self, resp, req, environ, request_time):
        if getattr(resp, "status_code", None) != 304:
            super().access(resp, req, environ, request_time)


logger_class = QuietPollLogger
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%({x-real-ip}i)s "%(r)s" %(s)s %(b)s %(M)sms host=%({host}i)s rid=%({x-request-id}o)s "%(a)s"'

# Trust X-Forwarded-* from any peer: the web port is not published, only nginx (and the other services on the
# compose network) can reach it. Django itself decides HTTPS from X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")


def _multiproc_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def on_starting(server):
    """Start with an empty metrics directory: files of a previous run's processes would be summed in."""
    directory = _multiproc_dir()
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("*.db"):  # the directory itself may be a mount point: empty it, keep it
        path.unlink(missing_ok=True)


def child_exit(server, worker):
    """Tell prometheus_client a worker is gone, so its live gauges stop being reported."""
    if _multiproc_dir() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
