"""core.security.spreadsheet: formula cells become text, numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from core.security.spreadsheet import csv_writer, safe_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-12.50", "-12.50"),
        ("+44", "+44"),
        ("Data analysis", "Data analysis"),
        ("a=b", "a=b"),
        ("", ""),
        (-1250, -1250),
        (Decimal("-12.50"), Decimal("-12.50")),
        (None, None),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_writer_applies_it_to_every_cell():
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["=A1", "ok", -3])
    writer.writerows([["@x"], ["-1.5"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=A1", "ok", "-3"], ["'@x"], ["-1.5"]]
