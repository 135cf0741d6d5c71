"""CSV that a spreadsheet opens as data, never as formulas (CSV/formula injection).

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
run as a formula by Excel, LibreOffice and Sheets, so a session title such as
``=HYPERLINK(...)`` would become a live link in the accountant's sheet. Such
cells get a leading apostrophe (shown as text, the OWASP advice); plain
numbers such as ``-12.50`` stay numbers. Our own CSV exports write through
:func:`csv_writer`; Wagtail's listing exports (``list_export`` on viewsets,
reports, form submissions) through :func:`guard_wagtail_csv_exports`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?\Z")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: Any) -> Any:
    """``value`` unchanged unless it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


class SafeCsvWriter:
    """``csv.writer`` whose every cell passes through :func:`safe_cell`."""

    def __init__(self, out: _Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: _Writable, **options: Any) -> SafeCsvWriter:
    """The one CSV writer of the project's exports."""
    return SafeCsvWriter(out, **options)


def guard_wagtail_csv_exports() -> None:
    """Neutralise formula cells in every CSV that Wagtail's admin exports.

    Wagtail's ``SpreadsheetExportMixin`` already turns formulas into text in XLSX
    but writes CSV cells as they are. Its ``preprocess_field_value`` is the one
    place every exported cell passes (our viewsets, Wagtail's reports and form
    submissions, which hold what anonymous visitors typed), so it is wrapped
    once at start-up rather than in each viewset.
    """
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    original = SpreadsheetExportMixin.preprocess_field_value
    if getattr(original, "formula_safe", False):
        return

    def preprocess_field_value(self, field: str, value: Any, export_format: str) -> Any:
        cell = original(self, field, value, export_format)
        return safe_cell(cell) if export_format == self.FORMAT_CSV else cell

    preprocess_field_value.formula_safe = True  # type: ignore[attr-defined]
    SpreadsheetExportMixin.preprocess_field_value = preprocess_field_value  # type: ignore[method-assign]
