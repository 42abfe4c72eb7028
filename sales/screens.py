"""The till's live screen (kitchen/live.py): the ready strip of an outlet at one version, read once per version
and shared by the outlet's tills, whether they poll it or listen to a stream (kitchen/stream.py)."""

import json

from django.core.serializers.json import DjangoJSONEncoder

from kitchen.live import READY, Screen, live_shared, register_screen

from .selectors import orders_ready_to_hand_over

READY_STRIP = "ready"


def ready_body(screen: Screen, etag: str) -> bytes:
    """The JSON a full poll of /till/ready/ answers (the language does not matter: the till words it)."""
    ready = lambda: {"ready": orders_ready_to_hand_over(outlet_id=screen.outlet_id)}  # noqa: E731
    return live_shared("ready:" + etag.strip('"'), lambda: json.dumps(ready(), cls=DjangoJSONEncoder).encode())


register_screen(READY_STRIP, READY, ready_body)
