"""Where a webhook may go, and the one HTTP call that takes it there.

The address rule (SSRF): a delivery goes only to public addresses. The host is resolved and every address it
resolves to must be public (not private, loopback, link-local, multicast, reserved, unspecified or shared, in IPv4
or IPv6, IPv4 embedded in IPv6 included); the check runs when the owner saves the URL and again at each send, and
the connection goes to the very address that was checked (with the URL's host name in `Host` and for TLS), so a
DNS answer that changes between the check and the connect (rebinding) cannot send it elsewhere. Operators may
allow networks with WEBHOOKS_ALLOWED_NETWORKS (CIDRs) or, for a closed installation, every private network with
WEBHOOKS_ALLOW_PRIVATE_NETWORKS; both are off by default.

The call: POST, no redirects followed (a 3xx is a failure), WEBHOOKS_CONNECT_TIMEOUT to connect,
WEBHOOKS_TOTAL_TIMEOUT for the whole exchange (a timer shuts the socket, so a receiver trickling bytes cannot hold
the worker longer), and at most WEBHOOKS_RESPONSE_MAX_BYTES of the response body read. Standard library only.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from pos_project.errors import ServiceError

SCHEMES = {"http": 80, "https": 443}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query string


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    duration_ms: int


class AddressRefused(ServiceError):
    """The URL's host is, or resolves to, an address deliveries may not reach."""


def url_parse(url: str) -> Target:
    """The parts of a webhook URL, or ServiceError `webhook.url_invalid` (no address looked up)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in SCHEMES or not parts.hostname:
        raise ServiceError("webhook.url_invalid", _("Enter an http:// or https:// address."), field="url")
    if parts.username or parts.password:
        raise ServiceError("webhook.url_invalid", _("The address may not contain a user name or password."),
                           field="url")  # fmt: skip
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    return Target(scheme=parts.scheme, host=parts.hostname, port=port or SCHEMES[parts.scheme], path=path)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64): each must pass the rule too."""
    found = [address.ipv4_mapped, address.sixtofour]
    if address.teredo:
        found.extend(address.teredo)
    if address in ipaddress.IPv6Network("64:ff9b::/96"):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [a for a in found if a is not None]


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and not all(_public(a) for a in _embedded_ipv4(address)):
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    )


@lru_cache(maxsize=8)
def _allowed_networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in spec if cidr.strip())


def address_allowed(address: IPAddress) -> bool:
    """Whether a delivery may connect to `address` under the rule and the operator's settings."""
    if _public(address):
        return True
    if getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_NETWORKS", False):
        return True
    allowed = _allowed_networks(tuple(getattr(settings, "WEBHOOKS_ALLOWED_NETWORKS", ())))
    return any(address.version == network.version and address in network for network in allowed)


def resolve(target: Target) -> IPAddress:
    """The address to connect to: every address the host resolves to must be allowed (the first is used), so a
    host with one private answer among public ones is refused rather than left to chance."""
    try:
        literal = ipaddress.ip_address(target.host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        found = [literal]
    else:
        try:
            infos = _lookup(target.host, target.port)
        except (OSError, UnicodeError) as error:  # a lookup past its deadline is a TimeoutError
            why = str(error) or _("no answer in time")
            message = _("The address's host name could not be found (%(error)s).") % {"error": why}
            raise ServiceError("webhook.url_unresolved", message, field="url") from None
        found = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not found:
        raise ServiceError("webhook.url_unresolved", _("The address's host name could not be found."), field="url")
    for address in found:
        if not address_allowed(address):
            raise AddressRefused(
                "webhook.address_refused",
                _("Webhooks may not go to %(address)s: private, loopback, link-local and other non-public addresses "
                  "are refused.") % {"address": address},
                field="url",
            )  # fmt: skip
    return found[0]


_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


def _lookup(host: str, port: int) -> list:
    """getaddrinfo with a deadline (WEBHOOKS_CONNECT_TIMEOUT): the C resolver has none of its own, and a slow DNS
    server must not hold the sender (or the owner's form) for its 5 s x retries. A lookup that overruns keeps
    its pool thread until the resolver gives up; the pool is small, so a flood of them waits instead of
    multiplying threads."""
    future = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    return future.result(timeout=float(settings.WEBHOOKS_CONNECT_TIMEOUT))


def url_check(url: str) -> Target:
    """Parse and resolve `url` as a delivery would (for the owner's form); ServiceError when refused."""
    target = url_parse(url)
    resolve(target)
    return target


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to the checked address, whatever the host name resolves to by now."""

    def __init__(self, target: Target, address: IPAddress, connect_timeout: float):
        super().__init__(target.host, target.port, timeout=connect_timeout)
        self._address = str(address)

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """HTTPS to the checked address; the certificate is checked against the URL's host name."""

    def __init__(self, target: Target, address: IPAddress, connect_timeout: float):
        super().__init__(target, address, connect_timeout)
        self._context = ssl.create_default_context()

    def connect(self) -> None:
        super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


def post(target: Target, address: IPAddress, body: bytes, headers: dict[str, str]) -> Response:
    """POST `body` to `target` at `address`; returns the status and the start of the response body. Raises
    OSError (refused, reset, timed out, TLS) or http.client.HTTPException (not HTTP) on failure."""
    connect_timeout = float(settings.WEBHOOKS_CONNECT_TIMEOUT)
    total = float(settings.WEBHOOKS_TOTAL_TIMEOUT)
    limit = int(settings.WEBHOOKS_RESPONSE_MAX_BYTES)
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    conn = kind(target, address, min(connect_timeout, total))
    started = time.monotonic()
    expired = threading.Event()

    def _expire() -> None:
        expired.set()
        sock = conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(total, _expire)
    timer.daemon = True
    timer.start()
    try:
        conn.connect()
        conn.sock.settimeout(max(total - (time.monotonic() - started), 0.001))
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read(limit)
        status = response.status
    except (OSError, http.client.HTTPException) as error:
        if expired.is_set():
            raise TimeoutError(f"no complete answer within {total:g} s") from error
        raise
    finally:
        timer.cancel()
        conn.close()
    return Response(status=status, body=data, duration_ms=int((time.monotonic() - started) * 1000))
