from dataclasses import dataclass

from django import template
from django.urls import reverse

from accounts.access import can
from accounts.navigation import NAVIGATION, is_active

register = template.Library()


@dataclass(frozen=True)
class Link:
    href: str
    label: str
    active: bool
    accesskey: str
    download: bool
    separator_before: bool


def _resolve(path: str, context):
    try:
        return template.Variable(path).resolve(context)
    except template.VariableDoesNotExist:
        return None


@register.simple_tag(takes_context=True)
def navigation(context, name: str) -> list[Link]:
    """The links of one navigation (accounts/navigation.py) this user may follow, resolved for this page:
    `{% navigation "cashier" as links %}`."""
    request = context.get("request")
    user = context.get("user")
    match = getattr(request, "resolver_match", None)
    namespace, url_name = (match.namespace, match.url_name) if match else ("", "")
    links = []
    for item in NAVIGATION[name]:
        if not can(user, item.capability):
            continue
        if item.requires and not _resolve(item.requires, context):
            continue
        args = [_resolve(arg, context) for arg in item.args]
        links.append(
            Link(
                href=reverse(item.url, args=args),
                label=str(item.label),
                active=is_active(item, namespace, url_name or ""),
                accesskey=item.accesskey,
                download=item.download,
                separator_before=item.separator_before,
            )
        )
    return links
