"""Creating a business on the platform. One function, used by signup, the admin and `provision_tenant`."""

import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, QuerySet
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from accounts.access import owner_role
from accounts.models import User
from accounts.services import staff_create
from accounts.usernames import username_validate
from billing.models import Plan
from billing.selectors import plan_get_default
from business.models import Outlet
from business.services import outlet_create
from pos_project.errors import ServiceError

from .models import Domain, Tenant
from .selectors import tenant_url

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")
RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "app", "assets", "billing", "cdn", "help", "mail", "media", "metrics", "platform",
        "public", "root", "signup", "static", "status", "support", "template", "www",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ProvisionedTenant:
    tenant: Tenant
    domain: Domain
    owner: User
    owner_password: str
    outlet: Outlet
    url: str


def schema_name_for(slug: str) -> str:
    """`t_` keeps tenant schemas clear of PostgreSQL's own (`pg_*`, `public`, `information_schema`)."""
    return "t_" + slug.replace("-", "_")


def tenant_slug_validate(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG_PATTERN.match(slug) or "--" in slug:
        raise ServiceError(
            "tenant.slug_invalid",
            _(
                "The address must be 3 to 30 characters: lowercase letters, digits and single hyphens, "
                "starting with a letter and not ending with a hyphen."
            ),
            field="slug",
        )
    if slug in RESERVED_SLUGS:
        raise ServiceError(
            "tenant.slug_reserved",
            _("The address “%(slug)s” is reserved; please choose another.") % {"slug": slug},
            field="slug",
        )
    if Tenant.objects.filter(slug=slug).exists() or Domain.objects.filter(domain=_host_for(slug)).exists():
        raise _slug_taken(slug)
    return slug


def _slug_taken(slug: str) -> ServiceError:
    return ServiceError(
        "tenant.slug_taken",
        _("The address “%(slug)s” is already taken; please choose another.") % {"slug": slug},
        field="slug",
    )


def _host_for(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def tenant_provision(
    *,
    slug: str,
    name: str,
    owner_email: str,
    owner_username: str = "owner",
    plan: Plan | None = None,
    currency: str = "IDR",
    timezone: str = "Asia/Jakarta",
) -> ProvisionedTenant:
    """Create schema, domain, owner account and default outlet, all or nothing.

    Everything happens in one transaction: PostgreSQL DDL is transactional, so a failure at any step also
    drops the half-made schema. The owner gets a one-time password that must be changed at first login, within
    24 hours; the caller shows it once and never stores it (no message, no cookie).
    """
    errors: dict[str, list[str]] = {}
    try:
        slug = tenant_slug_validate(slug)
    except ValidationError as exc:
        errors["slug"] = exc.messages
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("The business needs a name.")]
    elif len(name) > 120:
        errors["name"] = [_("The name can be at most %(max)s characters.") % {"max": 120}]
    try:
        owner_username = username_validate(owner_username)
    except ValidationError as exc:
        errors["owner_username"] = exc.messages
    owner_email = (owner_email or "").strip().lower()
    try:
        validate_email(owner_email)
    except ValidationError:
        errors["owner_email"] = [_("“%(email)s” is not a valid e-mail address.") % {"email": owner_email}]
    if errors:
        raise ServiceError("tenant.invalid", _("The new business needs fixing."), fields=errors)

    password = secrets.token_urlsafe(12)
    try:
        with transaction.atomic():
            tenant = Tenant(
                schema_name=schema_name_for(slug),
                slug=slug,
                name=name,
                plan=plan or plan_get_default(),
                currency=currency,
                timezone=timezone,
            )
            tenant.save()  # clones the template schema
            domain = Domain.objects.create(domain=_host_for(slug), tenant=tenant, is_primary=True)
            with schema_context(tenant.schema_name):
                outlet = outlet_create(name="Main outlet", code="MAIN")
                owner = staff_create(
                    username=owner_username,
                    email=owner_email,
                    role=owner_role(),
                    password=password,
                    must_change_password=True,
                    actor=None,
                )
    except IntegrityError as exc:
        # Two sign-ups racing for one address: the loser lands here, with nothing left behind.
        raise _slug_taken(slug) from exc
    return ProvisionedTenant(
        tenant=tenant,
        domain=domain,
        owner=owner,
        owner_password=password,
        outlet=outlet,
        url=tenant_url(tenant),
    )


def tenant_template_ensure(*, verbosity: int = 0) -> Tenant:
    """The schema tenants are cloned from. Built once by migrations; `migrate_schemas` keeps it current."""
    template = Tenant.objects.filter(schema_name=settings.TENANT_BASE_SCHEMA).first()
    if template is None:
        template = Tenant(
            schema_name=settings.TENANT_BASE_SCHEMA,
            slug="tenant-template",
            name="Template (never served)",
            is_template=True,
            is_active=False,
        )
        template.save(verbosity=verbosity)
    return template


def public_tenant_ensure() -> Tenant:
    """The platform itself: the public schema, reached on BASE_DOMAIN."""
    public, _ = Tenant.objects.get_or_create(
        schema_name="public", defaults={"slug": "platform", "name": "Platform", "is_active": True}
    )
    Domain.objects.get_or_create(domain=settings.BASE_DOMAIN, defaults={"tenant": public, "is_primary": True})
    return public


def tenant_webhooks_mark() -> None:
    """The current tenant has a webhook endpoint on (or an event queued for one): beat's webhook job visits it
    (Tenant.webhooks_on). Writes only when it was not marked."""
    Tenant.objects.filter(schema_name=connection.schema_name, webhooks_on=False).update(webhooks_on=True)


def tenant_webhooks_unmark_unless(busy: QuerySet) -> None:
    """Unmark the current tenant unless `busy` (its endpoints that are on) has a row: one statement, so an endpoint
    saved on meanwhile (which marks the tenant again) is never left unvisited."""
    Tenant.objects.filter(schema_name=connection.schema_name, webhooks_on=True).exclude(Exists(busy)).update(
        webhooks_on=False
    )
