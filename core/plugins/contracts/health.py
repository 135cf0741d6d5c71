"""Health of the services a plugin depends on, as the Plugins admin page shows it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HealthCheck:
    """One service a plugin relies on (a media server, an API): whether it answers, in a sentence."""

    name: str
    ok: bool
    detail: str = ""
