"""Finding installed plugins by entry-point name and kind (what the contract suites are run over)."""

from __future__ import annotations

import importlib.metadata

import pytest

from core.plugins import ENTRY_POINT_GROUP, PluginConfig, PluginMeta


def load(name: str) -> object:
    """The object the entry point ``name`` names; the test fails clearly when it is not installed."""
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP, name=name):
        obj = entry_point.load()
        if not isinstance(getattr(obj, "peerlearn_meta", None), PluginMeta):
            pytest.fail(f"plugin {name!r} has no peerlearn_meta (a core.plugins.PluginMeta)", pytrace=False)
        return obj
    pytest.fail(
        f"no plugin named {name!r} in the entry-point group {ENTRY_POINT_GROUP!r}: is its package installed "
        "(pip install -e .) and is the name the entry point's?",
        pytrace=False,
    )


def of_kind(kind: str) -> list[str]:
    """Entry-point names of the installed plugins of ``kind`` (``recommender``, ``payment``, ``video``)."""
    found = []
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = entry_point.load()
        except ImportError:  # another kind of plugin whose module is not importable here
            continue
        meta = getattr(obj, "peerlearn_meta", None)
        if isinstance(meta, PluginMeta) and meta.kind == kind:
            found.append(entry_point.name)
    return sorted(found)


def default_config(name: str, obj: object, **values) -> PluginConfig:
    """The plugin's settings at their defaults (what a fresh site gives it), ``values`` changed."""
    meta: PluginMeta = obj.peerlearn_meta  # type: ignore[attr-defined]
    settings = {f.name: f.initial() for f in meta.settings}
    settings.update(values)
    return PluginConfig(plugin=name, site_id=None, values=settings, secret_names=meta.secret_names)
