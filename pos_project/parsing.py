"""Reading what a request sent: ids, whole numbers, amounts, JSON bodies and text. The one home for it.

Every view, JSON endpoint and CSV import reads client input through these functions, so a value that is not
what it claims to be never reaches a query, a sum or the database: `"²".isdigit()` is true but `int("²")`
raises, `int("٣")` is 3, a 5,000-digit number does not fit a bigint (nor Python's int() limit), 10²⁰ minor
units overflow a total, and PostgreSQL refuses text with a NUL byte. What is refused raises `ServiceError`
(400, with a message for people); an uncaught one is rendered by `pos_project.error_pages.ServiceErrorMiddleware`
as the 400 page or, for the till's script, the JSON error shape.

Text is cleaned rather than refused: control characters (C0, DEL, C1) are dropped from every name and text
field, so a product named "Tea\\x1bp0" cannot drive a receipt printer (sales/escpos.py also strips them when it
prints). Multi-line fields (notes, addresses, receipt footers) keep their line breaks; single-line ones turn
them into spaces.
"""

import json
import re
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, RawPostDataException
from django.utils.translation import gettext as _

from pos_project.errors import ServiceError
from pos_project.money import AMOUNT_MAX

# Primary keys are bigints (DEFAULT_AUTO_FIELD); nothing larger is an id.
ID_MAX = 2**63 - 1
# PositiveIntegerField and friends are 4-byte integers in PostgreSQL.
SMALL_INT_MAX = 2**31 - 1
# The longest number that is read at all: anything longer is refused before int() sees it.
_MAX_DIGITS = 19

_ASCII_DIGITS = re.compile(r"[0-9]+\Z")
# Every control character but the line breaks and tab (which single-line text turns into spaces).
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029\x0b\x0c\x85]")


def _invalid(message, field: str | None = None, code: str = "request.invalid") -> ServiceError:
    return ServiceError(code, message, field=field)


# --- text ------------------------------------------------------------------------------------------------------


def clean_text(value: Any, *, multiline: bool = False, max_length: int | None = None) -> str:
    """Text as it may be stored and printed: no control characters (a multi-line text keeps its tabs and line
    breaks), no surrounding spaces, at most `max_length` characters. None is ""."""
    if value is None:
        return ""
    text = str(value) if multiline else _LINE_BREAKS.sub(" ", str(value))
    # A multi-line text keeps its tabs and line breaks as they were typed ("\r\n" from a browser).
    text = _CONTROLS.sub("", text).strip()
    return text[:max_length] if max_length is not None else text


def has_nul(value: str) -> bool:
    return "\x00" in value


# --- whole numbers and ids -------------------------------------------------------------------------------------


