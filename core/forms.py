"""Form pieces of the shared rules, for every app's HTML views above core."""

import uuid

from django import forms

from pos_project.forms import TextField

from .idempotency import KEY_MAX


class SubmissionKeyField(TextField):
    """The hidden key of one showing of a form: the same form sent twice (a double tap, the reload of the page
    that answered it) carries the same key, so the service's keyed write (core.idempotency) does the work once.
    Each form shown gets a new key."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("required", False)  # a form from before keys still works, unprotected
        kwargs.setdefault("max_length", KEY_MAX)
        kwargs.setdefault("initial", lambda: uuid.uuid4().hex)
        super().__init__(**kwargs)
