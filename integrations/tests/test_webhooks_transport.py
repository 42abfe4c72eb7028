"""The address rule (SSRF): refused when the owner saves the URL and again when a delivery is sent; an operator's
allow-list lets chosen networks through; other schemes refused."""

import ipaddress
import socket
import time

import pytest
from django.db import transaction
from django.utils import timezone

from core.models import OutboxEvent
from core.outbox import event_emit
from integrations.models.webhooks import WebhookDelivery, WebhookEndpoint
from integrations.webhooks import services, transport
from pos_project.errors import ServiceError

from . import webhook_receiver
from .webhook_factories import WebhookEndpointFactory

receiver = webhook_receiver.receiver  # the fixture


@pytest.fixture(autouse=True)
def _no_allowances(settings):
    settings.WEBHOOKS_ALLOWED_NETWORKS = []
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False


REFUSED = [
    "http://127.0.0.1/hooks",
    "http://127.8.9.10:8080/hooks",
    "http://10.0.0.5/hooks",
    "http://172.16.3.4/hooks",
    "http://192.168.1.1/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hooks",  # shared address space (carrier NAT)
    "http://0.0.0.0/hooks",
    "http://224.0.0.1/hooks",  # multicast
    "http://240.0.0.1/hooks",  # reserved
    "http://255.255.255.255/hooks",
    "http://[::1]/hooks",
    "http://[::]/hooks",
    "http://[fe80::1]/hooks",
    "http://[fc00::1]/hooks",
    "http://[ff02::1]/hooks",
    "http://[::ffff:127.0.0.1]/hooks",  # IPv4-mapped loopback
    "http://[::ffff:169.254.169.254]/hooks",
    "http://[2002:7f00:1::]/hooks",  # 6to4 around 127.0.0.1
    "http://[64:ff9b::a00:1]/hooks",  # NAT64 around 10.0.0.1
    "https://localhost/hooks",  # a host name resolving to loopback
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_and_special_addresses_are_refused(url):
    with pytest.raises(ServiceError) as refused:
        transport.url_check(url)
    assert refused.value.code == "webhook.address_refused"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "gopher://example.com/",
        "http:///nohost",
        "http://user:pw@example.com/x",
        "not a url",
    ],
)
def test_other_schemes_and_malformed_addresses_are_refused(url):
    with pytest.raises(ServiceError) as refused:
        transport.url_check(url)
    assert refused.value.code == "webhook.url_invalid"


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert transport.address_allowed(ipaddress.ip_address(address))


def test_the_operators_allow_list_lets_only_its_networks_through(settings):
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.1/32", "10.20.0.0/16"]
    assert transport.address_allowed(ipaddress.ip_address("127.0.0.1"))
    assert transport.address_allowed(ipaddress.ip_address("10.20.5.6"))
    assert not transport.address_allowed(ipaddress.ip_address("10.21.0.1"))
    assert not transport.address_allowed(ipaddress.ip_address("169.254.169.254"))
    assert not transport.address_allowed(ipaddress.ip_address("::1"))
    settings.WEBHOOKS_ALLOWED_NETWORKS = []
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    assert transport.address_allowed(ipaddress.ip_address("10.21.0.1"))


def test_a_host_is_refused_when_any_of_its_addresses_is_private(monkeypatch):
    def two_answers(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]  # fmt: skip

    monkeypatch.setattr(transport.socket, "getaddrinfo", two_answers)
    with pytest.raises(ServiceError) as refused:
        transport.url_check("https://hooks.example.com/x")
    assert refused.value.code == "webhook.address_refused" and "10.0.0.7" in str(refused.value.summary)


@pytest.mark.django_db
def test_the_rule_is_checked_again_at_send_time_and_nothing_reaches_the_receiver(in_tenant, receiver, settings):
    """Saved while the operator allowed it; the allowance goes; the next attempt is refused before connecting."""
    endpoint = WebhookEndpointFactory(url=receiver.url())
    settings.WEBHOOKS_ALLOWED_NETWORKS = []
    with transaction.atomic():
        event = event_emit("order.paid", {"order": 1})
    services.webhook_deliveries_create(OutboxEvent.objects.get(pk=event.pk))
    assert services.webhook_send_due() == {"delivered": 0, "retry": 1, "failed": 0}
    delivery = WebhookDelivery.objects.get()
    assert delivery.response_status is None and "Webhooks may not go to 127.0.0.1" in delivery.error
    assert receiver.received == []
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None and endpoint.failing_since <= timezone.now()


@pytest.mark.django_db
def test_the_connection_goes_to_the_checked_address_whatever_the_name_resolves_to_later(in_tenant, receiver,
                                                                                        monkeypatch):  # fmt: skip
    """DNS rebinding: the first answer (checked) is 127.0.0.1 (allowed here); a second lookup would say 10.0.0.9.
    The sender resolves once per attempt and connects to what it checked, sending the name in Host."""
    answers = iter(["127.0.0.1", "10.0.0.9", "10.0.0.9"])

    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host != "hooks.example.com":  # the connect's own lookup of the literal address it was given
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(transport.socket, "getaddrinfo", rebinding)
    endpoint = WebhookEndpoint.objects.create(url=receiver.url(host="hooks.example.com"), events=["order.paid"],
                                              secret="whsec_test")  # fmt: skip
    services.webhook_test_send(endpoint_id=endpoint.pk, actor=None)
    assert services.webhook_send_due()["delivered"] == 1
    assert receiver.received[0].headers["Host"] == f"hooks.example.com:{receiver.port}"
    assert next(answers) == "10.0.0.9"  # looked up once for the attempt; the rebound answers were never used


def test_a_slow_name_lookup_gives_up_at_the_connect_timeout(monkeypatch, settings):
    settings.WEBHOOKS_CONNECT_TIMEOUT = 0.3

    def slow(*args, **kwargs):
        time.sleep(2)
        return []

    monkeypatch.setattr(transport.socket, "getaddrinfo", slow)
    started = time.monotonic()
    with pytest.raises(ServiceError) as refused:
        transport.url_check("https://slow-dns.example.com/x")
    assert refused.value.code == "webhook.url_unresolved" and "no answer in time" in str(refused.value.summary)
    assert time.monotonic() - started < 1.5
