from django.core.management import call_command
from django.core.management.base import BaseCommand

from tenants.services import public_tenant_ensure, tenant_template_ensure


class Command(BaseCommand):
    help = (
        "Bring the database up to date: shared migrations, the public tenant and its domain, the template "
        "schema new tenants are cloned from, then every tenant's migrations. Safe to run on every deploy."
    )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        public_tenant_ensure()
        tenant_template_ensure()  # first time: built by running the tenant migrations
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=verbosity)
        self.stdout.write(self.style.SUCCESS("Platform schema, template and tenants are up to date."))
