"""Receipts as PDF with WeasyPrint: a self-contained HTML page (inline CSS, system fonts, no fetches)."""

from __future__ import annotations

from django.template.loader import render_to_string

from core.scheduling.currency import format_amount

from .models import Receipt


def _fetch_nothing(url: str, *args, **kwargs):
    """Documents are rendered offline: any URL in them is refused rather than fetched."""
    raise ValueError(f"receipts do not load external resources ({url[:80]})")


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html, url_fetcher=_fetch_nothing).write_pdf()


def receipt_pdf(receipt: Receipt) -> bytes:
    money = lambda minor: format_amount(minor, receipt.currency)  # noqa: E731
    lines = [{"description": line["description"], "amount": money(line["amount_minor"])} for line in receipt.lines]
    return render_pdf(
        "pricing/receipt_pdf.html",
        {
            "receipt": receipt,
            "lines": lines,
            "net": money(receipt.net_minor),
            "tax": money(receipt.tax_minor),
            "total": money(receipt.total_minor),
        },
    )
