"""Payment providers for QR payments. The till talks to `get_provider()`; a real provider (QRIS acquirer,
e-wallet) implements the same two methods.

Each business chooses its provider (Back office → QR payments, `sales.models.QrProviderSettings`) and has its own
callback secret, made for it and never shared with another tenant or with the server's SECRET_KEY. With no
provider chosen QR payment is off and says so; the built-in simulator stands in for a provider only where the
deployment allows it (`QR_SIMULATOR_ENABLED`: development, demos and tests), never in production.

Callbacks are signed Stripe-style: the `X-Signature` header is `t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>." + the raw body>`, compared in constant time; a signature more than `SIGNATURE_TOLERANCE_SECONDS` away
from our clock is refused, so a captured callback cannot be replayed later (and within the window the service
refuses one it has seen: sales/services/qr.py).
"""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from ..models import QrProviderSettings

SIGNATURE_TOLERANCE_SECONDS = 300
_MAX_TIMESTAMP_DIGITS = 12


class ProviderError(ValueError):
    pass


class QrPaymentsOff(ProviderError):
    """This business has no QR provider it may use here: QR payment is off (the message says why)."""


@dataclass(frozen=True)
class Charge:
    reference: str  # the provider's id for the charge
    qr_payload: str  # what the customer's app scans


@dataclass(frozen=True)
class CallbackEvent:
    reference: str
    status: str  # "paid" or "failed"
    amount_minor: int


class PaymentProvider(Protocol):
    name: str

    def create_charge(self, *, amount_minor: int, currency: str, description: str, idempotency_key: str) -> Charge:
        """Ask for a charge. The same `idempotency_key` must give back the same charge, never a second one."""
        ...

    def parse_callback(self, *, body: bytes, signature: str, now: float | None = None) -> CallbackEvent: ...


def signature_header(secret: bytes, body: bytes, *, timestamp: int) -> str:
    """The `X-Signature` value for `body` signed at `timestamp` (unix seconds)."""
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_verify(secret: bytes, body: bytes, header: str, *, now: float | None = None) -> None:
    """Raise ProviderError unless `header` signs `body` with `secret` and was made within the tolerance."""
    parts: dict[str, str] = {}
    for piece in (header or "").strip().split(","):
        name, sep, value = piece.strip().partition("=")
        if sep and name in ("t", "v1") and name not in parts:
            parts[name] = value.strip()
    stamp, given = parts.get("t", ""), parts.get("v1", "")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= _MAX_TIMESTAMP_DIGITS) or not given:
        raise ProviderError(_("the signature has no timestamp"))
    expected = signature_header(secret, body, timestamp=int(stamp)).partition(",v1=")[2]
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise ProviderError(_("bad signature"))
    if abs((time.time() if now is None else now) - int(stamp)) > SIGNATURE_TOLERANCE_SECONDS:
        raise ProviderError(_("the signature is too old"))


class SimulatorProvider:
    """Plays an acquirer: makes charges and signs callbacks with the business's own secret."""

    name = "simulator"

    def __init__(self, *, secret: str):
        if not secret:
            raise QrPaymentsOff(_("The payment simulator has no secret: choose it again in the QR payment settings."))
        self.secret = secret.encode()

    def create_charge(self, *, amount_minor: int, currency: str, description: str, idempotency_key: str) -> Charge:
        reference = "SIM-" + hmac.new(self.secret, idempotency_key.encode(), hashlib.sha256).hexdigest()[:16]
        return Charge(
            reference=reference, qr_payload=f"simpay://pay?ref={reference}&amount={amount_minor}&cur={currency}"
        )

    def sign(self, body: bytes, *, timestamp: int | None = None) -> str:
        return signature_header(self.secret, body, timestamp=int(time.time()) if timestamp is None else timestamp)

    def callback_body(self, *, reference: str, status: str, amount_minor: int) -> bytes:
        return json.dumps({"reference": reference, "status": status, "amount_minor": amount_minor}).encode()

    def parse_callback(self, *, body: bytes, signature: str, now: float | None = None) -> CallbackEvent:
        signature_verify(self.secret, body, signature, now=now)
        try:
            data = json.loads(body)
            event = CallbackEvent(str(data["reference"]), str(data["status"]), int(data["amount_minor"]))
        except (ValueError, KeyError, TypeError):
            raise ProviderError(_("malformed callback")) from None
        if event.status not in ("paid", "failed"):
            raise ProviderError(_("unknown status"))
        return event


def provider_settings() -> QrProviderSettings | None:
    """This tenant's row as stored (None: never configured)."""
    return QrProviderSettings.objects.filter(pk=1).first()


def secret_usable(row: QrProviderSettings | None) -> bool:
    """Whether the row holds a secret made for this tenant (a row cloned from the template schema does not)."""
    return bool(row is not None and row.secret and row.secret_schema == connection.schema_name)


def get_provider() -> PaymentProvider:
    """The current tenant's provider, configured with its own secret; QrPaymentsOff when it has none it may use
    here. Never the simulator unless the deployment allows it."""
    row = provider_settings()
    choice = row.provider if row is not None else QrProviderSettings.Provider.OFF
    if choice == QrProviderSettings.Provider.SIMULATOR:
        if not settings.QR_SIMULATOR_ENABLED:
            raise QrPaymentsOff(
                _("QR payments are off: the built-in payment simulator only runs in development and demos, and no "
                  "real payment provider is set up. The owner chooses one in Back office → QR payments.")
            )  # fmt: skip
        if secret_usable(row):
            return SimulatorProvider(secret=row.secret)
    raise QrPaymentsOff(
        _("QR payments are off for this business: the owner chooses a payment provider in Back office → QR payments.")
    )


def simulator_active() -> bool:
    """Whether this tenant's QR payments go to the built-in simulator (the till then offers its phone page)."""
    try:
        return isinstance(get_provider(), SimulatorProvider)
    except QrPaymentsOff:
        return False
