from django.apps import AppConfig


class MailerConfig(AppConfig):
    """Outgoing e-mail: an outbox of messages in each tenant's schema, sent by a beat job every minute.

    The lowest layer: every app that e-mails (accounts, inventory, sales, reports) queues through
    `mailer.services.mail_queue`; mailer imports none of them (docs/adr/0015-mail-outbox.md)."""

    name = "mailer"
    default_auto_field = "django.db.models.BigAutoField"
