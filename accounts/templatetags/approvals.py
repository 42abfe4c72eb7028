"""`{% approvers_for "order.refund" as people %}`: who can approve an action with their PIN, for a page's form
(templates/accounts/_approver_fields.html), so nobody types a supervisor's username."""

from django import template

from accounts.access import LENT_WITH_PIN
from accounts.models import User
from accounts.selectors import approvers_with_pin

register = template.Library()


@register.simple_tag
def approvers_for(capability: str) -> list[User]:
    if capability not in LENT_WITH_PIN:
        raise template.TemplateSyntaxError(f"{capability!r} is not lent with a PIN (accounts.access.LENT_WITH_PIN)")
    return list(approvers_with_pin(capability))