def _digits(value: Any) -> str | None:
    """ASCII digits as text, at most _MAX_DIGITS of them (leading zeros aside), else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not _ASCII_DIGITS.match(text) or len(text.lstrip("0")) > _MAX_DIGITS:
        return None
    return text


def id_or_none(value: Any) -> int | None:
    """An id from a query string, a form or a JSON body (1 to ID_MAX, ASCII digits only); anything else None.
    For filters and choices where "not a valid id" means "none chosen"."""
    if isinstance(value, int) and not isinstance(value, bool):  # a JSON number
        number = value
    elif (digits := _digits(value)) is not None:
        number = int(digits)
    else:
        return None
    return number if 1 <= number <= ID_MAX else None


def id_required(value: Any, *, field: str | None = None, message=None) -> int:
    """An id that must be there and valid; else a 400 with `message` (on `field`, if given)."""
    number = id_or_none(value)
    if number is None:
        raise _invalid(message or _("Choose a valid item."), field)
    return number


def ids(values: Iterable[Any]) -> list[int]:
    """The valid ids among `values` (e.g. `request.POST.getlist("tab")`), in order; the rest ignored."""
    return [number for value in values if (number := id_or_none(value)) is not None]


def int_or_none(value: Any, *, minimum: int = 0, maximum: int = SMALL_INT_MAX) -> int | None:
    """A whole number from text or JSON within [minimum, maximum] (ASCII digits, an optional leading minus when
    minimum < 0); anything else None."""
    if isinstance(value, str):
        text = value.strip()
        negative = text.startswith("-") and minimum < 0
        digits = _digits(text[1:] if negative else text)
        if digits is None:
            return None
        number = -int(digits) if negative else int(digits)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        return None
    return number if minimum <= number <= maximum else None


def int_required(value: Any, *, field: str, label: str | None = None, minimum: int = 0,
                 maximum: int = SMALL_INT_MAX) -> int:  # fmt: skip
    """A whole number that must be there and within range; else a 400 naming the field and the range."""
    number = int_or_none(value, minimum=minimum, maximum=maximum)
    if number is None:
        raise _invalid(
            _("“%(field)s” must be a whole number from %(min)s to %(max)s.")
            % {"field": label or field, "min": minimum, "max": maximum},
            field,
        )
    return number


def json_int(value: Any, *, field: str, label: str | None = None, minimum: int = 0,
             maximum: int = SMALL_INT_MAX) -> int:  # fmt: skip
    """A whole number sent as a JSON number (never a string, a float or a boolean), within range."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise _invalid(
            _("“%(field)s” must be a whole number from %(min)s to %(max)s.")
            % {"field": label or field, "min": minimum, "max": maximum},
            field,
        )
    return value


def json_id(value: Any, *, field: str, label: str | None = None) -> int:
    """An id sent as a JSON number."""
    return json_int(value, field=field, label=label, minimum=1, maximum=ID_MAX)


def json_amount(value: Any, *, field: str, label: str | None = None, minimum: int = 0) -> int:
    """An amount in minor units sent as a JSON number (the till's script): whole, from `minimum` to
    money.AMOUNT_MAX."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= AMOUNT_MAX:
        raise _invalid(
            _("“%(field)s” must be a whole amount in minor units from %(min)s to %(max)s.")
            % {"field": label or field, "min": minimum, "max": AMOUNT_MAX},
            field,
        )
    return value


# --- query strings -----------------------------------------------------------------------------------------------


def query_id(params, name: str) -> int | None:
    """An optional id filter (`?outlet=3`): absent or empty is None; present but not an id is a 400."""
    raw = params.get(name, "")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    number = id_or_none(raw)
    if number is None:
        raise _invalid(_("“%(value)s” is not a valid %(name)s.") % {"value": clean_text(raw, max_length=40),
                                                                   "name": name}, name)  # fmt: skip
    return number


def query_int(params, name: str, *, minimum: int = 0, maximum: int = SMALL_INT_MAX) -> int | None:
    """An optional whole-number filter (`?number=12`): absent or empty is None; anything else out of range is
    a 400."""
    raw = params.get(name, "")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return int_required(raw, field=name, minimum=minimum, maximum=maximum)


# --- JSON bodies -------------------------------------------------------------------------------------------------


def _no_constant(name: str):
    raise ValueError(name)


def json_object(source: HttpRequest | bytes) -> dict:
    """A request's body (or the body itself) that must be a JSON object. A form post, malformed JSON,
    `NaN`/`Infinity`, numbers too long to read, nesting too deep and anything but an object are a 400; strings
    keep their text (fields are cleaned as they are read, with `clean_text`)."""
    body = source
    if isinstance(source, HttpRequest):
        try:
            body = source.body
        except RawPostDataException:  # a multipart form, already read as one: not what a JSON endpoint takes
            raise _invalid(_("The request is not valid JSON.")) from None
    try:
        data = json.loads(body or b"{}", parse_constant=_no_constant)
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError and int()'s digit limit
        raise _invalid(_("The request is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise _invalid(_("The request must be a JSON object."))
    return data
