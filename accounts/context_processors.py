from .models import Role


def roles(request):
    return {"Role": Role}
