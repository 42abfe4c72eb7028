"""What inventory e-mails, in words: the supplier's purchase order."""

from pos_project.money import format_money


def purchase_order_text(document, *, tenant_name: str, currency: str) -> str:
    """The plain-text body: the same facts as the HTML, aligned for a mail client's fixed font."""
    po = document.purchase_order
    rows = [
        f"Purchase order {po} from {tenant_name}",
        f"To: {po.supplier.name}" + (f" (attn. {po.supplier.contact_name})" if po.supplier.contact_name else ""),
        f"Deliver to: {po.outlet.name}",
    ]
    if po.expected_on:
        rows.append(f"Expected on: {po.expected_on.isoformat()}")
    rows.append("")
    for line in document.lines:
        rows.append(
            f"{line.quantity} {line.item.purchase_unit} × {line.item.name} ({line.item.sku})"
            f" @ {format_money(line.unit_cost_minor, currency)} = {format_money(line.total_minor, currency)}"
        )
    rows += ["", f"Total: {format_money(document.total_minor, currency)}"]
    if po.note:
        rows += ["", po.note]
    return "\n".join(rows) + "\n"
