"""Two supervisors, in two separate processes, press Post on the same count at the same moment (and two press
Start at one outlet at once). The test holds the row they lock until PostgreSQL shows both processes waiting on
it, then lets go: the count posts once, and only one count is started."""

import json
import subprocess
import sys
from decimal import Decimal

from django.db import transaction
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role
from business.models import Outlet
from core.models import OutboxEvent
from inventory.models import StockCount, StockCountLine, StockItem, StockLevel, StockMovement
from inventory.services.counts import count_enter, count_start
from inventory.services.stock import MovementLine, movements_post
from inventory.tests.stock_helpers import assert_ledger_consistent
from pos_project.testing.append_only import committed_rows_purge
from pos_project.testing.locks import wait_for_lock_waiters
from pos_project.testing.processes import child_env

WORKER = """
import json, sys, django
django.setup()
from django_tenants.utils import tenant_context
from django.core.exceptions import ValidationError
from tenants.models import Tenant
from accounts.models import User
from business.models import Outlet
from inventory.models import StockCount
from inventory.services.counts import count_post, count_start
action, schema, user_id, target_id = sys.argv[1:5]
with tenant_context(Tenant.objects.get(schema_name=schema)):
    user = User.objects.get(pk=user_id)
    print("ready", flush=True)
    try:
        if action == "post":
            moved = count_post(count=StockCount.objects.get(pk=target_id), user=user)
            print(json.dumps({"ok": len(moved)}), flush=True)
        else:
            count = count_start(outlet=Outlet.objects.get(pk=target_id), user=user)
            print(json.dumps({"ok": count.pk}), flush=True)
    except ValidationError as exc:
        print(json.dumps({"error": exc.messages}), flush=True)
"""


def _race(alpha, action: str, target_id: int, hold, table: str) -> tuple[list[dict], bool]:
    """Start two workers while `hold()` keeps the contended row (of `table`) locked; return their outcomes and
    whether both were seen waiting on it at once."""
    with tenant_context(alpha.tenant), transaction.atomic():
        hold()
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    WORKER,
                    action,
                    alpha.schema,
                    str(alpha.users[Role.SUPERVISOR].pk),
                    str(target_id),
                ],
                env=child_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for _ in range(2)
        ]
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready"
        both_waiting = wait_for_lock_waiters(2, query_contains=table, timeout=30)
    outcomes = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert out.strip(), err
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    return outcomes, both_waiting


def test_two_posts_at_once_post_the_count_once_and_two_starts_make_one_count(committed_db):
    alpha, _ = committed_db
    with tenant_context(alpha.tenant):
        outlet = Outlet.objects.get(code="MAIN")
        item = StockItem.objects.create(name="Race count beans", sku="RACE-CNT", cost=Decimal(10))
        movements_post(outlet_id=outlet.pk, kind="receiving", lines=[MovementLine(item.pk, Decimal(5))],
                       source_type="test")  # fmt: skip
        count = count_start(outlet=outlet, user=alpha.users[Role.ADMIN_TENANT])
        count_enter(count=count, entries={count.lines.get(item=item).pk: "3"})
    made: list[int] = [count.pk]
    try:
        outcomes, both_waiting = _race(
            alpha, "post", count.pk, lambda: StockCount.objects.select_for_update().get(pk=count.pk),
            "inventory_stockcount",
        )  # fmt: skip
        assert both_waiting, "both posts should have been waiting on the count at once"
        assert sorted(json.dumps(o) for o in outcomes) == sorted(
            [json.dumps({"ok": 1}), json.dumps({"error": ["This count has been posted; it can no longer be changed."]})]
        )
        with tenant_context(alpha.tenant):
            assert StockLevel.objects.get(item=item, outlet=outlet).quantity == Decimal(3)
            assert StockMovement.objects.filter(source_type="count", source_id=count.pk).count() == 1
            assert AuditEntry.objects.filter(action="stock.count_post", target_label=str(count)).count() == 1
            assert_ledger_consistent()

        outcomes, both_waiting = _race(
            alpha, "start", outlet.pk, lambda: Outlet.objects.select_for_update().get(pk=outlet.pk), "business_outlet"
        )
        made += [o["ok"] for o in outcomes if "ok" in o]
        assert both_waiting, "both starts should have been waiting on the outlet at once"
        assert len(made) == 2, outcomes
        refused = [o for o in outcomes if "error" in o]
        assert len(refused) == 1 and "There is already an open count at" in refused[0]["error"][0]
    finally:
        with tenant_context(alpha.tenant):
            committed_rows_purge(AuditEntry.objects.filter(target_label__in=[f"CNT-{pk}" for pk in made]))
            OutboxEvent.objects.filter(name="stock_count.posted", payload__stock_count__in=made).delete()
            StockCountLine.objects.filter(count_id__in=made).delete()
            StockCount.objects.filter(pk__in=made).delete()
            committed_rows_purge(StockMovement.objects.filter(item=item))
            StockLevel.objects.filter(item=item).delete()
            item.delete()
