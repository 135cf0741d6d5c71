"""Stored models: save a fit, find the one serving, load it once per process."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from ..models import PredictionModel

KEEP_PER_KIND = 5
T = TypeVar("T")

_cache: dict[str, tuple[int, Any]] = {}
_lock = threading.Lock()


def save(
    kind: str,
    *,
    status: str,
    payload: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    n_samples: int = 0,
    message: str = "",
    fit_seconds: float = 0.0,
) -> PredictionModel:
    """Store one fit (or the reason there is none) and keep only the last few of its kind."""
    row = PredictionModel.objects.create(
        kind=kind,
        status=status,
        blob=PredictionModel.pack(payload) if payload is not None else b"",
        metrics=metrics or {},
        n_samples=n_samples,
        message=message,
        fit_seconds=round(fit_seconds, 3),
    )
    old = (
        PredictionModel.objects.filter(kind=kind)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[KEEP_PER_KIND:]
    )
    PredictionModel.objects.filter(pk__in=list(old)).delete()
    return row


def current(kind: str) -> PredictionModel | None:
    """The newest ready model of ``kind``."""
    return (
        PredictionModel.objects.filter(kind=kind, status=PredictionModel.READY).order_by("-created_at", "-id").first()
    )


def latest_attempt(kind: str) -> PredictionModel | None:
    return PredictionModel.objects.filter(kind=kind).order_by("-created_at", "-id").first()


def loaded(kind: str, loader: Callable[[dict[str, Any]], T]) -> tuple[PredictionModel | None, T | None]:
    """The serving model of ``kind`` and its object, decoded once per process per stored fit."""
    row = current(kind)
    if row is None:
        return None, None
    with _lock:
        hit = _cache.get(kind)
        if hit is not None and hit[0] == row.pk:
            return row, hit[1]
    obj = loader(row.payload())
    with _lock:
        _cache[kind] = (row.pk, obj)
    return row, obj
