from django import template

from pos_project.money import format_money

register = template.Library()


@register.filter
def money(amount_minor, currency_code):
    """`{{ product.price_minor|money:currency }}` (the tenant's, from the context processor) or
    `{{ line.net_minor|money:order.currency }}` (what the order was sold in). The currency is never guessed."""
    if amount_minor is None or amount_minor == "":
        return ""
    return format_money(int(amount_minor), str(currency_code))


@register.filter
def duration_mmss(value) -> str:
    """A timedelta as minutes and seconds ("7:05"), for preparation times."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    return f"{seconds // 60}:{seconds % 60:02d}"
