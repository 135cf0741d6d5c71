"""Blend families: the four built-in ones and those recommender plugins declare.

A plugin declares a family in ``PluginMeta.families`` (checked by the plugin
manager at load). A declared family exists on a site while its plugin is
loaded and enabled there: its weight is the one an editor stored in
``RecommendationSettings.family_weights`` or, until then, the declared
default. A stored weight outlives the plugin being disabled or removed, so the
family comes back with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.plugins.manager import get_manager

from .ranker import Weights

#: The prefix of a declared family's weight field in the admin forms (``family_weight__<name>``).
FIELD_PREFIX = "family_weight__"


@dataclass(frozen=True)
class Family:
    """A family as the admin shows it; ``plugin`` is empty for a built-in one."""

    name: str
    label: Any
    default_weight: float
    description: Any = ""
    plugin: str = ""

    @property
    def builtin(self) -> bool:
        return not self.plugin

    @property
    def field_name(self) -> str:
        return FIELD_PREFIX + self.name


BUILTIN: tuple[Family, ...] = (
    Family("content", _("Content"), 0.4, _("What a mentor teaches, matched to the learner's interests and history.")),
    Family("collaborative", _("Collaborative"), 0.3, _("Learners who booked the same things also booked this.")),
    Family("popularity", _("Popularity"), 0.2, _("Booked and attended most, recent activity counting more.")),
    Family("trending", _("Trending"), 0.1, _("Interest growing fastest now.")),
)


def declared(site_id: int | None = None, *, enabled_only: bool = True) -> list[Family]:
    """Families declared by loaded plugins (enabled on ``site_id`` unless ``enabled_only`` is false), in load order."""
    manager = get_manager()
    return [
        Family(family.name, family.label, float(family.default_weight), family.description, plugin)
        for family_name, (plugin, family) in manager.declared_families().items()
        if not enabled_only or manager.is_enabled(plugin, site_id)
    ]


def active(site_id: int | None) -> list[Family]:
    """Every family a site blends now: the built-in ones, then those of its enabled plugins."""
    return [*BUILTIN, *declared(site_id)]


def declared_weights(stored: Mapping[str, Any] | None, families: list[Family]) -> dict[str, float]:
    """Each declared family's weight: the stored one when it is a usable number, else its default."""
    stored = stored or {}
    out: dict[str, float] = {}
    for family in families:
        value = stored.get(family.name)
        usable = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < float("inf")
        out[family.name] = float(value) if usable else family.default_weight
    return out


def site_weights(base: Weights, stored: Mapping[str, Any] | None, site_id: int | None) -> Weights:
    """``base`` (the built-in families' weights) with the site's declared families added."""
    return replace(base, declared=declared_weights(stored, declared(site_id)))
