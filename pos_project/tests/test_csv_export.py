"""The product's one CSV writer (issue 12, finding 6)."""

import csv
import io
from decimal import Decimal

import pytest

from pos_project.csv_export import csv_cell, csv_cell_read, csv_lines, csv_response


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", '=HYPERLINK("http://x","y")', "-20% promo", "'=x", "''"]
)
def test_text_a_spreadsheet_would_run_is_quoted_and_reads_back_exactly(text):
    written = csv_cell(text)
    assert written.startswith("'") and written[1:] == text
    assert csv_cell_read(written) == text


@pytest.mark.parametrize("text", ["Latte", "", "'quoted", "a=b", "100", "O'Brien", "'"])
def test_other_text_is_left_alone(text):
    assert csv_cell(text) == text and csv_cell_read(text) == text


def test_numbers_stay_numbers_even_negative():
    assert [csv_cell(v) for v in (-3, 0, Decimal("-2.500"), Decimal("1E+3"), None, True)] == [
        "-3", "0", "-2.500", "1000", "", "yes"
    ]  # fmt: skip


def test_lines_and_the_download_response():
    rows = [["name", "quantity"], ["=evil()", Decimal("-1.5")]]
    text = "".join(csv_lines(rows))
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:]))) == [["name", "quantity"], ["'=evil()", "-1.5"]]
    response = csv_response(rows, filename="x.csv")
    assert response["Cache-Control"] == "no-store" and response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert b"".join(response.streaming_content).decode("utf-8") == text
