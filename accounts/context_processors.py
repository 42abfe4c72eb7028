from .models import Role


def roles(request):
    """`Role` for templates, and `staff_layout`: pages shared by owners and supervisors sit in the owner's back
    office for the owner and in the supervisor's console for a supervisor."""
    user = getattr(request, "user", None)
    owner = getattr(user, "role", None) == Role.ADMIN_TENANT
    return {"Role": Role, "staff_layout": "layouts/backoffice.html" if owner else "layouts/supervisor.html"}
