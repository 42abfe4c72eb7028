import factory
from django.utils import timezone

from mailer.models import Message


class MessageFactory(factory.django.DjangoModelFactory):
    """A queued message; pass status, attempts, last_error... for the other states."""

    class Meta:
        model = Message

    kind = Message.Kind.RECEIPT
    to = factory.Sequence(lambda n: [f"guest{n}@example.com"])
    subject = factory.Sequence(lambda n: f"Receipt #{n}")
    text = "Thank you"
    next_attempt_at = factory.LazyFunction(timezone.now)


class SentMessageFactory(MessageFactory):
    status = Message.Status.SENT
    attempts = 1
    next_attempt_at = None
    sent_at = factory.LazyFunction(timezone.now)
    last_attempt_at = factory.LazyFunction(timezone.now)


class FailedMessageFactory(MessageFactory):
    status = Message.Status.FAILED
    attempts = 12
    next_attempt_at = None
    last_error = "ConnectionRefusedError: [Errno 111] Connection refused"
    last_attempt_at = factory.LazyFunction(timezone.now)
