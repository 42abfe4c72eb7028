from django import template

from business.selectors import tenant_settings

register = template.Library()


@register.simple_tag
def idle_lock_seconds() -> int:
    """How long the till may stay untouched before it locks itself (0: never), for the cashier's layout."""
    return int(tenant_settings().idle_lock_minutes) * 60
