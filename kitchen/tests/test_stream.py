"""The live stream service (kitchen/stream.py, docs/adr/0018), run as it runs in production: uvicorn in a process
of its own on the test database and Redis, its streams read over HTTP. These tests commit (`committed_db`): the
service reads what the tests' changes committed, from its own connection."""

import http.client
import queue
import re
import threading
import time
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import RequestFactory
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet
from kitchen.live import KITCHEN, READY, STREAM_SECONDS, live_changed, live_stream_url
from kitchen.models import Station, Ticket
from kitchen.services import KitchenLine, SentOrder, ticket_bump, tickets_create
from pos_project.testing.processes import start_stream_service, stop

pytestmark = pytest.mark.xdist_group("stream")


@pytest.fixture(scope="module")
def service():
    process, port = start_stream_service()
    yield port
    stop(process)


@pytest.fixture
def push(service, settings):
    """This site with the stream service beside it: pages and polls name streams, changes are published."""
    settings.LIVE_STREAM_PORT = str(service)
    return service


@pytest.fixture
def bar(committed_db):
    alpha, beta = committed_db
    with tenant_context(alpha.tenant):
        station = Station.objects.create(outlet=Outlet.objects.get(code="MAIN"), name="Stream bar")
    yield alpha, beta, station
    with tenant_context(alpha.tenant):
        Ticket.objects.filter(station=station).delete()
        station.delete()
        cache.delete_pattern("live:*")


class Stream:
    """A stream as a screen reads it: its states one by one, each as (event, id, data), read in a thread."""

    def __init__(self, port: int, url: str):
        split = urlsplit(url)
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.connection.request("GET", f"{split.path}?{split.query}")
        self.response = self.connection.getresponse()
        self.states: queue.Queue = queue.Queue()
        if self.response.status == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        fields: dict[str, list[str]] = {}
        try:
            for raw in iter(self.response.readline, b""):  # the body is chunked: read through the response
                line = raw.decode().rstrip("\n")
                if line == "" and fields:
                    if fields["event"] != ["ping"]:  # the service's pings are skipped
                        self.states.put((fields["event"][0], fields["id"][0], "\n".join(fields["data"])))
                    fields = {}
                elif line:
                    name, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    fields.setdefault(name, []).append(value)
        except (OSError, ValueError, AttributeError):  # closed by the test
            pass
        self.states.put(None)

    def next(self, seconds: float = 2.0) -> tuple[str, str, str] | None:
        """The next state within `seconds`; None when the stream ended."""
        try:
            return self.states.get(timeout=seconds)
        except queue.Empty:
            raise TimeoutError("no state within the time") from None

    def close(self) -> None:
        self.connection.close()


def _send(alpha, number: int, station: Station) -> Ticket:
    with tenant_context(alpha.tenant):
        sent = SentOrder(outlet_id=station.outlet_id, order_id=800_000 + number, order_number=number,
                         order_type="takeaway")  # fmt: skip
        return tickets_create(order=sent, lines=[KitchenLine(1, None, None, "Stream tea", 1)])[0]


def _page_stream(client, path: str) -> str:
    html = client.get(path).content.decode()
    return re.search(r'data-stream-url="([^"]+)"', html)[1].replace("&amp;", "&")


def test_a_display_is_sent_its_tickets_at_once_and_each_committed_change_within_two_seconds(push, bar):
    alpha, _, station = bar
    display = alpha.client(Role.KITCHEN)
    # all the outlet's stations: the ticket is routed by the outlet's stations, which other tests may have added to
    url = _page_stream(display, "/kitchen/")
    assert url.startswith(f"http://{alpha.host}:{push}/live/stream/?t=")
    stream = Stream(push, url)
    try:
        assert stream.response.status == 200
        assert stream.response.getheader("Content-Type").startswith("text/event-stream")
        kind, etag, first = stream.next()
        assert kind == "state" and etag.startswith(f'"lv-k{station.outlet_id}-') and "Stream tea" not in first
        started = time.monotonic()
        ticket = _send(alpha, 1, station)
        kind, made, shown = stream.next()
        assert time.monotonic() - started < 2.0 and "Stream tea" in shown and made != etag
        # what the stream sent is what a poll answers now, under the same ETag
        poll = display.get("/kitchen/poll/")
        assert poll["ETag"] == made and poll.content.decode() == shown
        with tenant_context(alpha.tenant):
            ticket_bump(ticket=ticket, actor=alpha.users[Role.KITCHEN])
        _, bumped, shown = stream.next()
        assert bumped != made and f'data-ticket-id="{ticket.pk}"' not in shown.split("kds__recent")[0]
    finally:
        stream.close()


