from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared mechanisms every feature stands on: idempotency keys, state transitions, the outbox.

    Each has one home here and features use it instead of writing their own (docs/architecture.md).
    """

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"
