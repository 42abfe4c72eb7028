import copy
import threading
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import connection
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.middleware.main import TenantMainMiddleware

from accounts.access import is_platform_support

from .support import GRANT_SESSION_KEY, support_grant_live

# Host -> (expires at, tenant), per process. Every request looked its tenant up in the public schema (a query and
# two search_path switches); a tenant's row changes rarely. A change made in this process clears the cache at
# once (tenants/apps.py); other processes see it within TENANT_CACHE_SECONDS.
_by_host: dict[str, tuple[float, object]] = {}
_by_host_lock = threading.Lock()


def tenant_cache_clear() -> None:
    with _by_host_lock:
        _by_host.clear()


class TenantMiddleware(TenantMainMiddleware):
    """Host name -> tenant -> search_path, with friendly pages for unknown and deactivated businesses."""

    def get_tenant(self, domain_model, hostname):
        seconds = getattr(settings, "TENANT_CACHE_SECONDS", 30)
        now = time.monotonic()
        hit = _by_host.get(hostname)
        if hit is None or hit[0] <= now:
            tenant = super().get_tenant(domain_model, hostname)  # DoesNotExist for an unknown host: never cached
            if seconds <= 0 or connection.in_atomic_block:  # a transaction's read may yet roll back (tests)
                return tenant
            with _by_host_lock:
                _by_host[hostname] = hit = (now + seconds, tenant)
        # A copy per request: the middleware sets attributes on it (domain_url) and requests run in threads.
        return copy.copy(hit[1])

    def no_tenant_found(self, request, hostname):
        return render(request, "errors/no_tenant.html", {"hostname": hostname}, status=404)

    def process_request(self, request):
        response = super().process_request(request)
        if response is not None:
            return response
        tenant = request.tenant
        if tenant.is_template or not tenant.is_active:
            return render(request, "errors/tenant_inactive.html", {"tenant": tenant}, status=403)
        # Times on pages and receipts are the business's local time.
        try:
            timezone.activate(ZoneInfo(tenant.timezone))
        except (ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return None

    def process_response(self, request, response):
        timezone.deactivate()
        return response


class SupportAccessMiddleware:
    """A support session (tenants/support.py) lives only as long as its grant: each of its requests reads the
    grant (one query, for support sessions only) and is signed out when it has expired, was ended, or belongs
    to another business. A live one is put on the request for the banner."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and is_platform_support(user):
            grant = support_grant_live(grant_id=request.session.get(GRANT_SESSION_KEY))
            if grant is None:
                logout(request)
                messages.info(request, _("Support access has ended."))
            else:
                request.support_grant = grant
        return self.get_response(request)
