"""Kitchen tickets in the JSON API, read-only (`/api/v1/kitchen/tickets/`, docs/api.md): what each station has to
make and what it has made, for a display or a dashboard of one's own. Changing a ticket (bump, recall) stays on
the kitchen display. A ticket's `updated_at` is the moment anything on it last changed (a line done or voided,
rush, bumped), so `?updated_since=` picks up every change."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.access import outlet_allowed
from core.api import ApiView
from pos_project import parsing
from pos_project.errors import NOT_FOUND, ServiceError

from . import selectors
from .models import Ticket

Status = Ticket.Status


class TicketLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_line_id = serializers.IntegerField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    modifiers = serializers.ListField(child=serializers.CharField())
    note = serializers.CharField()
    is_done = serializers.BooleanField()
    is_voided = serializers.BooleanField()


class TicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    outlet = serializers.IntegerField(source="station.outlet_id")
    station = serializers.IntegerField(source="station_id")
    station_name = serializers.CharField(source="station.name")
    order_id = serializers.IntegerField()
    order_number = serializers.IntegerField()
    order_type = serializers.CharField()
    table_label = serializers.CharField()
    customer_name = serializers.CharField()
    is_addon = serializers.BooleanField()
    is_rush = serializers.BooleanField()
    status = serializers.ChoiceField(choices=Status.choices, help_text="new: to make; bumped: done.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(source="changed_at")
    bumped_at = serializers.DateTimeField(allow_null=True)
    handed_over_at = serializers.DateTimeField(allow_null=True)
    lines = TicketLineSerializer(many=True, source="lines.all")


EXAMPLE = {
    "id": 77, "outlet": 1, "station": 2, "station_name": "Grill", "order_id": 5521, "order_number": 42,
    "order_type": "dine_in", "table_label": "T4", "customer_name": "", "is_addon": False, "is_rush": False,
    "status": "new", "created_at": "2026-12-01T08:00:00Z", "updated_at": "2026-12-01T08:01:00Z", "bumped_at": None,
    "handed_over_at": None,
    "lines": [{"id": 120, "order_line_id": 8810, "name": "Nasi goreng", "quantity": 2, "modifiers": ["extra egg"],
               "note": "", "is_done": False, "is_voided": False}],
}  # fmt: skip
_examples = [OpenApiExample("On the grill", value=EXAMPLE, response_only=True)]


def _query_id(request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    found = parsing.id_or_none(value)
    if found is None:
        raise ServiceError("request.invalid", _("Give an id (a whole number)."), field=name)
    return found


class _TicketView(ApiView):
    api_resource = "kitchen_tickets"
    api_capability_read = "kitchen.use"
    api_capability_write = "kitchen.use"  # nothing is written here
    serializer_class = TicketSerializer


class TicketList(_TicketView):
    api_list = True
    updated_since_field = "changed_at"
    ordering = ("id",)
    ordering_fields = ("id",)

    @extend_schema(
        summary="List kitchen tickets at the outlets you work at",
        parameters=[
            OpenApiParameter("outlet", int),
            OpenApiParameter("station", int),
            OpenApiParameter("status", str, enum=Status.values),
        ],
        examples=_examples,
    )
    def get(self, request):
        """Kitchen tickets at the outlets you work at, oldest first, with their lines; filter by outlet,
        station and state; sync with `updated_since`."""
        status = request.query_params.get("status") or ""
        if status and status not in Status.values:
            raise ServiceError("request.invalid", _("Give one of: %(values)s.") % {"values": ", ".join(Status.values)},
                               field="status")  # fmt: skip
        tickets = selectors.ticket_list(
            outlet_id=_query_id(request, "outlet"),
            station_id=_query_id(request, "station"),
            status=status,
            user=request.user,
        )
        return self.paginated(tickets)


class TicketDetail(_TicketView):
    @extend_schema(summary="Read a kitchen ticket", examples=_examples)
    def get(self, request, pk: int):
        """One kitchen ticket with its lines."""
        ticket = selectors.ticket_list().filter(pk=pk).first()
        if ticket is None or not outlet_allowed(request.user, ticket.station.outlet_id):
            raise ServiceError("not_found", _("Not found."), status=NOT_FOUND)
        return Response(TicketSerializer(ticket).data)


urlpatterns = [
    path("kitchen/tickets/", TicketList.as_view(), name="ticket-list"),
    path("kitchen/tickets/<int:pk>/", TicketDetail.as_view(), name="ticket-detail"),
]
