"""Liveness (/healthz), readiness (/readyz) and the Prometheus endpoint (/metrics).

The probes are answered by a middleware placed before tenant routing, so they work on the platform domain,
on every tenant domain and for a load balancer that asks by IP address.
"""

import hmac
import ipaddress
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_redis() -> None:
    from django_redis import get_redis_connection

    get_redis_connection("default").ping()


def check_broker() -> None:
    from pos_project.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "redis": check_redis,
    "broker": check_broker,
}


def readiness() -> tuple[bool, dict[str, dict]]:
    results: dict[str, dict] = {}
    for name, check in READINESS_CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; the reason is reported
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return all(r["ok"] for r in results.values()), results


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def floor(request: HttpRequest) -> HttpResponse:
    """The bare-Django floor of the load tests: a tenant's view that does nothing, behind the whole middleware
    stack (tenant, session, user, CSRF), so a request type's cost reads as a multiple of the least any page
    costs on the same server (loadtest/, bench/till_load.py)."""
    return HttpResponse(b"ok", content_type="text/plain")


def readyz(request: HttpRequest) -> HttpResponse:
    """Ready or not, for anyone (a load balancer needs no more); which part failed and why (its error names hosts
    and ports) only for the operators: the metrics token, or a probe on this machine."""
    ok, results = readiness()
    body: dict = {"status": "ok" if ok else "unavailable"}
    if _details_allowed(request):
        body["failing"] = [name for name, result in results.items() if not result["ok"]]
        body["checks"] = results
    return JsonResponse(body, status=200 if ok else 503)


class HealthCheckMiddleware:
    """Probes and metrics before tenant routing: each web replica can be scraped and probed by its address."""

    paths = {
        "/healthz": healthz,
        "/healthz/": healthz,
        "/readyz": readyz,
        "/readyz/": readyz,
        "/metrics": lambda request: metrics(request),
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = self.paths.get(request.path_info)
        if view is not None and request.method in ("GET", "HEAD"):
            response = view(request)
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)


def _metrics_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(supplied.encode(), token.encode())
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _bearer_token_matches(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(token) and hmac.compare_digest(supplied.encode(), token.encode())


def _direct_loopback(request: HttpRequest) -> bool:
    """A request from this machine itself (a container's health check), not one a local proxy passed on."""
    if any(header in request.headers for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded")):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _details_allowed(request: HttpRequest) -> bool:
    return _bearer_token_matches(request) or _direct_loopback(request)


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics; not public: a bearer token, or loopback when no token is configured."""
    from django_prometheus.exports import ExportToDjangoView

    if not _metrics_allowed(request):
        return HttpResponseForbidden("metrics are not public")
    return ExportToDjangoView(request)
