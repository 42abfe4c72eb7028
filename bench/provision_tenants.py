"""Median time of tenant provisioning (clone of the template schema + domain + owner + outlet).

    make bench-provision                      # embedded PostgreSQL, database pos_bench
    DATABASE_URL=... REDIS_URL=... python bench/provision_tenants.py --count 10

Each tenant is provisioned through the same service `manage.py provision_tenant` uses, timed from the call to
its return (one transaction, committed). The tenants it made are dropped at the end unless --keep is given.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings.development")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the tenants instead of dropping them")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tenants.models import Tenant
    from tenants.services import tenant_provision

    call_command("setup_platform", verbosity=0)
    run = uuid.uuid4().hex[:6]
    timings, made = [], []
    for index in range(args.count):
        slug = f"bench-{run}-{index}"
        started = time.perf_counter()
        result = tenant_provision(slug=slug, name=f"Bench {index}", owner_email=f"owner@{slug}.example")
        timings.append(time.perf_counter() - started)
        made.append(result.tenant)

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0].split(",")[0]
    print(f"provision_tenant x{args.count} on {server}, {os.cpu_count()} cores")
    print("per tenant (s): " + " ".join(f"{t:.3f}" for t in timings))
    print(f"median {statistics.median(timings):.3f} s | mean {statistics.mean(timings):.3f} s | "
          f"min {min(timings):.3f} s | max {max(timings):.3f} s")  # fmt: skip

    if not args.keep:
        for tenant in made:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA "{tenant.schema_name}" CASCADE')
            Tenant.objects.filter(pk=tenant.pk).delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
