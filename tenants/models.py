from datetime import timedelta

from django.conf import settings
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import schema_exists


class Tenant(TenantMixin):
    """A business on the platform. Its data lives in its own PostgreSQL schema (`schema_name`)."""

    slug = models.SlugField(
        max_length=30, unique=True, help_text="The business is reached at this slug followed by the platform domain."
    )
    name = models.CharField(max_length=120)
    plan = models.ForeignKey("billing.Plan", on_delete=models.PROTECT, null=True, blank=True)
    currency = models.CharField(max_length=3, default="IDR")
    timezone = models.CharField(max_length=64, default="Asia/Jakarta")
    is_active = models.BooleanField(default=True, help_text="Inactive tenants cannot be reached.")
    # The schema new tenants are cloned from; it is never served and never looped over.
    is_template = models.BooleanField(default=False, editable=False)
    # Has (or may have) a webhook endpoint turned on: beat's 10-second webhook job visits only these, so a platform
    # of businesses without webhooks pays nothing for it. Set by integrations/webhooks when an endpoint is saved
    # on or an event is queued for one; cleared by the webhook job itself once none is on.
    webhooks_on = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """Clone the template schema, migration records included, instead of replaying migrations.

        django-tenants would also run `migrate_schemas --fake` after the clone; the clone already copied
        django_migrations, so that step only loads the migration graph (a few hundred ms per tenant).
        """
        base = settings.TENANT_BASE_SCHEMA
        if not sync_schema or self.schema_name == base or not schema_exists(base):
            return super().create_schema(check_if_exists, sync_schema, verbosity)
        if check_if_exists and schema_exists(self.schema_name):
            return False
        from django.db import connection
        from django_tenants.clone import CloneSchema

        CloneSchema().clone_schema(base, self.schema_name, self.clone_mode)
        connection.set_schema_to_public()
        return True


class Domain(DomainMixin):
    """A host name that reaches a tenant (or the platform, for the public tenant)."""


class SupportGrant(models.Model):
    """A platform super admin's access to one business's back office (tenants/support.py): a reason, at most an
    hour, a one-use hand-off link, ended by its expiry, the admin or the business's owner.

    Lives in the public schema and is read from the business's schema too (search_path ends in public). The
    admin is named by id and username, not a foreign key: inside a business's schema `accounts_user` is that
    business's staff table."""

    MAX_MINUTES = 60

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="support_grants")
    admin_id = models.BigIntegerField()
    admin_username = models.CharField(max_length=150)
    reason = models.TextField()
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=200, blank=True)
    # SHA-256 of the hand-off link's nonce, and when the link was used (once).
    handoff_digest = models.CharField(max_length=64)
    handoff_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("started_at"))
                & models.Q(expires_at__lte=models.F("started_at") + timedelta(minutes=60)),
                name="support_grant_at_most_an_hour",
            )
        ]

    def __str__(self) -> str:
        return f"{self.admin_username} → {self.tenant_id} ({self.started_at:%Y-%m-%d %H:%M})"

    def is_live(self, now) -> bool:
        return self.ended_at is None and self.expires_at > now
