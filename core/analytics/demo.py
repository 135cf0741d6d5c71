"""Demo seeding for analytics: fill the log from the seeded history, then fit the four models.

Called by ``manage.py seed_demo`` once ``core.analytics.demo`` is listed in
``core.demo.seed.APP_SEEDERS`` (after the apps whose data it reads).
"""

from __future__ import annotations

from .services.backfill import backfill
from .tasks import refit_models


def seed(context) -> None:
    written = backfill()
    context.report.counts["analytics events backfilled"] = sum(written.values())
    results = refit_models()
    context.report.counts["prediction models ready"] = sum(1 for v in results.values() if v == "ready")
