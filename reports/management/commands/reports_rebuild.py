"""manage.py reports_rebuild: recompute a business's roll-ups for a date range from its orders."""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from reports.selectors import history_start
from reports.services import rollups_rebuild
from sales.services.shifts import business_date_now
from tenants.selectors import tenant_list_active


class Command(BaseCommand):
    help = "Recompute the report roll-ups of business dates FROM..TO (both included) from the orders."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="One business's schema (default: every active business).")
        parser.add_argument("--from", dest="start", type=date.fromisoformat, help="First business date, YYYY-MM-DD.")
        parser.add_argument("--to", dest="end", type=date.fromisoformat, help="Last business date, YYYY-MM-DD.")
        parser.add_argument(
            "--all-history",
            action="store_true",
            help="From each business's first order to today: after a deploy that changes how roll-ups are "
            "computed, or for businesses that sold before roll-ups existed.",
        )

    def handle(self, *args, schema=None, start=None, end=None, all_history=False, **options):
        if all_history == bool(start or end) or (not all_history and not (start and end)):
            raise CommandError("Give --from and --to, or --all-history.")
        if start and end and end < start:
            raise CommandError("--to must be on or after --from.")
        tenants = [t for t in tenant_list_active() if schema is None or t.schema_name == schema]
        if schema and not tenants:
            raise CommandError(f"No active business has the schema {schema!r}.")
        for tenant in tenants:
            began = time.monotonic()
            with tenant_context(tenant):  # the tenant itself, for its time zone
                first, last = (history_start(), business_date_now()) if all_history else (start, end)
                rows = rollups_rebuild(start=first, end=last) if first else 0
            self.stdout.write(
                f"{tenant.schema_name}: {rows} roll-up rows for {first or '-'}..{last} in "
                f"{time.monotonic() - began:.1f} s"
            )
