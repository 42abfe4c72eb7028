"""How fast reports are on a tenant with a million orders (made by bench/reports_data.py).

    make bench-reports                                   # generate 1,000,000 orders, then this
    DATABASE_URL=... REDIS_URL=... python bench/reports_bench.py [--slug reports-bench] [--runs 20]

Prints, for the last full year (365 business days ending yesterday):
- the roll-up rebuild of that year (reports.services.rollups_rebuild) and its reconcile (rollups_reconcile);
- the report selectors called directly, and every report page and the owner's dashboard through Django's test
  client on the tenant's host, signed in as the owner with the second step passed: p50/p95 over --runs runs
  (after one warm-up) and the number of queries per request;
- for contrast, the same year's totals summed over the raw orders (what a report would cost without roll-ups).
Goals (issue 13): dashboard p95 < 300 ms, each report over a year p95 < 1 s.
"""

import argparse
import importlib
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings.development")
os.environ.setdefault("LOG_LEVEL", "WARNING")

DASHBOARD_GOAL_MS = 300
REPORT_GOAL_MS = 1000


def percentiles(samples: list[float]) -> tuple[float, float]:
    if len(samples) == 1:
        return samples[0], samples[0]
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


def timed(fn, runs: int) -> tuple[list[float], object]:
    result = fn()  # warm-up, not counted
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - started) * 1000)
    return out, result


