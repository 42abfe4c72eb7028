"""API keys and staff access/refresh tokens (only hashes stored)."""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.access import role_can, staff_roles

KEY_PREFIX = "pos_live_"  # what every key starts with: secret scanners (GitHub's, gitleaks) can match it
PREFIX_BYTES = 6  # 12 hex characters shown in the back office and logs to tell keys apart
SECRET_BYTES = 32
READ, WRITE = "read", "write"
ALL_RESOURCES = "*"


def secret_hash(secret: str) -> str:
    """SHA-256 of a key's secret. A slow hash (Argon2, like passwords) protects what people choose, which is
    guessable; a key's secret is 32 random bytes (256 bits) from `secrets`, so no dictionary or brute force can
    find it from the hash, and a fast hash keeps checking a key to microseconds on every request."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKey(models.Model):
    """A key an integration (accounting, delivery, BI) sends as `Authorization: Bearer pos_live_<prefix>_<secret>`.

    It acts as a role of accounts/access.py chosen when it is made (the person who made it must hold every
    capability that role has: never above its maker), and only on the resources its scopes name, read or write.
    Its maker must stay active and keep those capabilities: the permission asks both the maker and the key's role
    on every request. Only the secret's hash is stored; the whole key is shown once, when it is made."""

    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=2 * PREFIX_BYTES, unique=True)
    secret_hash = models.CharField(max_length=64)
    # {"categories": "read", "orders": "write", "*": "read"}: a resource's level, "*" for every resource.
    scopes = models.JSONField(default=dict)
    role = models.CharField(max_length=20)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def role_label(self) -> str:
        """The role it acts as, as people read it ("Owner / admin")."""
        return dict(staff_roles()).get(self.role, self.role)

    # --- What the API's permission asks (core/api.py, duck-typed) ---
    def allows(self, resource: str, write: bool) -> bool:
        level = self.scopes.get(resource) or self.scopes.get(ALL_RESOURCES)
        return level == WRITE if write else level in (READ, WRITE)

    def can(self, capability: str) -> bool:
        return role_can(self.role, capability)

    @property
    def idempotency_scope(self) -> str:
        return f"k{self.pk}"

    @property
    def throttle_scope(self) -> str:
        return f"key:{self.prefix}"  # random, so a counter never outlives its key onto another

    def secret_matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, secret_hash(secret))

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return _("Revoked")
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return _("Expired")
        return _("Active")


def key_new() -> tuple[str, str, str]:
    """A fresh key: (prefix, secret, the whole key as the client sends it)."""
    prefix = secrets.token_hex(PREFIX_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return prefix, secret, f"{KEY_PREFIX}{prefix}_{secret}"


def key_parse(raw: str) -> tuple[str, str] | None:
    """(prefix, secret) of a key as sent, or None if it is not shaped like one of ours."""
    if not raw.startswith(KEY_PREFIX):
        return None
    prefix, sep, secret = raw[len(KEY_PREFIX) :].partition("_")
    if not sep or len(prefix) != 2 * PREFIX_BYTES or not secret or len(secret) > 128:
        return None
    return prefix, secret


ACCESS_PREFIX, REFRESH_PREFIX = "pos_at_", "pos_rt_"


class StaffToken(models.Model):
    """A staff app's bearer token (docs/adr/0017): a short-lived access token or a 7-day refresh token, both of one
    sign-in (`family`). Only the hash is stored. A refresh token is used once: refreshing rotates it, and a used
    one sent again revokes the whole family (someone kept a copy). `auth_hash` is the person's session hash when
    the token was made: a password change (or reset, anywhere) changes it, and every older token stops working,
    as Django's sessions do."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access")
        REFRESH = "refresh", _("Refresh")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    family = models.UUIDField(db_index=True)
    auth_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)  # a refresh token, when it was rotated
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="integrations_token_expires")]

    def __str__(self) -> str:
        return f"{self.kind} token of {self.user_id}"

    # --- What the API's permission and throttle ask (core/api.py, duck-typed): a person acts as themself. ---
    @property
    def idempotency_scope(self) -> str:
        return f"u{self.user_id}"

    @property
    def throttle_scope(self) -> str:
        return f"token:{self.family}"
