"""The one parser of request input (pos_project/parsing.py), against generated input: whatever a client sends,
it answers a value in range, None, or a ServiceError, never anything else, and cleaned text has no control
characters."""

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from pos_project import parsing
from pos_project.errors import ServiceError
from pos_project.money import AMOUNT_MAX, MoneyError, parse_amount

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # all but tab, line feed and return
anything = st.one_of(
    st.text(),
    st.text(alphabet="0123456789²٣①¹ -+."),
    st.integers(),
    st.integers(min_value=10**18),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
)


@given(anything)
def test_an_id_is_an_ascii_number_in_range_or_none(value):
    number = parsing.id_or_none(value)
    assert number is None or (type(number) is int and 1 <= number <= parsing.ID_MAX)
    if isinstance(value, str) and number is not None:
        assert value.strip().isascii()


@given(anything, st.integers(-(10**6), 0), st.integers(0, 10**12))
def test_a_whole_number_is_in_range_or_none(value, minimum, maximum):
    number = parsing.int_or_none(value, minimum=minimum, maximum=maximum)
    assert number is None or minimum <= number <= maximum


@given(anything)
def test_a_json_amount_is_in_range_or_a_service_error(value):
    try:
        amount = parsing.json_amount(value, field="amount")
    except ServiceError as exc:
        assert exc.code == "request.invalid"
    else:
        assert type(amount) is int and 0 <= amount <= AMOUNT_MAX


@given(st.text(), st.booleans())
def test_clean_text_has_no_control_characters(text, multiline):
    cleaned = parsing.clean_text(text, multiline=multiline)
    assert not CONTROL.search(cleaned) and "\x00" not in cleaned
    if not multiline:
        assert not re.search("[\t\n\r]", cleaned)


json_values = st.recursive(
    st.none() | st.integers() | st.text(), lambda children: st.lists(children) | st.dictionaries(st.text(), children)
)


@given(st.binary(max_size=200) | json_values.map(lambda value: json.dumps(value).encode()))
def test_a_json_body_is_an_object_or_a_service_error(body):
    try:
        data = parsing.json_object(body)
    except ServiceError as exc:
        assert exc.status == 400
    else:
        assert isinstance(data, dict)


@given(st.text(alphabet="0123456789.,²٣ Rp-", max_size=40) | st.just("9" * 5000))
def test_a_typed_amount_is_bounded(text):
    try:
        amount = parse_amount(text, "IDR")
    except MoneyError:
        return
    assert abs(amount) <= AMOUNT_MAX
