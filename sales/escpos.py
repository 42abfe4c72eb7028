"""A receipt as ESC/POS bytes, for network thermal printers (port 9100) that the browser cannot drive.

Plain text in the printer's code page with a few commands: initialise, centre/left, bold, feed and cut.
Width is in characters: 32 for 58 mm paper, 48 for 80 mm. It says what the printable page says
(templates/sales/receipt.html): the time in the business's own time zone, and totals that add up on paper,
subtotal − discounts + service charge + taxes added = total, with included taxes shown after the total.
"""

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from django.utils.translation import gettext as _

from pos_project.money import format_money
from pos_project.parsing import clean_text

from .models import Order

ESC, GS = b"\x1b", b"\x1d"
INIT = ESC + b"@"
CENTER, LEFT = ESC + b"a\x01", ESC + b"a\x00"
BOLD_ON, BOLD_OFF = ESC + b"E\x01", ESC + b"E\x00"
CUT = GS + b"V\x41\x03"  # feed 3 lines, then a partial cut
_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _text(value: str) -> bytes:
    """Text to print, never a command: every control character but the line feed is dropped (ESC, GS, DLE…
    start printer commands; `ESC p` opens the cash drawer). Names are cleaned when they are typed
    (pos_project.parsing.clean_text); this holds for rows saved before that, too."""
    return _CONTROLS.sub("", value).encode("cp437", errors="replace")


def _name(value: str) -> str:
    """A name or label on one line of the receipt."""
    return clean_text(value)


def _row(left: str, right: str, width: int) -> str:
    room = width - len(right) - 1
    return f"{left[:room]:<{room}} {right}"


def _zone(name: str):
    """The business's time zone; an unknown name (never saved by the settings form) falls back to the site's."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def receipt_escpos(order: Order, *, business_name: str, time_zone: str, footer: str = "", width: int = 48) -> bytes:
    """`time_zone`: the business's (tenant_settings().timezone), in which the order's time is printed."""
    cur = order.currency

    def row(left: str, amount_minor: int, *, minus: bool = False) -> bytes:
        right = ("-" if minus else "") + format_money(amount_minor, cur)
        return _text(_row(left, right, width) + "\n")

    created = timezone.localtime(order.created_at, _zone(time_zone))
    out = [
        INIT,
        CENTER,
        BOLD_ON,
        _text(_name(business_name)[:width] + "\n"),
        BOLD_OFF,
        _text(_name(order.outlet.name)[:width] + "\n"),
    ]
    out += [LEFT, _text(f"#{order.number}  {created:%Y-%m-%d %H:%M}\n"), _text("-" * width + "\n")]
    for line in order.lines.all():
        if line.is_voided:
            continue
        out.append(row(f"{line.quantity} x {_name(line.name)}", line.gross_minor))
        for modifier in line.modifiers:
            out.append(_text(f"  + {_name(modifier['name'])}"[:width] + "\n"))
        if line.discount_minor:
            out.append(row("  " + _("Discount"), line.discount_minor, minus=True))
    out.append(_text("-" * width + "\n"))
    out.append(row(_("Subtotal"), order.subtotal_minor))
    if order.discount_minor:
        out.append(row(_("Discounts"), order.discount_minor, minus=True))
    if order.service_charge_minor:
        out.append(row(_("Service charge"), order.service_charge_minor))
    for tax in order.tax_breakdown:
        if not tax["inclusive"]:
            out.append(row(f"{_name(tax['name'])} {tax['rate']}%", tax["amount_minor"]))
    out += [BOLD_ON, row(_("TOTAL"), order.total_minor), BOLD_OFF]
    for tax in order.tax_breakdown:
        if tax["inclusive"]:
            out.append(row(_("Includes %(name)s %(rate)s%%") % {"name": _name(tax["name"]), "rate": tax["rate"]},
                           tax["amount_minor"]))  # fmt: skip
    for payment in order.payments.all():
        label = payment.get_tender_display() + (f" ({_name(payment.reference)})" if payment.reference else "")
        out.append(row(label, payment.amount_minor + payment.rounding_minor))
        if payment.tip_minor:
            out.append(row("  " + _("Tip"), payment.tip_minor))
        if payment.tendered_minor:
            out.append(row("  " + _("Cash given"), payment.tendered_minor))
            out.append(row("  " + _("Change"), payment.change_minor))
    if footer:
        out += [CENTER, _text("\n" + footer[: width * 3] + "\n")]
    out.append(CUT)
    return b"".join(out)
