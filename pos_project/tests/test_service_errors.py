"""Services say no one way (pos_project/errors.py): a ServiceError with a stable code and a translated message.

Reads the source of every app's services (`services.py`, `services/*.py`) and core's shared mechanisms, without
importing it, and fails on:
- `raise ValidationError(...)`: services raise ServiceError;
- a ServiceError whose message is a plain or f-string literal (or a literal formatted with % or .format) instead
  of `_()`/`gettext(...)`; a variable, or an expression built from `_()`, is fine;
- a code that is not dotted lower case (`catalog.sku_taken`);
- an f-string or a formatted string inside `_()`: the message to translate must be the literal, with
  `%(name)s` placeholders filled in after.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXCLUDED: set[str] = set()
CODE_SHAPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
TRANSLATORS = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy"}


def service_modules() -> list[Path]:
    found = []
    for app in sorted(p for p in ROOT.iterdir() if (p / "apps.py").exists() and p.name not in EXCLUDED):
        found += [app / "services.py"] if (app / "services.py").exists() else []
        found += sorted((app / "services").glob("*.py"))
        found += sorted(app.glob("*/services.py"))  # a feature package's services (integrations/webhooks/)
    found += sorted(p for p in (ROOT / "core").glob("*.py"))  # the shared mechanisms every service uses
    return found


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_literal(node: ast.expr) -> bool:
    """A string people would read untranslated: "...", f"...", "..." % x, "...".format(x)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) or isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _is_literal(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _is_literal(node.func.value)
    return False


def problems_in(source: str, filename: str = "<source>") -> list[str]:
    """Every breach of the rules above in one module's source, as `file:line: what`."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Raise) and node.exc is not None:
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if _name(raised) == "ValidationError":
                found.append(f"{where}: raises ValidationError; raise ServiceError(code, _(message))")
        if not isinstance(node, ast.Call):
            continue
        called = _name(node.func)
        if called == "ServiceError":
            code = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "code"), None)
            message = node.args[1] if len(node.args) > 1 else None
            message = message or next((k.value for k in node.keywords if k.arg == "message"), None)
            if isinstance(code, ast.Constant) and not CODE_SHAPE.fullmatch(str(code.value)):
                found.append(f"{where}: the code {code.value!r} is not dotted lower case")
            if message is not None and _is_literal(message):
                found.append(f"{where}: the message is a plain string; wrap it in _()")
        elif called in TRANSLATORS and node.args:
            text = node.args[0]
            if not (isinstance(text, ast.Constant) and isinstance(text.value, str)):
                found.append(f"{where}: {called}() is given a built string; translate the literal, then fill it in")
    return found


def test_the_check_finds_the_modules_it_reads():
    names = {str(p.relative_to(ROOT)) for p in service_modules()}
    assert {"catalog/services.py", "sales/services/orders.py", "core/transitions.py",
            "inventory/services/stock.py"} <= names  # fmt: skip


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("raise ValidationError('no')", "raises ValidationError"),
        ("raise forms.ValidationError({'x': ['no']})", "raises ValidationError"),
        ("raise ServiceError('thing.bad', 'Plain.')", "plain string"),
        ("raise ServiceError('thing.bad', f'Plain {x}.')", "plain string"),
        ("raise ServiceError('thing.bad', 'Plain %s.' % x)", "plain string"),
        ("raise ServiceError('thing.bad', message='Plain {}.'.format(x))", "plain string"),
        ("e = ServiceError('Thing bad', _('No.'))", "not dotted lower case"),
        ("raise ServiceError('thing.bad', _(f'No {x}.'))", "built string"),
        ("raise ServiceError('thing.bad', _('No %s.' % x))", "built string"),
    ],
)
def test_the_check_catches_each_kind_of_breach(source, expected):
    (problem,) = problems_in(source)
    assert expected in problem


def test_the_check_lets_translated_and_computed_messages_through():
    source = """
raise ServiceError("thing.bad", _("No."))
raise ServiceError("thing.bad", _("No %(x)s.") % {"x": x}, field="x")
raise ServiceError("thing.bad", refused or _("No."), status=CONFLICT)
raise ServiceError(code, message, fields=errors)
raise ServiceError("thing.bad", " ".join(errors), fields={"x": errors})
raise ValueError("not a service's refusal")
"""
    assert problems_in(source) == []


def test_services_raise_service_errors_with_translated_messages():
    problems = [p for path in service_modules() for p in problems_in(path.read_text(), str(path.relative_to(ROOT)))]
    assert problems == [], "\n".join(problems)
