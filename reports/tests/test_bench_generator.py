"""`make bench-reports`' generator (bench/reports_data.py) at a tiny scale on the test database. It writes rows by
COPY in each table's column order, outside the models, so a new NOT NULL column (as sales_shift.updated_at was)
breaks it with no other test noticing; this run does, and checks its orders against the services' arithmetic."""

import subprocess
import sys
from pathlib import Path

from django.db import connection

from pos_project.testing.processes import child_env
from tenants.models import Tenant

ROOT = Path(__file__).resolve().parents[2]
SLUG = "reports-smoke"


def _drop() -> None:
    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is not None:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{tenant.schema_name}" CASCADE')
        tenant.domains.all().delete()
        Tenant.objects.filter(pk=tenant.pk).delete()


def test_the_reports_generator_runs_and_its_rows_add_up(committed_db):
    command = [sys.executable, "bench/reports_data.py", "--fresh", "--slug", SLUG, "--orders", "400", "--days", "3",
               "--workers", "1", "--check", "100"]  # fmt: skip
    try:
        done = subprocess.run(command, cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "0 problems" in done.stdout and "roll-ups rebuilt" in done.stdout, done.stdout
    finally:
        _drop()
