from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from accounts.chain import audit_chain_check


class Command(BaseCommand):
    help = (
        "Walk each business's audit log hash chain (and the platform's) and report the first entry edited, removed "
        "or slipped in around it. Exits non-zero when any chain is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="SLUG", help="Only this business (default: all and the platform)")

    def handle(self, *args, **options):
        tenants = get_tenant_model().objects.exclude(schema_name=settings.TENANT_BASE_SCHEMA)
        if options["tenant"]:
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"No business “{options['tenant']}”.")
            schemas = list(tenants.values_list("schema_name", "slug"))
        else:
            public = get_public_schema_name()
            schemas = [(public, "(platform)")] + list(
                tenants.exclude(schema_name=public).order_by("slug").values_list("schema_name", "slug")
            )
        broken = 0
        for schema, name in schemas:
            with schema_context(schema):
                check = audit_chain_check()
            if check.ok:
                self.stdout.write(f"ok      {name}: {check.entries} entries")
            else:
                broken += 1
                self.stdout.write(f"BROKEN  {name}: {check.problem}")
        if broken:
            raise CommandError(f"{broken} of {len(schemas)} audit chains broken.")
        self.stdout.write(self.style.SUCCESS(f"All {len(schemas)} audit chains intact."))
