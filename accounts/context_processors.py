from .access import Capabilities, layout_for


def access(request):
    """`can` for templates (`{% if can.order_refund %}`), and `staff_layout`: a page several roles share sits
    in each one's own layout (the owner's back office, the supervisor's console, the till, the kitchen)."""
    user = getattr(request, "user", None)
    return {"can": Capabilities(user), "staff_layout": layout_for(user)}
