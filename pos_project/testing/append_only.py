"""Tests only: removing what a test committed to an append-only table of a shared session tenant.

The database refuses UPDATE and DELETE on the audit log and the stock ledger (accounts/migrations/0008,
inventory/migrations/0008), and nothing in the product tries. A test that commits to alpha (races between real
processes, the live browser site) and must leave alpha as it found it, because other tests there check that a
refused action wrote nothing, switches the triggers off for the one DELETE, in its own transaction: the test
database's owner is a superuser, which is what `session_replication_role` needs. Tests that can, use a tenant of
their own instead and keep their entries (core/tests/conftest.py's `lab`, pos_project/tests/test_audit_chain.py).
"""

from django.db import connection, transaction
from django.db.models import QuerySet


def committed_rows_purge(queryset: QuerySet) -> int:
    """Delete the rows of `queryset` (audit entries or stock movements) around the append-only triggers."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        deleted, _per_model = queryset.delete()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")
    return deleted
