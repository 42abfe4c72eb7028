"""The live stream service (docs/adr/0018): server-sent events for the screens that show what changes elsewhere
(kitchen displays, the expo, the tills' ready strip), so they listen instead of polling every 1.5 s.

    uvicorn kitchen.stream:app --port 8001 --no-access-log --lifespan on --timeout-graceful-shutdown 2

One process holds every open screen of every tenant. A stream is opened with the signed token its page or poll
gave (kitchen/live.py, `live_stream_url`): the token names the schema, the outlet and what the screen shows, so
opening one needs no session or database. The process listens on one Redis pattern subscription; a committed
change publishes its outlet's new version, and each kind of screen watching that outlet is rendered once (in a
thread, in its schema, shared per version with the polls through `live_shared`) and sent to all of its streams.
Renders of one screen never overlap and come at most every 1.5 s (RENDER_GAP): changes that arrive meanwhile
make one more render after it.

A stream ends when its token lapses, when Redis cannot be reached or a render fails; the screen then polls (it
always can, and catches up from its first full answer) and opens a new stream with the token that answer gives.
"""

import asyncio
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings.production")
django.setup()

import redis.asyncio as aioredis  # noqa: E402 - after django.setup(), as every import of the project's code
from django.conf import settings  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from django.utils import translation  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from .live import PUSH_PREFIX, STREAM_PATH, Screen, screen_from_token, screen_state  # noqa: E402

logger = logging.getLogger(__name__)

# A ping event now and then keeps proxies from closing an idle stream and tells the screen its stream still works
# (a screen that hears nothing for PING_SECONDS * 2.5 takes it as lost: static/js/live.js).
PING_SECONDS = 10
RENDER_THREADS = 2  # renders are short queries and a template; two overlap one's wait on PostgreSQL
# At most one render of a screen per 1.5 s, the polling period: at a busy evening's pace an outlet's tickets change
# several times a second, and rendering each change at once cost more than the polls it replaced (docs/adr/0018). The
# first change after a quiet spell renders at once; changes within the gap are folded into one render.
RENDER_GAP = 1.5
HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # nginx passes each event on at once
    # The token is the pass, no cookie is sent: a page on another port of the same host may listen.
    (b"access-control-allow-origin", b"*"),
]


def render(screen: Screen) -> tuple[str, bytes] | None:
    """The screen's state now, as a poll would answer it (run in a render thread)."""
    close_old_connections()
    try:
        with schema_context(screen.schema), translation.override(screen.language or settings.LANGUAGE_CODE):
            return screen_state(screen)
    finally:
        close_old_connections()


def event(etag: str, body: bytes) -> bytes:
    lines = body.decode().split("\n")
    return ("event: state\nid: " + etag + "\n" + "".join(f"data: {line}\n" for line in lines) + "\n").encode()


