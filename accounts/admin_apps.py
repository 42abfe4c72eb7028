from django.contrib.admin.apps import AdminConfig


class PlatformAdminConfig(AdminConfig):
    """Django's admin with our site (accounts/admin_site.py): it lets in only a session that passed the second
    step of signing in."""

    default_site = "accounts.admin_site.PlatformAdminSite"
