from django.apps import AppConfig


class OutboxTestConfig(AppConfig):
    name = "core.tests.outbox_app"
    label = "outbox_test"
