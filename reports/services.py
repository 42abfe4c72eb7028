"""Writes of the reports app: rebuilding roll-ups (reports/rollups.py holds how each row is computed)."""

from datetime import date, timedelta

from django.db import connection, transaction

from .models import RollupMark
from .rollups import MARKED, REFRESHED, ROLLUPS, Rollup, chunks, lock, params_for, upsert_sql, where_sql


def rollups_rebuild(*, start: date, end: date, rollups: tuple[Rollup, ...] = ROLLUPS, chunk_days: int = 31) -> int:
    """Recompute the roll-ups of business dates start..end from the orders (and tickets and stock movements);
    returns the number of rows written. A month per transaction, so live events wait at most one month's work."""
    written = 0
    facts = {s.fact for r in rollups for s in r.sources}
    for lo, hi in chunks(start, end, chunk_days):
        with transaction.atomic(), connection.cursor() as cursor:
            lock(shared=False)
            params = params_for(lo, hi)
            for fact in MARKED:
                if fact not in facts:
                    continue
                marks = fact.mark_rows.format(where=where_sql(fact, "range"))
                cursor.execute(
                    f"DELETE FROM {RollupMark._meta.db_table} WHERE kind = %(kind)s AND ref IN ({marks})",  # noqa: S608
                    {**params, "kind": fact.mark},
                )
                cursor.execute(
                    f"INSERT INTO {RollupMark._meta.db_table} (kind, ref) SELECT %(kind)s, id FROM ({marks}) AS f",  # noqa: S608
                    {**params, "kind": fact.mark},
                )
            for rollup in rollups:
                cursor.execute(
                    f"DELETE FROM {rollup.table} WHERE business_date BETWEEN %(start)s AND %(end)s",  # noqa: S608
                    params,
                )
                cursor.execute(upsert_sql(rollup, list(rollup.sources), "range"), params)
                written += cursor.rowcount
    return written


def rollups_refresh_recent(*, today: date) -> int:
    """Rebuild the by-date tables (kitchen, stock) for yesterday and today: beat calls it every few minutes."""
    return rollups_rebuild(start=today - timedelta(days=1), end=today, rollups=REFRESHED)
