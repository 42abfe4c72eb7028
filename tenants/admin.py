from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from .forms import TenantProvisionForm
from .models import Domain, Tenant
from .services import tenant_provision


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    fields = ["domain", "is_primary"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "schema_name", "plan", "currency", "is_active", "created_at"]
    list_filter = ["is_active", "plan"]
    search_fields = ["name", "slug", "schema_name"]
    readonly_fields = ["schema_name", "slug", "created_at"]
    inlines = [DomainInline]

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
                messages.success(
                    request,
                    f"Created {result.tenant.name} at {result.url} — owner “{result.owner.username}”, "
                    f"one-time password: {result.owner_password} (shown once).",
                )
                return redirect(reverse("admin:tenants_tenant_change", args=[result.tenant.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Provision a tenant",
            "form": form,
            "opts": self.model._meta,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/tenants/tenant/provision.html", context,
                                status=400 if form.errors else 200)  # fmt: skip
