"""The dashboard's report as CSV: one row per period, money in major units, one column per currency."""

from __future__ import annotations

import io

from core.scheduling.currency import to_decimal
from core.security.spreadsheet import csv_writer

from .metrics import COUNT_METRICS, LABELS, MONEY_METRICS, RATE_METRICS, Report


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def report_csv(report: Report) -> str:
    """CSV text of ``report``: empty cells where a rate has nothing to divide (an empty period)."""
    out = io.StringIO()
    writer = csv_writer(out)
    currencies = report.currencies
    header = [
        "period_start",
        "period_end",
        *COUNT_METRICS,
        "booked_hours",
        "offered_hours",
        *RATE_METRICS,
        "rating_average",
    ]
    header += [f"{metric}_{currency}" for metric in MONEY_METRICS for currency in currencies]
    writer.writerow(header)
    for index, period in enumerate(report.periods):
        row = [period.label, period.last_day.isoformat()]
        row += [report.series[m][index] for m in COUNT_METRICS]
        row += [report.series["booked_hours"][index], report.series["offered_hours"][index]]
        row += [_rate(report.series[m][index]) for m in RATE_METRICS]
        rating = report.series["rating_average"][index]
        row.append("" if rating is None else f"{rating:.2f}")
        for metric in MONEY_METRICS:
            for currency in currencies:
                value = report.money[metric].get(currency, [None] * len(report.periods))[index]
                row.append("" if value is None else str(to_decimal(value, currency)))
        writer.writerow(row)
    skill = report.request.skill
    writer.writerow([])
    writer.writerow(["# skill", skill.slug if skill else "all"])
    writer.writerow(["# granularity", report.request.granularity])
    writer.writerow(["# metrics", "; ".join(f"{k}: {v}" for k, v in LABELS.items())])
    return out.getvalue()