class Hub:
    """The open streams of this process by screen, and the one Redis subscription that wakes them."""

    def __init__(self) -> None:
        self.streams: dict[Screen, set[asyncio.Queue]] = {}
        self.by_channel: dict[str, set[Screen]] = {}
        self.rendering: set[Screen] = set()
        self.dirty: set[Screen] = set()
        self.rendered_at: dict[Screen, float] = {}
        self.executor = ThreadPoolExecutor(RENDER_THREADS, thread_name_prefix="live-render")
        self.listening = asyncio.Event()
        self.listener: asyncio.Task | None = None

    async def state(self, screen: Screen) -> tuple[str, bytes] | None:
        try:
            return await asyncio.get_running_loop().run_in_executor(self.executor, render, screen)
        except Exception:
            logger.exception("live screen not rendered: %s", screen)
            return None

    def open(self, screen: Screen) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=1)
        self.streams.setdefault(screen, set()).add(queue)
        self.by_channel.setdefault(screen.channel, set()).add(screen)
        return queue

    def close(self, screen: Screen, queue: asyncio.Queue) -> None:
        queues = self.streams.get(screen, set())
        queues.discard(queue)
        if not queues:
            self.streams.pop(screen, None)
            self.rendered_at.pop(screen, None)
            screens = self.by_channel.get(screen.channel, set())
            screens.discard(screen)
            if not screens:
                self.by_channel.pop(screen.channel, None)

    def send(self, screen: Screen, state: tuple[str, bytes] | None) -> None:
        """Hand the state to each stream of the screen; one that has not written the last one yet gets only this
        (states are whole, never diffs). None ends the streams: their screens fall back to polling."""
        for queue in self.streams.get(screen, ()):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(state)

    def changed(self, channel: str) -> None:
        for screen in list(self.by_channel.get(channel, ())):
            if screen in self.rendering:
                self.dirty.add(screen)
            else:
                self.rendering.add(screen)
                asyncio.create_task(self.refresh(screen))

    async def refresh(self, screen: Screen) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                if (wait := self.rendered_at.get(screen, 0.0) + RENDER_GAP - loop.time()) > 0:
                    await asyncio.sleep(wait)
                self.dirty.discard(screen)
                self.rendered_at[screen] = loop.time()
                self.send(screen, await self.state(screen))
                if screen not in self.dirty:
                    break
        finally:
            self.rendering.discard(screen)

    async def listen(self) -> None:
        """Follow every outlet's published versions; when Redis goes, end every stream (their screens poll, which
        works without Redis) and try again each second."""
        while True:
            client = aioredis.from_url(settings.REDIS_URL, socket_connect_timeout=1, health_check_interval=PING_SECONDS)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.psubscribe(f"{PUSH_PREFIX}:*")
                    self.listening.set()
                    async for message in pubsub.listen():
                        if message["type"] == "pmessage":
                            self.changed(message["channel"].decode())
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("live stream service lost Redis", exc_info=True)
            finally:
                await client.aclose()
            self.listening.clear()
            for screen in list(self.streams):
                self.send(screen, None)
            await asyncio.sleep(1)


hub = Hub()


async def _respond(send, status: int, text: str) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": text.encode()})


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            hub.listener = asyncio.create_task(hub.listen())
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if hub.listener:
                hub.listener.cancel()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    if scope["type"] != "http":
        return None
    if scope["path"] != STREAM_PATH or scope["method"] != "GET":
        return await _respond(send, 404, "Not found")
    token = parse_qs(scope["query_string"].decode()).get("t", [""])[0]
    named = screen_from_token(token)
    if named is None:
        return await _respond(send, 403, "This screen's pass is not valid (any more): reload the page.")
    if not hub.listening.is_set():
        return await _respond(send, 503, "Live updates are unavailable: the screen polls meanwhile.")
    screen, ends_at = named
    queue = hub.open(screen)
    gone = asyncio.ensure_future(_disconnected(receive))
    try:
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        state = await hub.state(screen)  # what the screen shows now: it may have changed since its token
        while state is not None and not gone.done():
            await send({"type": "http.response.body", "body": event(*state), "more_body": True})
            state = await _next(queue, gone, min(PING_SECONDS, ends_at - time.time()))
            while state == "ping":
                if time.time() >= ends_at:
                    state = None
                    break
                await send({"type": "http.response.body", "body": b"event: ping\ndata:\n\n", "more_body": True})
                state = await _next(queue, gone, min(PING_SECONDS, ends_at - time.time()))
        if not gone.done():
            await send({"type": "http.response.body", "body": b""})
    except OSError:
        pass  # the screen went away mid-write
    finally:
        gone.cancel()
        hub.close(screen, queue)
    return None


async def _disconnected(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _next(queue: asyncio.Queue, gone: asyncio.Future, seconds: float):
    """The next state for the stream, "ping" when none came in `seconds`, None when the stream must end."""
    getting = asyncio.ensure_future(queue.get())
    done, _ = await asyncio.wait({getting, gone}, timeout=max(seconds, 0), return_when=asyncio.FIRST_COMPLETED)
    if getting in done:
        return getting.result()
    getting.cancel()
    return None if gone in done else "ping"
