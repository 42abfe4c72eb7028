from django.apps import AppConfig


class TimeclockConfig(AppConfig):
    """The time clock: staff clock in and out and take breaks on a registered till with their PIN, and the owner
    reads hours per person per day (a timesheet page and its CSV). It stands on accounts (people, PINs, devices)
    and core (transitions, outbox); the till and the kitchen know nothing of it."""

    name = "timeclock"
    verbose_name = "Time clock"
    default_auto_field = "django.db.models.BigAutoField"
