"""Password reuse: none of a person's last five passwords may be chosen again (issue 12, passwords).

Django's password validation framework is the hook: `validate()` runs wherever a new password is checked
(`validate_password`: the password page's service, the admin, `changepassword`), and `password_changed()` runs
after every save of a new password (`AbstractBaseUser.save` after `set_password`), whoever set it: a chosen
password, the owner's reset, a one-time password from provisioning or staff creation. So every password set
counts in the history, and the check needs no second path.
"""

from datetime import timedelta

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import PasswordHistory, User

# A one-time password (a new staff member's, a reset's, a new business owner's) works this long, once changed
# never again.
ONE_TIME_PASSWORD_LIFETIME = timedelta(hours=24)


def one_time_password_expiry():
    return timezone.now() + ONE_TIME_PASSWORD_LIFETIME


def one_time_password_expired(user: User) -> bool:
    """True when `user` still has a one-time password and its 24 hours are over."""
    expires_at = getattr(user, "password_expires_at", None)
    return bool(getattr(user, "must_change_password", False) and expires_at and expires_at <= timezone.now())


class PasswordHistoryValidator:
    def __init__(self, count: int = 5) -> None:
        self.count = count

    def _recent(self, user) -> list[str]:
        if user is None or not getattr(user, "pk", None):
            return []
        return list(PasswordHistory.objects.filter(user_id=user.pk).values_list("password", flat=True)[: self.count])

    def validate(self, password: str, user=None) -> None:
        recent = self._recent(user)
        current = getattr(user, "password", "") if user is not None else ""
        if current and current not in recent:  # set without the history (before it existed): it counts too
            recent = [current, *recent][: self.count]
        if any(check_password(password, encoded) for encoded in recent):
            raise ValidationError(
                ngettext(
                    "You have used this password recently. Choose one that is not your last password.",
                    "You have used this password recently. Choose one that is none of your last %(count)d.",
                    self.count,
                )
                % {"count": self.count},
                code="password_reused",
            )

    def password_changed(self, password: str, user=None) -> None:
        if user is None or not user.pk or not user.password:
            return
        PasswordHistory.objects.create(user_id=user.pk, password=user.password)
        kept = PasswordHistory.objects.filter(user_id=user.pk).values("pk")[: self.count]
        PasswordHistory.objects.filter(user_id=user.pk).exclude(pk__in=kept).delete()

    def get_help_text(self) -> str:
        return _("Your password cannot be one of your last %(count)d passwords.") % {"count": self.count}
