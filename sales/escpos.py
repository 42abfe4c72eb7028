"""A receipt as ESC/POS bytes, for network thermal printers (port 9100) that the browser cannot drive.

Plain text in the printer's code page with a few commands: initialise, centre/left, bold, feed and cut.
Width is in characters: 32 for 58 mm paper, 48 for 80 mm.
"""

from pos_project.money import format_money

from .models import Order

ESC, GS = b"\x1b", b"\x1d"
INIT = ESC + b"@"
CENTER, LEFT = ESC + b"a\x01", ESC + b"a\x00"
BOLD_ON, BOLD_OFF = ESC + b"E\x01", ESC + b"E\x00"
CUT = GS + b"V\x41\x03"  # feed 3 lines, then a partial cut


def _text(value: str) -> bytes:
    return value.encode("cp437", errors="replace")


def _row(left: str, right: str, width: int) -> str:
    room = width - len(right) - 1
    return f"{left[:room]:<{room}} {right}"


def receipt_escpos(order: Order, *, business_name: str, footer: str = "", width: int = 48) -> bytes:
    cur = order.currency
    out = [
        INIT,
        CENTER,
        BOLD_ON,
        _text(business_name[:width] + "\n"),
        BOLD_OFF,
        _text(order.outlet.name[:width] + "\n"),
    ]
    out += [LEFT, _text(f"#{order.number}  {order.created_at:%Y-%m-%d %H:%M}\n"), _text("-" * width + "\n")]
    for line in order.lines.all():
        if line.is_voided:
            continue
        out.append(_text(_row(f"{line.quantity} x {line.name}", format_money(line.gross_minor, cur), width) + "\n"))
        for modifier in line.modifiers:
            out.append(_text(f"  + {modifier['name']}"[:width] + "\n"))
    out.append(_text("-" * width + "\n"))
    out.append(_text(_row("Subtotal", format_money(order.subtotal_minor, cur), width) + "\n"))
    if order.discount_minor:
        out.append(_text(_row("Discount", "-" + format_money(order.discount_minor, cur), width) + "\n"))
    if order.service_charge_minor:
        out.append(_text(_row("Service", format_money(order.service_charge_minor, cur), width) + "\n"))
    for tax in order.tax_breakdown:
        label = f"{tax['name']} {tax['rate']}%" + (" incl." if tax["inclusive"] else "")
        out.append(_text(_row(label, format_money(tax["amount_minor"], cur), width) + "\n"))
    out += [BOLD_ON, _text(_row("TOTAL", format_money(order.total_minor, cur), width) + "\n"), BOLD_OFF]
    for payment in order.payments.all():
        out.append(_text(_row(payment.get_tender_display(), format_money(payment.amount_minor, cur), width) + "\n"))
        if payment.change_minor:
            out.append(_text(_row("Change", format_money(payment.change_minor, cur), width) + "\n"))
    if footer:
        out += [CENTER, _text("\n" + footer[: width * 3] + "\n")]
    out.append(CUT)
    return b"".join(out)
