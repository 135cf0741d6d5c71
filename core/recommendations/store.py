"""Fitting, storing and loading recommender models.

Fitting happens only here (the Celery beat task, the admin's "Refit now",
``manage.py refit_recommenders``); serving only loads. Every call into a
plugin goes through the plugin manager, so a recommender that raises or
overruns its budget is recorded, skipped, and leaves the others working.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from core.pages.cache import bump_on_commit
from core.plugins import BUILTIN_FAMILIES, Recommender, TrainingData
from core.plugins.config import default_site_id
from core.plugins.manager import get_manager

from . import sources
from .models import RecommenderModel

#: Bumped when a model is fitted: every ranking kept by ``services.recommend`` is stale.
RECOMMENDATIONS_TAG = "recommendations"

logger = logging.getLogger("peerlearn.recommendations")

HOOK = "peerlearn_recommenders"


def _conf(name: str, default: float) -> float:
    return float(getattr(settings, "PEERLEARN_RECOMMENDATIONS", {}).get(name, default))


def fit_budget() -> float:
    """Seconds one recommender may spend fitting (large item-item models take a while)."""
    return _conf("FIT_BUDGET", 900.0)


def load_budget() -> float:
    """Seconds one recommender may take to load its stored model (an item-item model reads a few hundred MB)."""
    return _conf("LOAD_BUDGET", 60.0)


def score_budget() -> float:
    """Seconds one recommender may spend scoring one request before it is left out."""
    return _conf("SCORE_BUDGET", 1.0)


def recommenders(site_id: int | None) -> list[tuple[str, Recommender]]:
    """Fresh, unfitted instances from every enabled recommender plugin (first of each key wins).

    A recommender whose family is neither built in nor declared by a loaded
    plugin is charged to its plugin and left out.
    """
    seen: set[str] = set()
    out: list[tuple[str, Recommender]] = []
    manager = get_manager()
    known = {*BUILTIN_FAMILIES, *manager.declared_families()}
    for plugin, rec in manager.providers(HOOK, site_id=site_id):
        key = getattr(rec, "key", None)
        if not isinstance(key, str) or not key:
            manager.blame(plugin, HOOK, f"a recommender without a text key ({key!r}); ignored", site_id=site_id)
            continue
        if rec.family not in known:
            manager.blame(
                plugin,
                HOOK,
                f"recommender {key!r} names family {rec.family!r}, which is neither built in "
                f"({', '.join(BUILTIN_FAMILIES)}) nor declared by a loaded plugin; ignored",
                site_id=site_id,
            )
            continue
        if key in seen:
            logger.error("Recommender key %r of plugin %s is taken by another plugin; ignored", key, plugin)
            continue
        seen.add(key)
        out.append((plugin, rec))
    return out


@dataclass
class FitOutcome:
    key: str
    plugin: str
    ok: bool
    seconds: float = 0.0
    error: str = ""


def _fit_and_dump(rec: Recommender, data: TrainingData) -> bytes:
    rec.fit(data)
    return rec.dumps()


def refit(site_id: int | None = None, keys: set[str] | None = None) -> list[FitOutcome]:
    """Fit every enabled recommender of a site on the current data and store the results."""
    site_id = site_id if site_id is not None else default_site_id()
    if site_id is None:
        return []
    manager = get_manager()
    data = sources.training_data()
    stamps = [it.at for it in data.interactions]
    outcomes: list[FitOutcome] = []
    for plugin, rec in recommenders(site_id):
        if keys is not None and rec.key not in keys:
            continue
        start = time.perf_counter()
        blob = manager.invoke(
            plugin,
            f"fit {rec.key}",
            _fit_and_dump,
            expect=bytes,
            budget=fit_budget(),
            site_id=site_id,
            rec=rec,
            data=data,
        )
        seconds = time.perf_counter() - start
        row, _ = RecommenderModel.objects.get_or_create(
            site_id=site_id, key=rec.key, defaults={"plugin": plugin, "family": rec.family, "label": rec.label}
        )
        now = timezone.now()
        if blob is None:
            row.last_attempt_at = now
            row.last_error = "Fitting failed or overran its budget; see the plugin errors. The previous model stays."
            row.save(update_fields=["last_attempt_at", "last_error"])
            outcomes.append(FitOutcome(rec.key, plugin, False, seconds, row.last_error))
            continue
        old_name = row.blob.name if row.blob else ""
        name = default_storage.save(
            f"recommenders/site-{site_id}/{rec.key}-{now:%Y%m%dT%H%M%S%f}.bin", ContentFile(blob)
        )
        row.plugin, row.family, row.label = plugin, rec.family, rec.label
        row.blob.name = name
        row.size_bytes = len(blob)
        row.fitted_at = row.last_attempt_at = now
        row.fit_seconds = seconds
        row.n_interactions = len(data.interactions)
        row.n_users = len({it.user_id for it in data.interactions})
        row.n_items = len(data.items)
        row.data_from = min(stamps) if stamps else None
        row.data_to = max(stamps) if stamps else None
        row.config = _jsonable(manager.config_for(plugin, site_id).values) if plugin in manager.plugins else {}
        row.last_error = ""
        row.save()
        if old_name and old_name != name:
            transaction.on_commit(lambda n=old_name: default_storage.delete(n))
        outcomes.append(FitOutcome(rec.key, plugin, True, seconds))
        bump_on_commit(RECOMMENDATIONS_TAG)
        logger.info("Fitted %s (%s) in %.2fs on %d interactions", rec.key, plugin, seconds, len(data.interactions))
    return outcomes


def _jsonable(values: Any) -> dict[str, Any]:
    return {k: v if isinstance(v, int | float | str | bool | type(None)) else str(v) for k, v in dict(values).items()}


# --- loading for serving -------------------------------------------------------


@dataclass
class Loaded:
    plugin: str
    recommender: Recommender
    fitted_at: Any


_loaded: dict[int | None, tuple[tuple, float, list[Loaded]]] = {}
_lock = threading.Lock()
RECHECK_SECONDS = 5.0


def _load(rec: Recommender, blob: bytes) -> bool:
    rec.loads(blob)
    return True


def loaded(site_id: int | None) -> list[Loaded]:
    """The site's fitted recommenders, loaded once per process and reloaded when refitted.

    What is loaded is checked against the database at most every few seconds,
    so a refit (or a plugin switched off) reaches every process shortly after.
    """
    now = time.monotonic()
    cached = _loaded.get(site_id)
    if cached is not None and now - cached[1] < RECHECK_SECONDS:
        return cached[2]
    manager = get_manager()
    rows = {
        r.key: r for r in RecommenderModel.objects.filter(site_id=site_id, fitted_at__isnull=False).exclude(blob="")
    }
    enabled = tuple(
        (name, repr(sorted(manager.config_for(name, site_id).values.items())))
        for name in sorted(p.name for p in manager.loaded() if manager.is_enabled(p.name, site_id))
    )
    stamp = (enabled, tuple(sorted((k, r.blob.name) for k, r in rows.items())))
    with _lock:
        cached = _loaded.get(site_id)
        if cached is not None and cached[0] == stamp:
            _loaded[site_id] = (stamp, now, cached[2])
            return cached[2]
        result: list[Loaded] = []
        for plugin, rec in recommenders(site_id):
            row = rows.get(rec.key)
            if row is None:
                continue  # never fitted: serving never fits
            try:
                with default_storage.open(row.blob.name, "rb") as handle:
                    blob = handle.read()
            except OSError:
                logger.exception("Stored model of %s is missing: %s", rec.key, row.blob.name)
                continue
            loaded_ok = manager.invoke(
                plugin, f"load {rec.key}", _load, expect=bool, budget=load_budget(), site_id=site_id, rec=rec, blob=blob
            )
            if loaded_ok:
                result.append(Loaded(plugin, rec, row.fitted_at))
        _loaded[site_id] = (stamp, now, result)
        return result


def forget_loaded() -> None:
    """Drop what this process loaded (tests, and after plugins change)."""
    with _lock:
        _loaded.clear()
