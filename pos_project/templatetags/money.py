from django import template

from pos_project.money import format_money

register = template.Library()


@register.filter
def money(amount_minor, currency_code="IDR"):
    """{{ product.price_minor|money:request.tenant.currency }}"""
    if amount_minor is None or amount_minor == "":
        return ""
    return format_money(int(amount_minor), currency_code or "IDR")
