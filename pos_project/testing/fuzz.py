"""A fuzz run over every page and endpoint, generated from the URL confs (pos_project/tests/test_fuzz.py).

Nothing is listed by hand, so a view added tomorrow is fuzzed tomorrow:
- the patterns come from walking the URL conf (`url_patterns`); a path's `<int:pk>` is filled with the id of
  a real row whose kind the path names (`…/orders/<pk>/` → an Order, see `PK_MODELS`), else 1;
- the parameter names of a view come from its code (`parameter_names`): the form classes it uses (their
  fields), and the names its source reads (`request.GET.get("…")`, `POST.getlist`, `data.get("…")`, `line["…"]`,
  `f"q{line.pk}"`-style names, filled with real ids), following the module's helper functions it calls;
- each name is filled, one at a time and all at once, with values that broke views before (`NASTY`):
  unicode digits, 5,000-digit numbers, 10²⁰, −1, NUL and printer control bytes, very long text, `NaN`, and in
  JSON bodies also floats, booleans, nulls, arrays and objects.

`Fuzzer.run` sends them through the Django test client and records every 5xx answer and every exception a
view raised (the test client re-raises them), with the URL, method, parameter and value that caused it.
"""

import inspect
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django import forms
from django.urls import URLPattern, URLResolver, get_resolver

BIG = "1" * 5000
# Values of a query string or form field.
NASTY = (
    "²",
    "٣",
    BIG,
    str(10**20),
    "9223372036854775808",
    "-1",
    "0",
    "",
    "abc",
    "1.5",
    "NaN",
    "Infinity",
    "\x00",
    "Tea\x1bp0\x19\x19",
    "x" * 5000,
    "1e400",
    "  ",
)
# The values each parameter gets on its own (the others plausible); every value of NASTY goes in all at once.
CORE = ("²", BIG, str(10**20), "-1", "\x00", "Tea\x1bp0\x19\x19", "x" * 5000, "abc")
# Values of a JSON body's keys (raw JSON text, so that NaN and 5,000-digit numbers are sent as such).
NASTY_JSON = (
    "null",
    "true",
    "100000000000000000000",
    "9223372036854775807",
    "-1",
    "0",
    "1.5",
    "NaN",
    "Infinity",
    BIG,
    '"²"',
    '"\\u0000"',
    '"Tea\\u001bp0\\u0019\\u0019"',
    json.dumps("x" * 5000),
    "[]",
    "{}",
    '[{"product_id": 100000000000000000000, "quantity": 100000000000000000000}]',
    '{"kind": "amount", "value": 100000000000000000000}',
)

# The kind of row a path names before its `<int:pk>` (the segment just before it).
PK_MODELS = {
    "orders": "sales.Order",
    "history": "sales.Order",
    "payments": "sales.Payment",
    "shift": "sales.Shift",
    "shifts": "sales.Shift",
    "tables": "sales.DiningTable",
    "products": "catalog.Product",
    "categories": "catalog.Category",
    "variants": "catalog.ProductVariant",
    "modifiers": "catalog.ModifierGroup",
    "recipes": "catalog.Product",
    "tickets": "kitchen.Ticket",
    "lines": "kitchen.TicketLine",
    "stations": "kitchen.Station",
    "staff": "accounts.User",
    "devices": "accounts.Device",
    "outlets": "business.Outlet",
    "taxes": "business.Tax",
    "items": "inventory.StockItem",
    "adjustments": "inventory.StockAdjustment",
    "transfers": "inventory.Transfer",
    "suppliers": "inventory.Supplier",
    "purchase-orders": "inventory.PurchaseOrder",
    "counts": "inventory.StockCount",
}

_READ = re.compile(
    r"""(?:GET|POST|data|body|line|payload|params|query)\s*(?:\.get|\.getlist|\.pop)?\s*[\(\[]\s*f?["']([A-Za-z_][\w\-]*)(\{)?"""
)


# In the quick run (the default), these go into a few names at a time (GROUP of them).
IN_TURN = ("²", BIG, "\x00")
IN_TURN_JSON = ("100000000000000000000", BIG, '"\\u0000"')
GROUP = 6
CORE_JSON = ("100000000000000000000", "-1", "1.5", BIG, '"²"', '"\\u0000"', "[]", "{}")


@dataclass(frozen=True)
class Endpoint:
    route: str  # e.g. "till/orders/<int:pk>/payments/"
    callback: Callable
    name: str


def url_patterns(urlconf: str) -> list[Endpoint]:
    """Every pattern of a URL conf, includes followed, as (route, view)."""

    def walk(patterns, prefix: str) -> Iterator[Endpoint]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield Endpoint(prefix + str(entry.pattern), entry.callback, entry.name or "")

    return list(walk(get_resolver(urlconf).url_patterns, ""))


def _unwrap(view: Callable) -> Callable:
    view = getattr(view, "view_class", view)
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return view


