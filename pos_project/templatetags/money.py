from django import template

from pos_project.money import format_money

register = template.Library()


@register.filter
def money(amount_minor, currency_code="IDR"):
    """{{ product.price_minor|money:request.tenant.currency }}"""
    if amount_minor is None or amount_minor == "":
        return ""
    return format_money(int(amount_minor), currency_code or "IDR")


@register.filter
def duration_mmss(value) -> str:
    """A timedelta as minutes and seconds ("7:05"), for preparation times."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    return f"{seconds // 60}:{seconds % 60:02d}"
