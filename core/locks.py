"""Advisory locks, always keyed per tenant schema (docs/adr/0007-lock-order.md).

Row locks (`select_for_update`) are taken through each app's `lock_objects` module in the documented order;
an advisory lock stands in for a row that does not exist yet (who may take a SKU). PostgreSQL's advisory locks
are global to the database, so the key carries the schema: one tenant's 50,000-row import never makes another
tenant's catalog wait.
"""

from django.db import connection


def advisory_xact_lock(name: str) -> None:
    """Hold the lock `name` of the current tenant until the end of the transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("an advisory transaction lock outside a transaction would be released at once")
    with connection.cursor() as cursor:
        # hashtextextended gives a 64-bit key; schema and name together make it per tenant.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"{connection.schema_name}:{name}"])
