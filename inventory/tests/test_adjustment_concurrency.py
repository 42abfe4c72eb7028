"""One cashier submits two adjustments at the same moment from two processes, together above the day's threshold
(issue 12, point 7).

Each alone is under the threshold; if both read the day's total before either had posted, both would slip through.
The test holds the item's stock row locked until PostgreSQL shows both processes waiting (never a sleep): with
the fix, the first waits on the stock row inside its submission while holding the person's day lock, and the
second waits on that day lock; without it, both have already decided to post and wait on the stock row. Then it
lets go: exactly one may post, the other must wait for a supervisor."""

import json
import subprocess
import sys
from decimal import Decimal

from django.db import transaction
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role
from business.models import Outlet
from core.models import IdempotencyKey, OutboxEvent
from inventory.models import StockAdjustment, StockItem, StockLevel, StockMovement, StockSettings
from inventory.services.stock import MovementLine, movements_post
from inventory.tests.stock_helpers import assert_ledger_consistent
from pos_project.testing.append_only import committed_rows_purge
from pos_project.testing.locks import wait_for_lock_waiters
from pos_project.testing.processes import child_env

ADJUSTER = """
import json, sys, django
django.setup()
from django_tenants.utils import tenant_context
from tenants.models import Tenant
from accounts.models import User
from business.models import Outlet
from inventory.services.adjustments import adjustment_submit
schema, outlet_id, user_id, item_id, key = sys.argv[1:6]
with tenant_context(Tenant.objects.get(schema_name=schema)):
    print("ready", flush=True)
    adjustment = adjustment_submit(outlet=Outlet.objects.get(pk=outlet_id), user=User.objects.get(pk=user_id),
                                   reason="waste", lines=[(int(item_id), "-6")], idempotency_key=key)
    print(json.dumps({"status": adjustment.status}), flush=True)
"""


def test_two_adjustments_at_once_that_together_cross_the_threshold_do_not_both_post(committed_db):
    alpha, _ = committed_db
    with tenant_context(alpha.tenant):
        outlet = Outlet.objects.get(code="MAIN")
        cashier = alpha.users[Role.CASHIER]
        saved_settings = list(StockSettings.objects.values())
        StockSettings.objects.all().delete()
        StockSettings.objects.create(staff_adjustment_approval_minor=1_000)
        item = StockItem.objects.create(name="Race milk", sku="RACE-ADJ-MILK", cost=Decimal(100))  # 6 x 100 = 600
        movements_post(outlet_id=outlet.pk, kind="receiving", lines=[MovementLine(item.pk, Decimal(20))],
                       source_type="test")  # fmt: skip
        before = set(StockAdjustment.objects.values_list("pk", flat=True))
    try:
        with tenant_context(alpha.tenant), transaction.atomic():
            StockLevel.objects.select_for_update().get(item=item, outlet=outlet)
            adjusters = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        ADJUSTER,
                        alpha.schema,
                        str(outlet.pk),
                        str(cashier.pk),
                        str(item.pk),
                        f"race-adj-{n}",
                    ],
                    env=child_env(),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )  # fmt: skip
                for n in (1, 2)
            ]
            for adjuster in adjusters:
                assert adjuster.stdout.readline().strip() == "ready"
            both_waiting = wait_for_lock_waiters(2, timeout=30)
        results = [adjuster.communicate(timeout=60) for adjuster in adjusters]
        assert both_waiting, "both submissions should have been waiting at once"
        outcomes = sorted(json.loads(out.strip().splitlines()[-1])["status"] for out, _err in results)
        assert outcomes == ["pending", "posted"], results
        with tenant_context(alpha.tenant):
            assert StockLevel.objects.get(item=item, outlet=outlet).quantity == 14  # one of the two moved stock
            assert_ledger_consistent()
    finally:
        with tenant_context(alpha.tenant):
            made = StockAdjustment.objects.exclude(pk__in=before)
            made_ids = list(made.values_list("pk", flat=True))
            OutboxEvent.objects.filter(name="stock.adjusted", payload__adjustment__in=made_ids).delete()
            # Committed, so other tests would see them (they check that a refused adjustment audited nothing).
            labels = [f"ADJ-{pk}" for pk in made_ids]
            committed_rows_purge(
                AuditEntry.objects.filter(action__startswith="stock.adjustment", target_label__in=labels)
            )
            IdempotencyKey.objects.filter(key__startswith="race-adj-").delete()
            committed_rows_purge(StockMovement.objects.filter(item=item))
            StockLevel.objects.filter(item=item).delete()
            made.delete()
            item.delete()
            StockSettings.objects.all().delete()
            for row in saved_settings:
                StockSettings.objects.create(**row)
