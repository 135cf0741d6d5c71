"""Domain events: plain notifications the core emits and plugins may listen to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

EVENT_NAMES = frozenset(
    {
        "user.signed_up",
        "booking.created",
        "booking.confirmed",
        "booking.cancelled",
        "booking.expired",
        "booking.completed",
        "booking.no_show",
        "session.started",
        "session.ended",
        "payment.succeeded",
        "payment.failed",
        "payment.refunded",
        "feedback.given",
    }
)


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened. ``payload`` holds ids and plain values only."""

    name: str
    occurred_at: datetime
    site_id: int | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.name not in EVENT_NAMES:
            raise ValueError(f"unknown domain event {self.name!r}")
