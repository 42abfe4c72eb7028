"""manage.py reports_rebuild: recompute a business's roll-ups for a date range from its orders."""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from reports.services import rollups_rebuild
from tenants.selectors import tenant_list_active


class Command(BaseCommand):
    help = "Recompute the report roll-ups of business dates FROM..TO (both included) from the orders."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="One business's schema (default: every active business).")
        parser.add_argument(
            "--from", dest="start", type=date.fromisoformat, required=True, help="First business date, YYYY-MM-DD."
        )
        parser.add_argument(
            "--to", dest="end", type=date.fromisoformat, required=True, help="Last business date, YYYY-MM-DD."
        )

    def handle(self, *args, schema=None, start, end, **options):
        if end < start:
            raise CommandError("--to must be on or after --from.")
        tenants = [t for t in tenant_list_active() if schema is None or t.schema_name == schema]
        if schema and not tenants:
            raise CommandError(f"No active business has the schema {schema!r}.")
        for tenant in tenants:
            began = time.monotonic()
            with schema_context(tenant.schema_name):
                rows = rollups_rebuild(start=start, end=end)
            self.stdout.write(f"{tenant.schema_name}: {rows} roll-up rows for {start}..{end} in "
                              f"{time.monotonic() - began:.1f} s")  # fmt: skip
