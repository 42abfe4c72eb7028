"""How a delivery is signed (docs/webhooks.md, "Verifying a delivery").

The receiver recomputes HMAC-SHA256 over `"{POS-Timestamp}.{raw body}"` with its secret and compares it with one
of the `v1=` values of `POS-Signature`. During a secret rotation's overlap there is one `v1=` per live secret, so
a receiver holding either the old or the new secret accepts the delivery."""

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from typing import Any

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SIGNATURE_SCHEME = "v1"


def secret_new() -> str:
    """A new endpoint secret from the operating system's random source (256 bits)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def body_encode(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent: compact JSON, keys sorted, UTF-8. The signature covers these bytes, so a receiver
    must verify the raw body before parsing it."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets_live: Iterable[str], timestamp: int, body: bytes) -> str:
    """`v1=<hex>` for each live secret, comma-separated (the current secret first)."""
    return ", ".join(f"{SIGNATURE_SCHEME}={signature(s, timestamp, body)}" for s in secrets_live)