def _functions_used(func, seen: set) -> Iterator:
    """`func` and the functions and classes of its own module it names, transitively (its helpers)."""
    if func in seen:
        return
    seen.add(func)
    yield func
    module = inspect.getmodule(func)
    code = getattr(func, "__code__", None)
    names = set(code.co_names) if code else set()
    if inspect.isclass(func):
        for member in vars(func).values():
            if inspect.isfunction(member):
                names |= set(member.__code__.co_names)
                yield from _functions_used(member, seen)
    for name in names:
        target = getattr(module, name, None)
        if (inspect.isfunction(target) or inspect.isclass(target)) and inspect.getmodule(target) is module:
            yield from _functions_used(target, seen)


def reads_json(view: Callable) -> bool:
    """Whether the view (or a helper of its module) reads a JSON body."""
    for func in _functions_used(_unwrap(view), set()):
        try:
            source = inspect.getsource(func)
        except (OSError, TypeError):
            continue
        if "request.body" in source or "json_object(" in source:
            return True
    return False


def parameter_names(view: Callable) -> tuple[set[str], set[str]]:
    """(names, templated prefixes) the view reads: form fields of the forms it uses, and the names its code
    (and its module's helpers) reads from GET, POST and JSON bodies. A prefix (`q` of `f"q{line.pk}"`) is
    completed with real ids."""
    names, prefixes = set(), set()
    for func in _functions_used(_unwrap(view), set()):
        if inspect.isclass(func) and issubclass(func, forms.BaseForm):
            names |= set(func.base_fields)
            continue
        try:
            source = inspect.getsource(func)
        except (OSError, TypeError):
            continue
        for match in _READ.finditer(source):
            (prefixes if match.group(2) else names).add(match.group(1))
        module = inspect.getmodule(func)
        for name in getattr(func, "__code__", None) and func.__code__.co_names or ():
            target = getattr(module, name, None)
            if inspect.isclass(target) and issubclass(target, forms.BaseForm):
                names |= set(target.base_fields)
    return names, prefixes


@dataclass
class Failure:
    method: str
    url: str
    parameter: str
    value: str
    error: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) < 60 else self.value[:40] + f"…({len(self.value)} chars)"
        return f"{self.method} {self.url} {self.parameter}={shown!r}: {self.error}"


@dataclass
class Fuzzer:
    """Sends the requests; `sent` counts them, `failures` holds each 5xx or raised exception."""

    sent: int = 0
    failures: list[Failure] = field(default_factory=list)

    def _fail(self, failure: Failure) -> None:
        self.failures.append(failure)
        if log := os.environ.get("FUZZ_LOG"):  # follow a long run: tail -f
            with open(log, "a") as out:
                out.write(f"{failure}\n")

    def send(self, client, method: str, url: str, parameter: str, value: str, **kwargs) -> int | None:
        self.sent += 1
        try:
            response = getattr(client, method.lower())(url, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every exception a view raises is a finding
            self._fail(Failure(method, url, parameter, value, f"{type(exc).__name__}: {exc}"[:300]))
            return None
        if response.status_code >= 500:
            self._fail(Failure(method, url, parameter, value, f"status {response.status_code}"))
        return response.status_code

    def fuzz(self, client, url: str, names: set[str], *, plain: dict, methods=("GET", "POST"),
             json_body: bool = True, full: bool = False) -> None:  # fmt: skip
        """Every name nasty at once, then a few names at a time (the others plausible, from `plain`, so that
        the view's first check does not hide the later ones); as a query string, a form and, where the view
        reads one, a JSON body. `full`: every name on its own with every value (the slow grid)."""
        names = sorted(names)
        group = 1 if full else GROUP
        groups = [names[i : i + group] for i in range(0, len(names), group)]
        for method in methods:
            for value in NASTY if full else CORE:
                self.send(client, method, url, "*", value, data=dict.fromkeys(names, value))
            for value in CORE if full else IN_TURN:
                for chosen in groups:
                    data = {**{n: plain.get(n, "1") for n in names}, **dict.fromkeys(chosen, value)}
                    self.send(client, method, url, ",".join(chosen), value, data=data)
            if method == "POST" and json_body:
                for raw in NASTY_JSON if full else CORE_JSON:
                    body = "{" + ", ".join(f"{json.dumps(n)}: {raw}" for n in names) + "}"
                    self.send(client, method, url, "*", raw, data=body, content_type="application/json")
                for raw in CORE_JSON if full else IN_TURN_JSON:
                    for chosen in groups:
                        body = "{" + ", ".join(
                            f"{json.dumps(n)}: {raw if n in chosen else json.dumps(plain.get(n, 1))}" for n in names
                        ) + "}"  # fmt: skip
                        self.send(client, method, url, ",".join(chosen), raw, data=body,
                                  content_type="application/json")  # fmt: skip
                for raw in ("", "not json", "[1, 2]", "NaN", BIG, "[" * 5000, '"\\u0000"'):
                    self.send(client, method, url, "body", raw, data=raw, content_type="application/json")
