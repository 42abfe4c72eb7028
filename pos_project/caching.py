"""Cache coherence, one home: forgetting cached copies of rows when the rows change.

Several hot paths keep a copy of rows that rarely change (the tenant by host, the signed-in user, the business
settings, the till's open shift). Each forgets its copy the same way: on every save or delete of the rows behind
it, whoever makes it (`forget_on_write`), and both at once and again when the change commits (`cache_forget`),
because a request reading the old rows meanwhile may have cached them again. Knows no app.
"""

from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save


def cache_forget(*keys: str) -> None:
    """Delete the keys now and again when the surrounding transaction commits (at once outside one)."""
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


def forget_on_write(name: str, watched: Iterable[type[models.Model]], forget: Callable[[models.Model], None]) -> None:
    """Call `forget(instance)` on every save or delete of each model in `watched` (`name`: what is forgotten,
    unique per copy, for the signals' dispatch ids). Signals do not see `QuerySet.update()`: the services that
    change these rows save them."""

    def receiver(sender, instance, **kwargs):
        forget(instance)

    for model in watched:
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=f"{name}_save_{model.__name__}")
        post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=f"{name}_delete_{model.__name__}")
