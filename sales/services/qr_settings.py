"""The owner's choice of QR payment provider and the business's callback secret (sales/providers).

The secret is made here, per tenant, from the operating system's random source; the caller shows it to the owner
once (the page that made it, never a cookie or a message) and afterwards only when it was made. Rotating makes a
new one at once: callbacks signed with the old one are refused from then on. The audit log records that the
provider changed or the secret was made, never the secret itself; nothing here logs it.
"""

import secrets

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import AuditAction
from accounts.models import User
from accounts.services import audit_record
from pos_project.errors import ServiceError

from ..models import QrProviderSettings
from ..providers import secret_usable

Provider = QrProviderSettings.Provider


def qr_provider_choices() -> list[tuple[str, str]]:
    """What the owner may choose on this deployment: the simulator only where it is allowed to run."""
    return [(value, label) for value, label in Provider.choices
            if value != Provider.SIMULATOR or settings.QR_SIMULATOR_ENABLED]  # fmt: skip


def qr_provider_settings_get() -> QrProviderSettings:
    row, _created = QrProviderSettings.objects.get_or_create(pk=1)
    return row


def _new_secret(row: QrProviderSettings) -> str:
    row.secret = secrets.token_urlsafe(32)
    row.secret_schema = connection.schema_name
    row.secret_set_at = timezone.now()
    return row.secret


@transaction.atomic
def qr_provider_set(*, provider: str, actor: User | None) -> tuple[QrProviderSettings, str]:
    """Choose the provider; returns the row and the new secret when one had to be made ("" otherwise), for the
    page to show once."""
    if provider not in dict(qr_provider_choices()):
        raise ServiceError(
            "qr_settings.invalid", _("Choose a payment provider available here."), field="provider"
        )  # fmt: skip
    qr_provider_settings_get()
    row = QrProviderSettings.objects.select_for_update().get(pk=1)
    old, made = row.provider, ""
    row.provider = provider
    if provider != Provider.OFF and not secret_usable(row):
        made = _new_secret(row)
    if old != provider or made:
        row.save()
        data = {"provider": [old, provider], **({"secret": "made"} if made else {})}
        audit_record(action=AuditAction.PAYMENT_QR_SETTINGS_UPDATE, actor=actor, target=row, label="QR payments",
                     data=data)  # fmt: skip
    return row, made


@transaction.atomic
def qr_secret_rotate(*, actor: User | None) -> str:
    """Replace the callback secret; returns the new one (to show once)."""
    qr_provider_settings_get()
    row = QrProviderSettings.objects.select_for_update().get(pk=1)
    made = _new_secret(row)
    row.save(update_fields=["secret", "secret_schema", "secret_set_at"])
    audit_record(action=AuditAction.PAYMENT_QR_SECRET_ROTATE, actor=actor, target=row, label="QR payments",
                 data={"secret": "rotated"})  # fmt: skip
    return made
