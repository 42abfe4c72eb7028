import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from billing.models import Plan
from tenants.services import tenant_provision


class Command(BaseCommand):
    help = "Create a business: schema (cloned from the template), domain, owner account and default outlet."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="Address: <slug>.<BASE_DOMAIN>")
        parser.add_argument("--name", required=True, help="Business name")
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-username", default="owner")
        parser.add_argument("--plan", help="Plan code (default: the default plan)")
        parser.add_argument("--currency", default="IDR")

    def handle(self, *args, **options):
        plan = None
        if options["plan"]:
            plan = Plan.objects.filter(code=options["plan"]).first()
            if plan is None:
                codes = ", ".join(Plan.objects.values_list("code", flat=True))
                raise CommandError(f"No plan “{options['plan']}”. Plans: {codes}.")
        started = time.perf_counter()
        try:
            result = tenant_provision(
                slug=options["slug"],
                name=options["name"],
                owner_email=options["owner_email"],
                owner_username=options["owner_username"],
                plan=plan,
                currency=options["currency"],
            )
        except ValidationError as exc:
            messages = [f"{field}: {msg}" for field, msgs in exc.message_dict.items() for msg in msgs]
            raise CommandError("Tenant not created.\n  " + "\n  ".join(messages)) from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Created “{result.tenant.name}” in {elapsed:.2f} s"))
        self.stdout.write(f"URL:                {result.url}")
        self.stdout.write(f"Owner username:     {result.owner.username}")
        self.stdout.write(f"One-time password:  {result.owner_password}   (must be changed at first sign-in)")
