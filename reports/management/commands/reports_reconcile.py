"""manage.py reports_reconcile: compare a business's roll-ups with its orders, to the last minor unit."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from reports.selectors import rollups_reconcile
from tenants.selectors import tenant_list_active

SHOWN_MAX = 50


class Command(BaseCommand):
    help = (
        "Compare the report roll-ups of business dates FROM..TO with sums over the orders, tickets and stock "
        "movements; print every difference and exit 1 if there is any (fix with reports_rebuild)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="One business's schema (default: every active business).")
        parser.add_argument("--from", dest="start", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", type=date.fromisoformat, required=True, help="YYYY-MM-DD")

    def handle(self, *args, schema=None, start, end, **options):
        if end < start:
            raise CommandError("--to must be on or after --from.")
        tenants = [t for t in tenant_list_active() if schema is None or t.schema_name == schema]
        if schema and not tenants:
            raise CommandError(f"No active business has the schema {schema!r}.")
        found = 0
        for tenant in tenants:
            with tenant_context(tenant):
                differences = rollups_reconcile(start=start, end=end)
            found += len(differences)
            self.stdout.write(f"{tenant.schema_name}: {len(differences)} differences for {start}..{end}")
            for difference in differences[:SHOWN_MAX]:
                self.stdout.write(f"  {difference}")
            if len(differences) > SHOWN_MAX:
                self.stdout.write(f"  ... and {len(differences) - SHOWN_MAX} more")
        if found:
            raise CommandError(f"{found} differences: run reports_rebuild for the dates above.", returncode=1)
