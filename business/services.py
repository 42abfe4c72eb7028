from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Outlet


@transaction.atomic
def outlet_create(*, name: str, code: str, address: str = "", phone: str = "") -> Outlet:
    name, code = (name or "").strip(), (code or "").strip().upper()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["An outlet needs a name."]
    if not code:
        errors["code"] = ["An outlet needs a short code."]
    elif Outlet.objects.filter(code__iexact=code).exists():
        errors["code"] = [f"The code “{code}” is already used by another outlet."]
    if errors:
        raise ValidationError(errors)
    return Outlet.objects.create(name=name, code=code, address=address.strip(), phone=phone.strip())
