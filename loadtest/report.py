"""The run's summary (summary.md) and a self-contained report.html with hand-written SVG charts."""

import csv
import html
import json
import math
import re
from pathlib import Path

SYNTHETIC = ("FLOW", "LIVE")
STREAM = "SSE"  # events received on the live streams and streams ended: shown per type, not HTTP requests
GROUPS = ["gunicorn", "live", "celery worker", "celery beat", "postgres", "redis", "locust", "py-spy", "other"]
COLOURS = ["#1f77b4", "#17becf", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted or unsorted values; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def gunicorn_restarts(log_path: Path, workers: int) -> dict:
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    boots = len(re.findall(r"Booting worker with pid", text))
    return {
        "boots": boots,
        "restarts": max(boots - workers, 0),
        "timeouts": len(re.findall(r"WORKER TIMEOUT", text)),
        "killed": len(re.findall(r"was sent SIGKILL", text)),
    }


def _num(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _row(row: dict, ratio) -> dict:
    """One of Locust's stats rows as the report shows it."""
    return {"name": row["Name"], "count": int(_num(row["Request Count"])), "rate": _num(row["Requests/s"]),
            "p50": _num(row["50%"]), "p95": _num(row["95%"]), "p99": _num(row["99%"]),
            "max": _num(row["Max Response Time"]), "errors": int(_num(row["Failure Count"])),
            "x_floor": ratio(_num(row["50%"]))}  # fmt: skip


def collect(out: Path, *, meta, cpu, waits, probe, floor, statements, restarts, budget, error_budget) -> dict:
    rows = list(csv.DictReader((out / "locust_stats.csv").open())) if (out / "locust_stats.csv").exists() else []
    extra = json.loads((out / "locust-extra.json").read_text()) if (out / "locust-extra.json").exists() else {}
    series = extra.get("series", [])
    marks = extra.get("marks", {})
    span = max(marks.get("stop", 0) - marks.get("start", 0), 1e-9)
    steady_from = extra.get("steady_from", 0)
    every = [t for s in series for t in s["times"]]
    steady = [t for s in series if s["t"] >= steady_from for t in s["times"]]
    requests = sum(s["requests"] for s in series)
    failures = sum(s["failures"] for s in series)
    floor_p50 = (floor or {}).get("single_p50")  # one client, nothing queued: the stack's own latency

    def ratio(value):
        return value / floor_p50 if value is not None and floor_p50 else None

    types = []
    for row in rows:
        if row["Name"] == "Aggregated" or row["Type"] in SYNTHETIC:
            continue
        types.append(_row(row, (lambda _value: None) if row["Type"] == STREAM else ratio))
    types.sort(key=lambda r: -r["count"])
    overall = {"name": "**all HTTP requests**", "count": requests, "rate": requests / span, "p50": pct(every, 50),
               "p95": pct(every, 95), "p99": pct(every, 99), "max": max(every) if every else None,
               "errors": failures, "x_floor": ratio(pct(every, 50))}  # fmt: skip
    steady_row = {"name": "all HTTP, after the ramp", "count": len(steady),
                  "rate": len(steady) / max(marks.get("stop", 0) - steady_from, 1e-9) if steady else 0,
                  "p50": pct(steady, 50), "p95": pct(steady, 95), "p99": pct(steady, 99),
                  "max": max(steady) if steady else None,
                  "errors": sum(s["failures"] for s in series if s["t"] >= steady_from),
                  "x_floor": ratio(pct(steady, 50))}  # fmt: skip
    flows = [_row(r, ratio) for r in rows if r["Type"] == "FLOW"]
    live = []
    for name, samples in (extra.get("live") or {}).items():
        ms = [s * 1000 for s in samples]
        live.append(
            {
                "name": f"LIVE {name}",
                "count": len(ms),
                "p50": pct(ms, 50),
                "p95": pct(ms, 95),
                "max": max(ms) if ms else None,
                "within_2s": sum(1 for m in ms if m <= 2000) / len(ms) if ms else None,
            }
        )
    cpu_rows = []
    for group in GROUPS:
        values = [s.get(group, 0.0) for s in cpu]
        if any(values):
            cpu_rows.append({"group": group, "mean": sum(values) / len(values), "max": max(values)})
    wait_rows = sorted(waits.counts.items(), key=lambda kv: -kv[1])[:12]
    error_rate = failures / requests * 100 if requests else 100.0
    p95 = overall["p95"]
    failures_csv = out / "locust_failures.csv"
    failure_list = list(csv.DictReader(failures_csv.open()))[:10] if failures_csv.exists() else []
    return {
        "meta": meta,
        "types": types,
        "overall": overall,
        "steady": steady_row,
        "flows": flows,
        "live": live,
        "live_unmatched": extra.get("unmatched", {}),
        "counters": extra.get("counters", {}),
        "floor": floor,
        "probe": {
            "count": len(probe.times),
            "p50": pct(probe.times, 50),
            "p95": pct(probe.times, 95),
            "max": max(probe.times) if probe.times else None,
            "errors": probe.errors,
        },  # fmt: skip
        "cpu": cpu_rows,
        "cpu_series": cpu,
        "waits": {
            "samples": waits.samples,
            "backend_samples": waits.backend_samples,
            "error": waits.error,
            "top": [(k, v / waits.backend_samples if waits.backend_samples else 0) for k, v in wait_rows],
        },  # fmt: skip
        "statements": statements,
        "restarts": restarts,
        "failures": failure_list,
        "series": [
            {
                "t": s["t"],
                "requests": s["requests"],
                "failures": s["failures"],
                "users": s["users"],
                "p95": pct(s["times"], 95),
            }
            for s in series
        ],  # fmt: skip
        "windows": _windows(series, 5),
        "verdict": {
            "ok": p95 is not None and p95 < budget and error_rate < error_budget,
            "p95": p95,
            "budget": budget,
            "error_rate": error_rate,
            "error_budget": error_budget,
        },  # fmt: skip
    }


def _windows(series: list[dict], size: int) -> list[dict]:
    """p95 and requests/s per `size`-second window (a one-second p95 is too noisy to plot)."""
    if not series:
        return []
    start = series[0]["t"]
    buckets: dict[int, list] = {}
    for s in series:
        b = buckets.setdefault((s["t"] - start) // size, [0, [], 0])
        b[0] += s["requests"]
        b[1].extend(s["times"])
        b[2] = max(b[2], s["users"])
    return [{"x": k * size, "rps": b[0] / size, "p95": pct(b[1], 95) or 0, "p50": pct(b[1], 50) or 0, "users": b[2]}
            for k, b in sorted(buckets.items())]  # fmt: skip


# --- text -------------------------------------------------------------------------------------------------
def _f(value, digits: int = 0, suffix: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def tables(data: dict) -> list[tuple[str, list[str], list[list[str]], str]]:
    """(title, header, rows, note) for both the markdown and the HTML report."""
    meta, verdict, floor = data["meta"], data["verdict"], data["floor"] or {}
    out = []
    status = "PASS" if verdict["ok"] else "FAIL"
    out.append(("Run", ["what", "value"], [
        ["verdict", f"**{status}**: overall p95 {_f(verdict['p95'], 0)} ms (budget < {verdict['budget']:g}), "
                    f"errors {verdict['error_rate']:.3f} % (budget < {verdict['error_budget']:g} %)"],
        ["checkout", f"{meta['repo']} @ {meta['commit']}"],
        ["load", f"{meta['users']} users on {meta['tenants']} tenants, {meta['duration_s']} s, spawn "
                 f"{meta['spawn_rate']:.2f}/s; Locust nice {meta['nice']}"],
        ["server", f"gunicorn {meta['workers']} workers x {meta['threads']} threads, max_requests "
                   f"{meta['max_requests']}; {meta['cores']} cores; database {meta['database']}"],
        ["live updates", "push: server-sent events from the live process (uvicorn kitchen.stream:app, port "
                         f"{meta.get('live_port')})" if meta.get("live") == "push" else
                         "poll: every 1.5 s after the previous answer, with ETags"],
        ["gunicorn worker boots during the load", f"{data['restarts']['boots']} ({data['restarts']['restarts']} "
                                                  f"restarts, {data['restarts']['timeouts']} timeouts); restarts "
                                                  f"including the floor burst: {data['restarts'].get('after_floor')}"],
    ], ""))  # fmt: skip
    header = ["request", "count", "rate/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "p50 / floor p50"]

    def row(r):
        return [r["name"], _f(r["count"]), _f(r.get("rate"), 2), _f(r["p50"]), _f(r["p95"]), _f(r["p99"]),
                _f(r.get("max")), _f(r["errors"]), _f(r["x_floor"], 1, "x")]  # fmt: skip

    rows = [row(r) for r in data["types"]] + [row(data["overall"]), row(data["steady"])]
    rows += [row(r) for r in data["flows"]]
    out.append(("Requests by type", header, rows, "Percentiles per type are Locust's (rounded); the overall rows "
                "are exact, over every HTTP request (FLOW and LIVE entries excluded). The checkout flow is the "
                "submit's plus the payment's response time. Push: 'SSE connect' is a stream's GET, timed until its "
                "answer's headers; 'stream ... event' rows are events received, not requests (not in the overall "
                "rows; their times are the gap since the previous event on the same stream, the first since the "
                "connect), 'stream ... end' a stream's end (its time: how long it lived; an error when it broke "
                "rather than being closed by the server, counted in the overall errors)."))  # fmt: skip
    live_rows = [
        [
            r["name"],
            _f(r["count"]),
            _f(r["p50"]),
            _f(r["p95"]),
            _f(r["max"]),
            _f(r["within_2s"] * 100 if r["within_2s"] is not None else None, 1, " %"),
        ]
        for r in data["live"]
    ]
    unmatched = ", ".join(f"{k}: {v}" for k, v in data["live_unmatched"].items())
    out.append(
        (
            "Live updates (write answered -> first screen answer showing it)",
            ["update", "count", "p50 ms", "p95 ms", "max ms", "within 2 s"],
            live_rows,
            "Kitchen ticket: a till's Send answer to a display's first answer or stream event showing the ticket "
            "(one per station). Ready strip: the bump answer completing an order to its till's strip. Either is "
            "counted as 0 when the screen showed it before the write's own answer arrived (push can be that "
            f"quick). {unmatched}",
        )
    )
    probe = data["probe"]
    floor_title = {"/healthz": "/healthz (gunicorn + WSGI + the health middleware, no tenant, no database)"}.get(
        floor.get("path", "/healthz"), floor.get("path", "")
    )
    out.append((f"Floor: {floor_title}",
                ["measure", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"], [
        ["one client alone, 3 s, after the load (the 'floor p50' above)", _f(floor.get("single_rps"), 0),
         _f(floor.get("single_p50"), 2), _f(floor.get("single_p95"), 2), "–", "0"],
        [f"closed loop, {floor.get('clients', '?')} keep-alive clients, {floor.get('seconds', '?')} s, after the load",
         _f(floor.get("rps"), 0), _f(floor.get("p50"), 2), _f(floor.get("p95"), 2), _f(floor.get("p99"), 2),
         _f(floor.get("errors"))],
        [f"1 req/s during the load ({probe['count']} probes)", "1", _f(probe["p50"], 2), _f(probe["p95"], 2), "–",
         _f(probe["errors"])],
    ], floor.get("error", "")))  # fmt: skip
    out.append(
        (
            "CPU by process group (cores; 1.0 = one core busy)",
            ["group", "mean", "max"],
            [[c["group"], _f(c["mean"], 2), _f(c["max"], 2)] for c in data["cpu"]],
            "Sampled every second during the load. postgres and redis are every such process on the machine; "
            "'other' is the machine's total minus the groups: a busy 'other' means the run shared the machine.",
        )
    )
    waits = data["waits"]
    out.append(
        (
            "PostgreSQL: what busy backends were doing (share of samples)",
            ["wait event", "share"],
            [[k, _f(v * 100, 1, " %")] for k, v in waits["top"]],
            f"{waits['samples']} samples every 0.5 s, {waits['backend_samples']} busy-backend observations "
            f"(mean {waits['backend_samples'] / waits['samples'] if waits['samples'] else 0:.2f} busy at once). "
            "'CPU: running' = no wait event (on CPU or in the client's round trip)." + (waits["error"] or ""),
        )
    )
    if data["statements"] is None:
        out.append(("Top statements", ["note"], [["pg_stat_statements is not available on this server (add it "
                    "to shared_preload_libraries to get the top 15 by total time)"]], ""))  # fmt: skip
    else:
        out.append(("Top 15 statements by total time (pg_stat_statements)",
                    ["calls", "total ms", "mean ms", "rows", "query"],
                    [[_f(s["calls"]), _f(s["total_ms"]), _f(s["mean_ms"], 2), _f(s["rows"]), s["query"]]
                     for s in data["statements"]], ""))  # fmt: skip
    if data["failures"] or data["counters"]:
        rows = [[f["Method"] + " " + f["Name"], f["Occurrences"], f["Error"][:160]] for f in data["failures"]]
        rows += [["(note)", str(v), k] for k, v in data["counters"].items()]
        out.append(("Failures and notes", ["request", "count", "error"], rows, ""))
    return out


def markdown(data: dict) -> str:
    meta = data["meta"]
    lines = [f"# Load test {meta['label']} ({meta['started']})", ""]
    for title, header, rows, note in tables(data):
        lines += [f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
        lines += ["", note, ""] if note else [""]
    return "\n".join(lines)


# --- HTML and SVG -----------------------------------------------------------------------------------------
def svg_chart(title: str, lines: dict[str, list[tuple[float, float]]], y_label: str, *, width=900, height=260,
              right: dict[str, list[tuple[float, float]]] | None = None, right_label: str = "") -> str:  # fmt: skip
    """A line chart: x in seconds since the start, one or two y axes, a legend. Plain SVG, nothing to load."""
    pad_l, pad_r, pad_t, pad_b = 60, 60 if right else 20, 30, 40
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    points = [p for pts in [*lines.values(), *(right or {}).values()] for p in pts]
    if not points:
        return f"<p>{html.escape(title)}: no data</p>"
    x_max = max(p[0] for p in points) or 1

    def scale(series):
        top = max((p[1] for pts in series.values() for p in pts), default=1) or 1
        top = _nice(top)
        return top

    def path(pts, top):
        return " ".join(f"{'M' if i == 0 else 'L'}{pad_l + x / x_max * w:.1f},{pad_t + h - y / top * h:.1f}"
                        for i, (x, y) in enumerate(pts))  # fmt: skip

    top_l = scale(lines)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
             f'font-size="11"><text x="{pad_l}" y="16" font-size="13" font-weight="bold">{html.escape(title)}</text>',
             f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" fill="none" stroke="#ccc"/>']  # fmt: skip
    for i in range(5):
        y = pad_t + h - i / 4 * h
        parts.append(f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{pad_l - 6}" y="{y + 4:.1f}" text-anchor="end">{top_l * i / 4:g}</text>')  # fmt: skip
    for i in range(6):
        x = pad_l + i / 5 * w
        parts.append(f'<text x="{x:.1f}" y="{pad_t + h + 16}" text-anchor="middle">{x_max * i / 5:.0f}s</text>')
    parts.append(f'<text x="14" y="{pad_t + h / 2}" transform="rotate(-90 14 {pad_t + h / 2})" '
                 f'text-anchor="middle">{html.escape(y_label)}</text>')  # fmt: skip
    legend = []
    colour = iter(COLOURS * 3)
    for name, pts in lines.items():
        c = next(colour)
        parts.append(f'<path d="{path(pts, top_l)}" fill="none" stroke="{c}" stroke-width="1.5"/>')
        legend.append((name, c, ""))
    if right:
        top_r = scale(right)
        for i in range(5):
            y = pad_t + h - i / 4 * h
            parts.append(f'<text x="{pad_l + w + 6}" y="{y + 4:.1f}">{top_r * i / 4:g}</text>')
        parts.append(f'<text x="{width - 8}" y="{pad_t + h / 2}" transform="rotate(90 {width - 8} {pad_t + h / 2})" '
                     f'text-anchor="middle">{html.escape(right_label)}</text>')  # fmt: skip
        for name, pts in right.items():
            c = next(colour)
            parts.append(f'<path d="{path(pts, top_r)}" fill="none" stroke="{c}" stroke-width="1.5" '
                         f'stroke-dasharray="4 3"/>')  # fmt: skip
            legend.append((name, c, "4 3"))
    x = pad_l
    for name, c, dash in legend:
        parts.append(f'<line x1="{x}" x2="{x + 18}" y1="{height - 8}" y2="{height - 8}" stroke="{c}" '
                     f'stroke-width="2" stroke-dasharray="{dash}"/><text x="{x + 22}" y="{height - 4}">'
                     f"{html.escape(name)}</text>")  # fmt: skip
        x += 30 + 7 * len(name)
    parts.append("</svg>")
    return "".join(parts)


def _nice(value: float) -> float:
    """A round axis top at or above value (1, 2, 2.5, 5 x 10^n)."""
    exp = 10 ** math.floor(math.log10(value)) if value > 0 else 1
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def _cell(text: str) -> str:
    escaped = html.escape(str(text))
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escaped)


def html_report(data: dict) -> str:
    meta = data["meta"]
    windows = data["windows"]
    charts = [
        svg_chart("Response time (all HTTP requests, per 5 s) and throughput",
                  {"p95 ms": [(w["x"], w["p95"]) for w in windows], "p50 ms": [(w["x"], w["p50"]) for w in windows]},
                  "ms", right={"requests/s": [(w["x"], w["rps"]) for w in windows],
                               "users": [(w["x"], w["users"]) for w in windows]}, right_label="req/s, users"),
    ]  # fmt: skip
    cpu = data["cpu_series"]
    if cpu:
        start = cpu[0]["t"]
        groups = [c["group"] for c in data["cpu"]]
        charts.append(
            svg_chart(
                "CPU by process group (cores)",
                {g: [(s["t"] - start, s.get(g, 0.0)) for s in cpu] for g in groups},
                "cores",
            )
        )
    body = [f"<h1>Load test {html.escape(meta['label'])} <small>{html.escape(meta['started'])}</small></h1>"]
    for title, header, rows, note in tables(data):
        kind = " class=kv" if title == "Run" else ""
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        cells = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in rows)
        after = f"<p class=note>{html.escape(note)}</p>" if note else ""
        body.append(f"<h2>{html.escape(title)}</h2><table{kind}><tr>{head}</tr>{cells}</table>{after}")
        if title == "Requests by type":
            body.append("<h2>Over time</h2>" + "".join(f"<div>{c}</div>" for c in charts))
    style = ("body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:.5em 0}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;font-size:13px}td:first-child,th:first-child"
             "{text-align:left}th{background:#f3f3f3}"
             ".kv td{text-align:left}.note{color:#555;font-size:12px;max-width:900px}")  # fmt: skip
    return (f"<!doctype html><html><head><meta charset=utf-8><title>Load test {html.escape(meta['label'])}</title>"
            f"<style>{style}</style></head><body>{''.join(body)}<p class=note>Locust's own report: "
            f"<a href=locust.html>locust.html</a>; raw numbers in locust_*.csv and locust-extra.json.</p>"
            "</body></html>")  # fmt: skip


def write(out: Path, data: dict) -> str:
    summary = markdown(data)
    (out / "summary.md").write_text(summary)
    (out / "report.html").write_text(html_report(data))
    slim = {k: v for k, v in data.items() if k not in ("series", "cpu_series")}
    (out / "summary.json").write_text(json.dumps(slim, indent=1, default=str))
    return summary
