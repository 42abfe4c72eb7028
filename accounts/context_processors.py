from .models import Role

# The layout each role works in. Pages several roles share (stock pages, waste reports) extend `staff_layout`.
ROLE_LAYOUTS = {
    Role.ADMIN_TENANT: "layouts/backoffice.html",
    Role.SUPERVISOR: "layouts/supervisor.html",
    Role.CASHIER: "layouts/cashier.html",
    Role.KITCHEN: "layouts/kitchen.html",
}


def roles(request):
    """`Role` for templates, and `staff_layout`: a page shared by several roles sits in each one's own layout
    (the owner's back office, the supervisor's console, the till, the kitchen)."""
    role = getattr(getattr(request, "user", None), "role", None)
    return {"Role": Role, "staff_layout": ROLE_LAYOUTS.get(role, "layouts/supervisor.html")}
