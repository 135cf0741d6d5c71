"""Refitting recommenders in the background (Celery beat, and "Refit now" in the admin)."""

from __future__ import annotations

from celery import shared_task
from wagtail.models import Site

from . import store


@shared_task
def refit_recommenders(site_id: int | None = None) -> list[dict]:
    """Fit every enabled recommender of one site (or all sites) and store the models."""
    site_ids = [site_id] if site_id is not None else list(Site.objects.values_list("pk", flat=True))
    outcomes = []
    for sid in site_ids:
        for outcome in store.refit(sid):
            outcomes.append(
                {
                    "site": sid,
                    "key": outcome.key,
                    "plugin": outcome.plugin,
                    "ok": outcome.ok,
                    "seconds": outcome.seconds,
                }
            )
    return outcomes
