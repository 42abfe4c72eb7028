"""Payment providers for QR payments. The till talks to `get_provider()`; a real provider (QRIS acquirer,
e-wallet) implements the same two methods. The built-in simulator stands in for one in demos and tests."""

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings


class ProviderError(ValueError):
    pass


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

    def parse_callback(self, *, body: bytes, signature: str) -> CallbackEvent: ...


class SimulatorProvider:
    """Signs callbacks with HMAC-SHA256 over the raw body, as real acquirers do."""

    name = "simulator"

    def __init__(self, secret: str | None = None):
        self.secret = (secret or settings.QR_SIMULATOR_SECRET).encode()

    def create_charge(self, *, amount_minor: int, currency: str, description: str, idempotency_key: str) -> Charge:
        reference = "SIM-" + hmac.new(self.secret, idempotency_key.encode(), hashlib.sha256).hexdigest()[:16]
        return Charge(
            reference=reference, qr_payload=f"simpay://pay?ref={reference}&amount={amount_minor}&cur={currency}"
        )

    def sign(self, body: bytes) -> str:
        return hmac.new(self.secret, body, hashlib.sha256).hexdigest()

    def callback_body(self, *, reference: str, status: str, amount_minor: int) -> bytes:
        return json.dumps({"reference": reference, "status": status, "amount_minor": amount_minor}).encode()

    def parse_callback(self, *, body: bytes, signature: str) -> CallbackEvent:
        if not hmac.compare_digest(self.sign(body), (signature or "").strip()):
            raise ProviderError("bad signature")
        try:
            data = json.loads(body)
            event = CallbackEvent(str(data["reference"]), str(data["status"]), int(data["amount_minor"]))
        except (ValueError, KeyError, TypeError):
            raise ProviderError("malformed callback") from None
        if event.status not in ("paid", "failed"):
            raise ProviderError("unknown status")
        return event


def get_provider() -> PaymentProvider:
    return SimulatorProvider()
