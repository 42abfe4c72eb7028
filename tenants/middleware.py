from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.shortcuts import render
from django.utils import timezone
from django_tenants.middleware.main import TenantMainMiddleware


class TenantMiddleware(TenantMainMiddleware):
    """Host name -> tenant -> search_path, with friendly pages for unknown and deactivated businesses."""

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
