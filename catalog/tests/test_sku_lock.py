"""The SKU lock on real parallel connections (committed data, cleaned up afterwards): SKU writers of one tenant
wait for each other; another tenant's never do (docs/adr/0007-lock-order.md)."""

import threading

from django.db import connection, transaction
from django_tenants.utils import tenant_context

from catalog.models import Category, Product
from catalog.services import product_create, sku_lock
from pos_project.testing.locks import wait_for_lock_waiters

SKUS = ("LOCK-A2", "LOCK-B1")


def test_a_tenant_holding_the_sku_lock_blocks_its_own_writers_and_never_another_tenants(committed_db):
    alpha, beta = committed_db
    categories = {}
    for fixture in (alpha, beta):
        with tenant_context(fixture.tenant):
            categories[fixture.schema] = Category.objects.create(name="SKU lock race")
    holding, release = threading.Event(), threading.Event()
    finished = {"alpha": threading.Event(), "beta": threading.Event()}
    refused = {}

    def hold():
        """Tenant A in the middle of a long catalog import: the SKU lock taken, the transaction open."""
        try:
            with tenant_context(alpha.tenant), transaction.atomic():
                sku_lock()
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    def create(who, fixture, sku):
        try:
            with tenant_context(fixture.tenant):
                product_create(category=categories[fixture.schema], name=f"Lock {sku}", sku=sku, price_minor=1000)
        except Exception as exc:  # noqa: BLE001 - asserted below
            refused[who] = exc
        finally:
            finished[who].set()
            connection.close()

    holder = threading.Thread(target=hold)
    writers = [
        threading.Thread(target=create, args=("beta", beta, "LOCK-B1")),
        threading.Thread(target=create, args=("alpha", alpha, "LOCK-A2")),
    ]
    try:
        holder.start()
        assert holding.wait(10), "tenant A never took its SKU lock"

        writers[0].start()
        assert finished["beta"].wait(5), "tenant B's product waited for tenant A's SKU lock"

        writers[1].start()
        assert wait_for_lock_waiters(query_contains="pg_advisory_xact_lock", timeout=10), (
            "a second SKU writer of tenant A did not wait for the lock"
        )
        assert not finished["alpha"].is_set()
        release.set()
        assert finished["alpha"].wait(10), "tenant A's writer never got the lock after it was released"
        assert refused == {}
        for fixture in (alpha, beta):
            with tenant_context(fixture.tenant):
                assert Product.objects.filter(category=categories[fixture.schema]).count() == 1
    finally:
        release.set()
        for thread in (holder, *writers):
            if thread.ident is not None:  # started
                thread.join(30)
        for fixture in (alpha, beta):
            with tenant_context(fixture.tenant):
                Product.objects.filter(sku__in=SKUS).delete()
                categories[fixture.schema].delete()
