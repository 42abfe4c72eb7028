import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit import AuditAction
from .useragent import user_agent_label
from .usernames import USERNAME_MAX_LENGTH, UsernameValidator, username_normalize


class Role(models.TextChoices):
    ADMIN_TENANT = "ADMIN_TENANT", _("Owner / admin")
    SUPERVISOR = "SUPERVISOR", _("Supervisor")
    CASHIER = "CASHIER", _("Cashier")
    KITCHEN = "KITCHEN", _("Kitchen")
    # Lives only in the public schema: the people who run the platform.
    SUPER_ADMIN = "SUPER_ADMIN", _("Platform super admin")
    # A business's stand-in for one platform super admin during support access (tenants/support.py): never signs
    # in by password or PIN, only through a support grant's one-use hand-off link.
    SUPPORT = "SUPPORT", _("Platform support")


class User(AbstractUser):
    """A staff member of one business (tenant schema) or a platform super admin (public schema).

    Each schema has its own users table, so the same username in two tenants is two different people.
    """

    # Only a small ASCII set, stored normalised (accounts/usernames.py), so every accepted name can sign in.
    username = models.CharField(
        _("username"),
        max_length=USERNAME_MAX_LENGTH,
        unique=True,
        help_text=_("Letters a–z, digits and . _ - @ (no spaces or accents)."),
        validators=[UsernameValidator()],
        error_messages={"unique": _("A user with that username already exists.")},
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CASHIER)
    # A short numeric PIN, hashed like a password: staff sign in with it on a registered till and clock in and
    # out; supervisors also approve voids, refunds and big discounts with it at a till someone else is using.
    pin_hash = models.CharField(max_length=128, blank=True)
    # Wrong PINs in a row (a right one resets it); the fifth locks the PIN until the owner unlocks it.
    pin_failures = models.PositiveSmallIntegerField(default=0)
    pin_locked_at = models.DateTimeField(null=True, blank=True)
    # Wrong approval PINs typed while this person was the one asking (their till), whoever's PIN it was: five in
    # APPROVAL_WINDOW pause their PIN approvals until `approval_blocked_until` or until the owner lifts it.
    approval_failures = models.PositiveSmallIntegerField(default=0)
    approval_failed_at = models.DateTimeField(null=True, blank=True)  # the first wrong one of the current window
    approval_blocked_until = models.DateTimeField(null=True, blank=True)
    # The outlets this person works at (accounts.access.outlet_allowed); empty: every outlet. Ids rather than a
    # relation: this table also lives in the public schema, where there are no outlets.
    outlet_ids = ArrayField(models.PositiveIntegerField(), default=list, blank=True)
    must_change_password = models.BooleanField(
        default=False,
        help_text=_("Set for one-time passwords: the user must choose a new one at next login."),
    )
    # A one-time password stops working at this time (24 h after it was given: accounts.services).
    password_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @classmethod
    def normalize_username(cls, username):
        """Every way of making a user (createsuperuser, the admin, staff_create) stores the same form."""
        return username_normalize(username)

    @property
    def role_label(self) -> str:
        return Role(self.role).label


class AuditEntry(models.Model):
    """An append-only record of a sensitive action. No view, form or admin edits these rows."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")  # fmt: skip
    # Kept even if the user row is later renamed or erased (GDPR keeps the audit trail, not the person).
    actor_username = models.CharField(max_length=150, blank=True)
    # An `accounts.audit.AuditAction` value (no `choices=` here, so a new action needs no migration).
    action = models.CharField(max_length=60, db_index=True)
    # What the action was about, typed: the model's label ("sales.order") and primary key, so the log can be
    # searched by object; `target_label` is a short non-personal name for people reading it ("Order #12", a SKU).
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=40, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    # Ids, codes, amounts and states: never e-mails, phone numbers, names or addresses (test_audit checks).
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # The hash chain (accounts/migrations/0008_audit_chain.py): set by the database when the entry's transaction
    # commits, in commit order. `hash` is SHA-256 over the entry's fields, its place and the previous entry's hash,
    # so an entry edited or removed by SQL breaks the chain (`manage.py audit_verify`).
    chain_seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_username or '-'} {self.action} {self.target_display}"

    @property
    def target_display(self) -> str:
        if self.target_label:
            return self.target_label
        return f"{self.target_type} #{self.target_id}" if self.target_type else ""

    @property
    def action_label(self) -> str:
        try:
            return str(AuditAction(self.action).label)
        except ValueError:  # an action since retired: its stored value is all there is
            return self.action


class AuditChainHead(models.Model):
    """The last sealed entry of this schema's audit chain (one row, id 1). Sealing locks it, so writers cannot
    fork the chain; `audit_verify` compares it with the last entry, so entries removed from the end show too."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"audit chain head {self.seq}"


class TillDevice(models.Model):
    """A browser that a supervisor or owner registered as one of the business's tills: on it, staff sign in and
    clock in by PIN. The browser keeps a signed cookie naming `uid`; removing the row ends that."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=60)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+")  # fmt: skip
    registered_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class UserSession(models.Model):
    """One signed-in session of a person: the index behind "your signed-in devices" (accounts/sessions.py).

    The session itself stays in Django's store (`cached_db`, in this schema); this row names its key, who owns it
    and where it came from, so a person or the owner can list and end sessions without decoding every stored
    session. Written at sign-in, re-keyed when the key changes, deleted when the session ends; `last_seen_at` is
    refreshed at most every few minutes (never a query per request)."""

    class Kind(models.TextChoices):
        # A back-office session ends after SESSION_IDLE_SECONDS without a request (accounts/sessions.py).
        BACKOFFICE = "backoffice", _("Back office")
        # Signed in on a registered till by someone who cannot open the back office: the till's idle lock.
        TILL = "till", _("Till")
        # A platform super admin in the business's back office, for a support grant (tenants/support.py).
        SUPPORT = "support", _("Platform support")

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.BACKOFFICE)
    user_agent = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        indexes = [models.Index(fields=["user", "-last_seen_at"], name="accounts_session_user_seen")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.ip_address or '-'}"

    @property
    def browser(self) -> str:
        return user_agent_label(self.user_agent)


class PasswordHistory(models.Model):
    """The hashes of a person's last passwords (chosen, reset or one-time), so none of the last five is chosen
    again (accounts.passwords.PasswordHistoryValidator writes and reads these)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="accounts_pwhistory_user_idx")]
        verbose_name_plural = "password history"

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"
