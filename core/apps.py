from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    """The shared mechanisms every feature stands on: idempotency keys, state transitions, the outbox.

    Each has one home here and features use it instead of writing their own (docs/architecture.md).
    """

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The outbox's kick finds relay_outbox by name (core.tasks imports core.outbox, not the other way round),
        # so the task is registered in every process, not only in workers that autodiscover tasks.
        from . import tasks  # noqa: F401

        # Subscribers register when their module is imported: each app keeps them in <app>/subscribers.py, and
        # every process (web, worker, beat, tests) knows all of them before its first relay.
        autodiscover_modules("subscribers")
