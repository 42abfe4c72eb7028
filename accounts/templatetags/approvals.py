"""`{% approvers_for "order.refund" as people %}`: who can approve an action with their PIN, for a page's form
(templates/accounts/_approver_fields.html), so nobody types a supervisor's username."""

from django import template

from accounts.access import LENT_WITH_PIN
from accounts.models import User
from accounts.selectors import approvers_for as approvers_selector

register = template.Library()


@register.simple_tag(takes_context=True)
def approvers_for(context, capability: str) -> list[User]:
    """Not the signed-in person when the business wants a second person to approve."""
    if capability not in LENT_WITH_PIN:
        raise template.TemplateSyntaxError(f"{capability!r} is not lent with a PIN (accounts.access.LENT_WITH_PIN)")
    request = context.get("request")
    return list(approvers_selector(capability, asking=getattr(request, "user", None)))
