"""What the stock API's views share: the caller's outlets, query parameters, and the shapes of quantities and lines.

Nothing here decides a stock rule: quantities are taken as text and read by the services (which report every bad
line by its number, as on the pages), outlets are narrowed with accounts.access exactly as the pages' choices are.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.access import outlet_allowed
from accounts.models import User
from business.models import Outlet
from business.selectors import outlets_for, tenant_settings
from core.api import ApiView
from pos_project import parsing
from pos_project.errors import NOT_FOUND, ServiceError

from ..services.stock_lines import StockLineInput

ID_MAX = parsing.ID_MAX


def outlet_of(user: User, outlet_id: int | None, *, field: str = "outlet") -> Outlet:
    """An outlet the caller works at (closed ones too, so the service can say why it refuses them). Another
    outlet is answered as one that does not exist: a 400 on the field, as the pages' choice lists do."""
    outlet = outlets_for(user, active_only=False).filter(pk=outlet_id).first() if outlet_id else None
    if outlet is None:
        raise ServiceError("outlet.unknown", _("There is no such outlet."), field=field)
    return outlet


def query_id(request, name: str) -> int | None:
    """An id from the query string, or None; anything that is not one is a 400 on the parameter."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    found = parsing.id_or_none(value)
    if found is None:
        raise ServiceError("request.invalid", _("Give an id (a whole number)."), field=name)
    return found


def query_outlet(request, name: str = "outlet") -> int | None:
    """`?outlet=` as an outlet the caller works at, or None. Another outlet is refused as one that does not exist
    (400 on the parameter), as the pages' filters do."""
    outlet_id = query_id(request, name)
    if outlet_id is not None and not (
        outlet_allowed(request.user, outlet_id) and Outlet.objects.filter(pk=outlet_id).exists()
    ):
        raise ServiceError("outlet.unknown", _("There is no such outlet."), field=name)
    return outlet_id


def query_bool(request, name: str) -> bool:
    value = (request.query_params.get(name) or "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ServiceError("request.invalid", _("Give true or false."), field=name)


def query_choice(request, name: str, choices) -> str:
    value = request.query_params.get(name) or ""
    if value and value not in choices:
        raise ServiceError(
            "request.invalid", _("Give one of: %(values)s.") % {"values": ", ".join(choices)}, field=name
        )
    return value


def not_found() -> ServiceError:
    """One answer for "does not exist" and "not at your outlets" (STYLE: someone else's is a 404 like none)."""
    return ServiceError("not_found", _("Not found."), status=NOT_FOUND)


def currency() -> str:
    return tenant_settings().currency


class StockApiView(ApiView):
    """The base of the stock API's views. A stock document's service reports a batch's problems all at once, by
    line ("Line 3: no stock item with SKU …"), apart from any one field: the shared error body
    (pos_project.errors.error_body) carries them in its message after the summary, as the pages show them."""


# --- Shapes -------------------------------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": r"^-?\d{1,11}(\.\d{1,3})?$", "example": "2.5"})
class QuantityField(serializers.CharField):
    """A quantity in the item's base unit as a decimal string ("2.5", "-3"); a JSON number is taken too. Read by the
    stock services (parse_quantity), which say what is wrong with it and on which line."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("trim_whitespace", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, float):
            data = repr(data)
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.STR)
class DecimalText(serializers.Field):
    """A stored Decimal as text with its stored places ("12.500"): exact, never a float."""

    def __init__(self, *, places: int | None = None, **kwargs):
        kwargs["read_only"] = True
        self.places = places
        super().__init__(**kwargs)

    def to_representation(self, value):
        if value is None:
            return None
        return f"{value:.{self.places}f}" if self.places is not None else f"{value:f}"


class LineInputSerializer(serializers.Serializer):
    """One line of an adjustment or a transfer: the item by id or by SKU, and a quantity."""

    item = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX, help_text="A stock item's id.")
    sku = serializers.CharField(required=False, max_length=60, help_text="…or its SKU.")
    quantity = QuantityField()

    def validate(self, attrs):
        if ("item" in attrs) == ("sku" in attrs):
            raise serializers.ValidationError({"item": [_("Give the item's id or its SKU (one of them).")]})
        return attrs


def line_inputs(lines: list[dict]) -> list[StockLineInput]:
    """The lines as the services read them, numbered as the client sent them (1, 2, ...)."""
    return [
        StockLineInput(item=line["item"] if "item" in line else line["sku"], quantity=line["quantity"], line_number=n)
        for n, line in enumerate(lines, start=1)
    ]


def clean_note(value: str) -> str:
    return parsing.clean_text(value, multiline=True)
