from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html

from pos_project.forms import form_add_service_errors

from .forms import SupportStartForm, TenantProvisionForm
from .models import Domain, SupportGrant, Tenant
from .services import tenant_provision
from .support import support_grant_end, support_grant_start


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    fields = ["domain", "is_primary"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "schema_name", "plan", "currency", "is_active", "created_at"]
    list_filter = ["is_active", "plan"]
    search_fields = ["name", "slug", "schema_name"]
    readonly_fields = ["schema_name", "slug", "created_at", "support_access"]
    inlines = [DomainInline]

    @admin.display(description="Support access")
    def support_access(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        url = reverse("admin:tenants_tenant_support", args=[obj.pk])
        return format_html('<a class="button" href="{}">Enter this business\'s back office (support)</a>', url)

    def get_urls(self):
        support = self.admin_site.admin_view(self.support_view)
        return [path("<int:pk>/support/", support, name="tenants_tenant_support"), *super().get_urls()]

    def support_view(self, request, pk):
        """Support access: a reason and a length (at most an hour), then the one-use link to the business."""
        tenant = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, tenant):
            raise PermissionDenied
        form = SupportStartForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                started = support_grant_start(tenant=tenant, admin=request.user, request=request, **form.cleaned_data)
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                return redirect(started.url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Support access to {tenant.name}",
            "form": form,
            "tenant": tenant,
            "opts": self.model._meta,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/tenants/tenant/support.html", context,
                                status=400 if form.errors else 200)  # fmt: skip

    def get_queryset(self, request):
        return super().get_queryset(request).filter(is_template=False).select_related("plan")

    def has_delete_permission(self, request, obj=None):
        # Removing a business drops its data; that is an operator's job with a backup, not a click.
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """Adding a tenant means provisioning one: the same service as `manage.py provision_tenant`."""
        form = TenantProvisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = tenant_provision(**form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                # The one-time password is shown on this response only: never in a message (a readable cookie),
                # never cached (no-store).
                context = {
                    **self.admin_site.each_context(request),
                    "title": f"Provisioned {result.tenant.name}",
                    "result": result,
                    "opts": self.model._meta,
                    "has_view_permission": True,
                }
                response = TemplateResponse(request, "admin/tenants/tenant/provisioned.html", context, status=201)
                add_never_cache_headers(response)
                return response
        context = {
            **self.admin_site.each_context(request),
            "title": "Provision a tenant",
            "form": form,
            "opts": self.model._meta,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/tenants/tenant/provision.html", context,
                                status=400 if form.errors else 200)  # fmt: skip


@admin.register(SupportGrant)
class SupportGrantAdmin(admin.ModelAdmin):
    """Support access as it happened: read-only, with "end now" for the live ones."""

    list_display = ["tenant", "admin_username", "reason", "started_at", "expires_at", "ended_at", "ended_by"]
    list_filter = ["tenant"]
    actions = ["end_now"]

    def has_add_permission(self, request):
        return False  # started from a business's page, with a reason

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="End the selected support access now")
    def end_now(self, request, queryset):
        ended = sum(support_grant_end(grant=grant, admin=request.user, request=request)
                    for grant in queryset.select_related("tenant"))  # fmt: skip
        messages.success(request, f"Ended {ended} support access(es).")
