"""Celery tasks of analytics: refit the four models, score churn, prune the log (beat); push the live tiles."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger("peerlearn.analytics")


@shared_task(name="core.analytics.tasks.refit_models")
def refit_models() -> dict[str, str]:
    """Refit every prediction model, then rescore churn. Each fit is independent: one failing keeps the others."""
    from .models import PredictionModel
    from .services import churn, paths, pricing, store, success

    results = {}
    for kind, fit in (
        (PredictionModel.CHURN, churn.fit_churn),
        (PredictionModel.SESSION_SUCCESS, success.fit_success),
        (PredictionModel.PRICING, pricing.fit_pricing),
        (PredictionModel.LEARNING_PATH, paths.fit_learning_path),
    ):
        try:
            results[kind] = fit().status
        except Exception as exc:
            logger.exception("refitting the %s model failed", kind)
            store.save(kind, status=PredictionModel.FAILED, message=f"{type(exc).__name__}: {exc}")
            results[kind] = PredictionModel.FAILED
    results["churn_scored"] = str(churn.score_churn())
    return results


@shared_task(name="core.analytics.tasks.score_churn")
def score_churn() -> int:
    from .services import churn

    return churn.score_churn()


@shared_task(name="core.analytics.tasks.prune_events")
def prune_events() -> dict[str, int]:
    from .services.events import prune_events as prune

    return prune()


@shared_task(name="core.analytics.tasks.push_live_tiles", ignore_result=True)
def push_live_tiles() -> None:
    """The trailing push of a second's changes (:func:`core.analytics.services.live.push_tiles_coalesced`)."""
    from core.analytics.services.live import push_tiles

    push_tiles()
