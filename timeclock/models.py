from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TimeCard(models.Model):
    """One stretch of work: from clocking in to clocking out, with its breaks. A person has at most one card
    that is not closed. The hours worked are the card's length less its breaks (timeclock.selectors)."""

    class Status(models.TextChoices):
        WORKING = "working", _("Working")
        ON_BREAK = "on_break", _("On a break")
        CLOSED = "closed", _("Clocked out")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WORKING)
    clock_in_at = models.DateTimeField()
    clock_out_at = models.DateTimeField(null=True, blank=True)
    # The till it was punched on (its name when it was: a removed device still reads right on old cards).
    device_name = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["-clock_in_at", "-id"]
        indexes = [models.Index(fields=["clock_in_at"], name="timeclock_card_in_at")]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=~Q(status="closed"), name="timeclock_one_open_card"),
            models.CheckConstraint(
                condition=Q(clock_out_at__isnull=True) | Q(clock_out_at__gte=models.F("clock_in_at")),
                name="timeclock_out_after_in",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.clock_in_at:%Y-%m-%d %H:%M}"


class TimeBreak(models.Model):
    """A break within a card; at most one is open at a time."""

    card = models.ForeignKey(TimeCard, on_delete=models.CASCADE, related_name="breaks")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["card"], condition=Q(ended_at__isnull=True), name="timeclock_one_open_break"
            )
        ]

    def __str__(self) -> str:
        return f"{self.card} break {self.started_at:%H:%M}"