def test_the_tills_ready_strip_is_streamed_and_only_its_own_topic_wakes_it(push, bar):
    alpha, _, station = bar
    with tenant_context(alpha.tenant):
        url = live_stream_url(RequestFactory().get("/", HTTP_HOST=alpha.host), "ready", station.outlet_id)
    stream = Stream(push, url)
    try:
        _, etag, body = stream.next()
        assert etag.startswith(f'"lv-r{station.outlet_id}-') and body == '{"ready": []}'
        with tenant_context(alpha.tenant):
            live_changed(station.outlet_id, KITCHEN)  # a ticket made or a line ticked: not the strip's business
        with pytest.raises(TimeoutError):
            stream.next(1.0)
        with tenant_context(alpha.tenant):
            live_changed(station.outlet_id, READY)
        _, moved, body = stream.next()
        assert moved != etag and body == '{"ready": []}'
    finally:
        stream.close()


def test_another_tenants_change_to_an_outlet_of_the_same_id_does_not_reach_the_stream(push, bar):
    alpha, beta, station = bar
    stream = Stream(push, _page_stream(alpha.client(Role.KITCHEN), f"/kitchen/?station={station.pk}"))
    try:
        stream.next()
        with tenant_context(beta.tenant):
            live_changed(station.outlet_id)  # beta's outlet with alpha's outlet's id
        with pytest.raises(TimeoutError):
            stream.next(1.0)
    finally:
        stream.close()


def _token(screen: list) -> str:
    return signing.dumps(screen, salt="kitchen.live.stream")


def test_a_forged_or_lapsed_pass_is_refused_and_a_stream_ends_when_its_pass_lapses(push, bar):
    alpha, beta, station = bar
    genuine = _page_stream(alpha.client(Role.KITCHEN), f"/kitchen/?station={station.pk}").split("?t=")[1]
    # beta's schema put into alpha's pass, under alpha's pass's signature
    other = _token(["kds", beta.tenant.schema_name, station.outlet_id, None, "en", int(time.time())])
    forged = other.split(":")[0] + ":" + genuine.split(":", 1)[1]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: 1_000_000_000.0)  # signed in 2001: a good signature, lapsed since
        lapsed = _token(["kds", alpha.tenant.schema_name, station.outlet_id, None, "en", 1_000_000_000])
    for bad in (forged, lapsed, "nonsense", ""):
        assert Stream(push, f"/live/stream/?t={bad}").response.status == 403, bad
    opened = Stream(push, f"/live/stream/?t={genuine}")
    assert opened.response.status == 200
    opened.close()
    # a pass signed STREAM_SECONDS - 2 s ago: the stream opens and the service ends it two seconds later
    signed_at = int(time.time()) - STREAM_SECONDS + 2
    ending = _token(["kds", alpha.tenant.schema_name, station.outlet_id, None, "en", signed_at])
    stream = Stream(push, f"/live/stream/?t={ending}")
    try:
        assert stream.next() is not None
        started = time.monotonic()
        assert stream.next(5.0) is None and time.monotonic() - started < 4.0
    finally:
        stream.close()


def test_pages_and_full_polls_name_the_stream_only_where_one_runs(bar, settings):
    alpha, _, station = bar
    display = alpha.client(Role.KITCHEN)
    settings.LIVE_STREAM_PORT = ""
    assert "data-stream-url" not in display.get("/kitchen/").content.decode()
    assert "X-Live-Stream" not in display.get("/kitchen/poll/")
    settings.LIVE_STREAM_SAME_ORIGIN = True  # behind nginx: /live/stream/ on the site's own origin
    assert display.get("/kitchen/poll/")["X-Live-Stream"].startswith("/live/stream/?t=")
    assert 'data-stream-url="/live/stream/?t=' in display.get("/kitchen/expo/").content.decode()


def test_without_redis_the_service_refuses_streams_and_a_change_still_commits(push, bar, settings):
    alpha, _, station = bar
    process, port = start_stream_service(REDIS_URL="redis://127.0.0.1:1/0")
    try:
        url = _page_stream(alpha.client(Role.KITCHEN), "/kitchen/")
        assert Stream(port, url).response.status == 503
    finally:
        stop(process)
    # the site's own Redis gone too: the change commits and nothing is published, without an error
    working = settings.CACHES
    settings.CACHES = {**working, "default": {**working["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    try:
        ticket = _send(alpha, 9, station)
        with tenant_context(alpha.tenant):
            assert Ticket.objects.filter(pk=ticket.pk).exists()
    finally:
        settings.CACHES = working