def report_slugs() -> list[str]:
    """The report pages' slugs from the reports app's registry, whichever module holds it."""
    for name in ("reports.catalog", "reports.registry", "reports.views"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for attr in ("REPORTS", "REGISTRY", "registry"):
            found = getattr(module, attr, None)
            if isinstance(found, dict):
                return list(found)
            if isinstance(found, list | tuple):
                return [getattr(r, "slug", r) for r in found]
    return []


def main() -> int:  # noqa: PLR0915
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slug", default="reports-bench")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pages", nargs="*", help="report slugs to time (default: the reports registry's)")
    parser.add_argument("--skip-rebuild", action="store_true")
    parser.add_argument("--exports", action="store_true", help="also each report's CSV, XLSX and PDF over the year")
    parser.add_argument("--export-runs", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_tenants.utils import tenant_context

    from accounts.models import Role, User
    from business.models import Outlet
    from reports import selectors as rs
    from reports.services import rollups_rebuild
    from sales.services.shifts import business_date_now
    from tenants.models import Tenant

    tenant = Tenant.objects.filter(slug=args.slug).first()
    if tenant is None:
        print(f"No tenant {args.slug!r}: run bench/reports_data.py first.")
        return 2
    host = tenant.get_primary_domain().domain
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*), MIN(business_date), MAX(business_date) FROM sales_order")
        orders, first, last = cursor.fetchone()
        cursor.execute("SELECT COUNT(*) FROM sales_orderline")
        lines = cursor.fetchone()[0]
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0].split(",")[0]
        today = business_date_now()
        cursor.execute("SELECT COUNT(*), COUNT(*) FILTER (WHERE status = 'open') FROM sales_order "
                       "WHERE business_date = %s", [today])  # fmt: skip
        today_orders, open_tabs = cursor.fetchone()
    end = today - timedelta(days=1)
    year = rs.Period(end - timedelta(days=364), end)
    print(f"tenant {tenant.schema_name}: {orders:,} orders, {lines:,} lines, {first}..{last}; {server}, "
          f"{os.cpu_count()} cores")  # fmt: skip
    print(f"year: {year.start}..{year.end} ({year.days} business days); {args.runs} runs each after a warm-up")
    print(f"today ({today}, {tenant.timezone}): {today_orders:,} orders so far, {open_tabs} open tabs; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")  # fmt: skip
    print()

    with tenant_context(tenant):
        if not args.skip_rebuild:
            started = time.perf_counter()
            rows = rollups_rebuild(start=year.start, end=year.end)
            rebuild_s = time.perf_counter() - started
            print(f"roll-up rebuild, one year: {rebuild_s:.1f} s ({rows:,} rows)")
            started = time.perf_counter()
            differences = rs.rollups_reconcile(start=year.start, end=year.end)
            print(f"reconcile, one year: {time.perf_counter() - started:.1f} s, {len(differences)} differences")
            print()

        # The selectors alone (no page): what each report reads over a year.
        calls = {
            "sales_totals": lambda: rs.sales_totals(period=year),
            "sales_by day": lambda: rs.sales_by(dimension="day", period=year),
            "sales_by hour": lambda: rs.sales_by(dimension="hour", period=year),
            "sales_by weekday": lambda: rs.sales_by(dimension="weekday", period=year),
            "sales_by outlet": lambda: rs.sales_by(dimension="outlet", period=year),
            "sales_by order_type": lambda: rs.sales_by(dimension="order_type", period=year),
            "product_sales product": lambda: rs.product_sales(period=year),
            "product_sales variant": lambda: rs.product_sales(period=year, by="variant"),
            "product_sales category": lambda: rs.product_sales(period=year, by="category"),
            "modifier_sales": lambda: rs.modifier_sales(period=year),
            "staff_sales": lambda: rs.staff_sales(period=year),
            "payment_mix": lambda: rs.payment_mix(period=year),
            "tax_summary": lambda: rs.tax_summary(period=year),
            "kitchen_times": lambda: rs.kitchen_times(period=year),
            "stock_usage": lambda: rs.stock_usage(period=year),
            "voids_list": lambda: rs.voids_list(period=year),
            "refunds_list": lambda: rs.refunds_list(period=year),
            "discounts_list": lambda: rs.discounts_list(period=year),
            "cash_variance": lambda: rs.cash_variance(period=year),
        }
        print(f"{'selector over a year':<28}{'p50 ms':>9}{'p95 ms':>9}{'rows':>7}")
        for name, fn in calls.items():
            samples, result = timed(fn, args.runs)
            p50, p95 = percentiles(samples)
            size = len(result) if isinstance(result, list) else 1
            print(f"{name:<28}{p50:9.1f}{p95:9.1f}{size:7}")
        print()

        # Raw SQL over the orders, for contrast: the year's sales totals and its product sales without roll-ups.
        raw = {
            "sales totals from orders": (
                "SELECT COUNT(*), SUM(subtotal_minor), SUM(discount_minor), SUM(service_charge_minor), "
                "SUM(tax_minor), SUM(tax_included_minor), SUM(total_minor) FROM sales_order "
                "WHERE business_date BETWEEN %s AND %s AND status IN ('paid', 'refunded')"
            ),
            "product sales from lines": (
                "SELECT l.product_id, SUM(l.quantity), SUM(l.net_minor) FROM sales_orderline l "
                "JOIN sales_order o ON o.id = l.order_id WHERE o.business_date BETWEEN %s AND %s "
                "AND o.status IN ('paid', 'refunded') AND NOT l.is_voided GROUP BY l.product_id"
            ),
        }
        for name, sql in raw.items():

            def run(sql=sql):
                with connection.cursor() as cursor:
                    cursor.execute(sql, [year.start, year.end])
                    return cursor.fetchall()

            samples, _result = timed(run, min(args.runs, 5))
            p50, p95 = percentiles(samples)
            print(f"raw SQL, {name} (one year): p50 {p50:.0f} ms, p95 {p95:.0f} ms")
        print()

        owner = User.objects.filter(role=Role.ADMIN_TENANT, is_active=True).order_by("pk").first()
        client = Client(HTTP_HOST=host)
        client.force_login(owner)
        device = TOTPDevice.objects.filter(user=owner, confirmed=True).first()
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    # Pages through the test client (the middleware picks the tenant from the host, as in production).
    with tenant_context(tenant):
        first_outlet = Outlet.objects.order_by("pk").values_list("pk", flat=True).first()
    pages = [
        ("dashboard", "/backoffice/", DASHBOARD_GOAL_MS, args.runs),
        ("dashboard, one outlet", f"/backoffice/?outlet={first_outlet}", DASHBOARD_GOAL_MS, args.runs),
    ]
    slugs = args.pages if args.pages is not None else report_slugs()
    for slug in slugs:
        pages.append((slug, f"/reports/{slug}/?from={year.start}&to={year.end}", REPORT_GOAL_MS, args.runs))
    for slug in slugs if args.exports else ():
        for fmt in ("csv", "xlsx", "pdf"):
            url = f"/reports/{slug}/?from={year.start}&to={year.end}&format={fmt}"
            pages.append((f"{slug} {fmt}", url, REPORT_GOAL_MS, args.export_runs))
    if not slugs:
        print("(no report pages found: the reports registry is not there yet; pass --pages SLUG ...)")
    print(f"{'page (a year, compared with the year before)':<46}{'p50 ms':>8}{'p95 ms':>8}{'goal':>6}{'queries':>8}"
          "  status")  # fmt: skip
    failures = 0
    for name, url, goal, runs in pages:
        statuses = set()
        queries = []

        def get(url=url, statuses=statuses, queries=queries):
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            statuses.add(response.status_code)
            queries.append(len(captured.captured_queries))
            return response

        samples, _response = timed(get, runs)
        p50, p95 = percentiles(samples)
        ok = p95 < goal and statuses == {200}
        failures += not ok
        print(f"{name:<46}{p50:8.0f}{p95:8.0f}{goal:6}{max(queries):8}  "
              f"{','.join(map(str, sorted(statuses)))} {'ok' if ok else 'MISSED'}")  # fmt: skip
    print()
    print(f"{len(pages) - failures} of {len(pages)} pages within their goal; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
