from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import AuditEntry, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Platform super admins (public schema). Tenant staff are managed in each tenant's back office."""

    list_display = ["username", "email", "role", "is_active", "is_superuser", "last_login"]
    fieldsets = DjangoUserAdmin.fieldsets + (("POS", {"fields": ("role", "must_change_password")}),)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: audit entries cannot be edited or deleted through the app."""

    list_display = ["created_at", "actor_username", "action", "target_type", "target_id", "target_label", "ip_address"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_username", "target_label", "target_id", "action"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
