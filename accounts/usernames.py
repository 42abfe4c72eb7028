"""Usernames: one normalisation, used by the sign-in form, the sign-in limits and every place a name is created.

A name is stored and compared after NFKC and trimming (`username_normalize`): the sign-in form reads what people
type the same way, so full-width `ｋｉｔｃｈｅｎ` and `"kitchen "` are `kitchen`, both for signing in and for the
limits that count failed tries (issue 12, point 3). Two names that differ only in case are the same name for
uniqueness and for the limits (`username_key`). Only a small ASCII set is allowed (`UsernameValidator`), so a
look-alike such as Cyrillic `сupervisor`, or `a b<c>"d`, is refused when the name is made, and every accepted
name can be typed at the sign-in page (point 14).
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

USERNAME_MAX_LENGTH = 150
_ALLOWED = re.compile(r"[A-Za-z0-9._@-]+\Z")


def username_normalize(raw: object) -> str:
    """What is stored, and what the sign-in form looks up: NFKC, then trimmed."""
    return unicodedata.normalize("NFKC", str(raw or "")).strip()


def username_key(raw: object) -> str:
    """The name as compared: normalised and case-folded (uniqueness, sign-in limits)."""
    return username_normalize(raw).casefold()


@deconstructible
class UsernameValidator:
    """The model field's validator: letters a–z and A–Z, digits and `. _ - @`, at most 150 characters."""

    code = "username.invalid"
    message = _("A username may use only the letters a–z and A–Z, digits and . _ - @ (no spaces or accents).")

    def __call__(self, value: object) -> None:
        value = str(value or "")
        if not _ALLOWED.match(value):
            raise ValidationError(self.message, code=self.code)
        if len(value) > USERNAME_MAX_LENGTH:
            raise ValidationError(
                _("A username can be at most %(max)d characters.") % {"max": USERNAME_MAX_LENGTH}, code=self.code
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UsernameValidator)

    def __hash__(self) -> int:
        return hash(self.code)


def username_validate(raw: object) -> str:
    """The normalised name if it is acceptable; a ValidationError with a message for people otherwise."""
    name = username_normalize(raw)
    if not name:
        raise ValidationError(_("A username is required."), code="username.missing")
    UsernameValidator()(name)
    return name
