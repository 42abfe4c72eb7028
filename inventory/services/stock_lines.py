"""Reading the (item, quantity) lines a person submits on a stock document: adjustments and transfers.

Every bad line is reported, by the line number the person sees, and nothing is taken until all are good."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from ..models import StockItem
from ..quantities import parse_quantity


@dataclass(frozen=True)
class StockLineInput:
    """One line as submitted. `item` is a stock item's pk (a form's select) or its SKU (typed or pasted);
    `error` carries a problem found while reading the line (a CSV row with the wrong number of fields), so it
    is reported with all the others."""

    item: int | str | None
    quantity: str | Decimal
    line_number: int | None = None
    error: str = ""


def lines_normalise(lines: Sequence[StockLineInput | tuple]) -> list[StockLineInput]:
    """(item, quantity) pairs or inputs, numbered 1.. where the caller gave no line numbers."""
    out = []
    for index, line in enumerate(lines, start=1):
        if not isinstance(line, StockLineInput):
            item, quantity = line
            line = StockLineInput(item=item, quantity=quantity)
        if line.line_number is None:
            line = StockLineInput(item=line.item, quantity=line.quantity, line_number=index, error=line.error)
        out.append(line)
    return out


def _items_named(lines: list[StockLineInput]) -> tuple[dict[int, StockItem], dict[str, StockItem]]:
    """Every item the lines name, by pk and by SKU, in one query."""
    ids = {line.item for line in lines if isinstance(line.item, int)}
    skus = {line.item.strip() for line in lines if isinstance(line.item, str) and line.item.strip()}
    if not ids and not skus:
        return {}, {}
    items = list(StockItem.objects.filter(Q(pk__in=ids) | Q(sku__in=skus)))
    return {i.pk: i for i in items}, {i.sku: i for i in items}


def _item_of(line: StockLineInput, by_id: dict, by_sku: dict, problems: list[str]) -> StockItem | None:
    if isinstance(line.item, int):
        item = by_id.get(line.item)
        if item is None:
            problems.append(_("unknown stock item"))
        return item
    sku = (line.item or "").strip()
    item = by_sku.get(sku)
    if item is None:
        problems.append(_("no stock item with SKU “%(sku)s”") % {"sku": sku} if sku else _("choose an item"))
    return item


def lines_check(
    lines: list[StockLineInput], *, allow_negative: bool = False
) -> tuple[list[tuple[int, StockItem, Decimal]], list[str]]:
    """(line number, item, quantity) per good line, and one message per bad line: unknown or archived item,
    an item already on an earlier line, a quantity that is not a number, zero, or (unless allowed) negative."""
    by_id, by_sku = _items_named(lines)
    labelled = len(lines) > 1 or (lines and lines[0].line_number != 1)  # "Line 1:" on a one-line form is noise
    errors: list[str] = []
    seen: dict[int, int] = {}
    good = []
    for line in lines:
        problems = [line.error] if line.error else []
        item = quantity = None
        if not line.error:
            item = _item_of(line, by_id, by_sku, problems)
            if item is not None and item.is_archived:
                problems.append(_("%(name)s (%(sku)s) is archived") % {"name": item.name, "sku": item.sku})
                item = None
            if item is not None and item.pk in seen:
                problems.append(
                    _("%(name)s (%(sku)s) is already on line %(line)s")
                    % {"name": item.name, "sku": item.sku, "line": seen[item.pk]}
                )
                item = None
            elif item is not None:
                seen[item.pk] = line.line_number
            try:
                quantity = parse_quantity(line.quantity, allow_negative=allow_negative)
            except ValidationError as exc:
                problems.extend(m.rstrip(".") for m in exc.messages)
        if problems:
            text = "; ".join(problems)
            text = text[0].upper() + text[1:]
            if labelled:
                errors.append(_("Line %(number)s: %(problems)s.") % {"number": line.line_number, "problems": text})
            else:
                errors.append(_("%(problems)s.") % {"problems": text})
        else:
            good.append((line.line_number, item, quantity))
    return good, errors
