"""Kitchen stations, what is routed to them, and the tickets they work from."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Station(models.Model):
    """A place in the kitchen or bar that prepares part of the orders (grill, bar, pastry)."""

    outlet = models.ForeignKey("business.Outlet", on_delete=models.PROTECT, related_name="stations")
    name = models.CharField(max_length=60)
    # Tickets older than these turn amber, then red, on the display.
    amber_after_minutes = models.PositiveSmallIntegerField(default=8)
    red_after_minutes = models.PositiveSmallIntegerField(default=15)
    sort_order = models.PositiveIntegerField(default=0)
    categories = models.ManyToManyField("catalog.Category", blank=True, related_name="+")
    products = models.ManyToManyField("catalog.Product", blank=True, related_name="+")

    class Meta:
        ordering = ["outlet", "sort_order", "name"]
        constraints = [models.UniqueConstraint(fields=["outlet", "name"], name="kitchen_station_unique_name")]

    def __str__(self) -> str:
        return self.name


# The till's order types as the kitchen shows them (kitchen keeps its own copy rather than import sales).
ORDER_TYPE_LABELS = {"takeaway": _("Takeaway"), "dine_in": _("Dine-in"), "delivery": _("Delivery")}


class Ticket(models.Model):
    """One station's part of one order (or of items added to it later)."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        BUMPED = "bumped", "Done"

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="tickets")
    order_id = models.BigIntegerField(db_index=True)  # sales.Order; kitchen never reaches into sales' tables
    order_number = models.PositiveIntegerField()
    order_type = models.CharField(max_length=10)
    table_label = models.CharField(max_length=20, blank=True)
    customer_name = models.CharField(max_length=80, blank=True)
    is_addon = models.BooleanField(default=False)
    is_rush = models.BooleanField(default=False)  # the till asked for it first: shown before older tickets
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Any change a display must show (a line done or voided, rush): part of the display's ETag.
    changed_at = models.DateTimeField(auto_now=True)
    bumped_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)  # the till gave the order to the guest

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"#{self.order_number} @ {self.station}"

    @property
    def order_type_label(self) -> str:
        return ORDER_TYPE_LABELS.get(self.order_type, self.order_type)


class TicketLine(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="lines")
    order_line_id = models.BigIntegerField()
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    modifiers = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=200, blank=True)
    is_done = models.BooleanField(default=False)
    is_voided = models.BooleanField(default=False)  # struck out with a VOID mark: do not make it

    class Meta:
        ordering = ["ticket", "pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"
