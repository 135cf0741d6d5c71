"""What a plugin says about itself, and the settings it receives."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _

from .contracts.recommenders import RecommenderFamily

SettingKind = Literal["str", "text", "int", "float", "bool", "choice", "secret", "secret_text", "url"]


@dataclass(frozen=True)
class SettingField:
    """One setting of a plugin, rendered as a form field in the Wagtail admin.

    ``kind="secret"`` fields (and ``"secret_text"``, a multi-line secret such as a
    PEM private key or a service-account JSON) are encrypted at rest and write-only: the admin never shows them back
    and the core masks them in logs and error reports. ``env`` names an
    environment variable that supplies the default for a fresh deployment.
    """

    name: str
    label: str
    kind: SettingKind = "str"
    default: Any = None
    env: str | None = None
    help_text: str = ""
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def is_secret(self) -> bool:
        return self.kind in {"secret", "secret_text"}

    def initial(self) -> Any:
        """The default value: the environment variable if set, else ``default``."""
        if self.env and os.environ.get(self.env):
            return self.coerce(os.environ[self.env])
        return self.default

    def coerce(self, value: Any) -> Any:
        if value is None or value == "":
            return None if self.kind not in {"str", "text", "secret", "secret_text", "url"} else ""
        if self.kind == "int":
            return int(value)
        if self.kind == "float":
            return float(value)
        if self.kind == "bool":
            if isinstance(value, str):
                return value.strip().lower() in {"1", "true", "yes", "on"}
            return bool(value)
        return str(value)


PluginKind = Literal["recommender", "payment", "video", "calendar", "events", "other"]

#: What the admin calls each kind; a plugin declares the code, the core names it in the reader's language.
KIND_LABELS: dict[str, Any] = {
    "recommender": _("Recommender"),
    "payment": _("Payment gateway"),
    "video": _("Video"),
    "calendar": _("Calendar"),
    "events": _("Events"),
    "other": _("Other"),
}


@dataclass(frozen=True)
class PluginMeta:
    """Metadata every plugin declares as ``peerlearn_meta``.

    ``core_versions`` is a PEP 440 specifier (for example ``">=0.1,<1"``) of the
    plugin API version (:data:`core.plugins.API_VERSION`); a plugin whose
    specifier excludes it is listed but not loaded.

    ``families`` (plugin API 0.4) declares blend families of the plugin's own
    (:class:`~core.plugins.contracts.recommenders.RecommenderFamily`) for its
    recommenders to name; an invalid declaration keeps the plugin from loading.
    """

    name: str
    version: str
    author: str
    description: str
    kind: PluginKind
    core_versions: str = ">=0.1"
    settings: tuple[SettingField, ...] = ()
    enabled_by_default: bool = True
    url: str = ""
    families: tuple[RecommenderFamily, ...] = ()

    @property
    def kind_label(self) -> str:
        """The kind as the admin shows it, translated (an unknown code is shown as it is)."""
        return str(KIND_LABELS.get(self.kind, self.kind))

    def setting(self, name: str) -> SettingField | None:
        return next((f for f in self.settings if f.name == name), None)

    @property
    def secret_names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.settings if f.is_secret)

    def missing_settings(self, values: Mapping[str, Any]) -> list[str]:
        """Labels of the required settings ``values`` leaves empty: the plugin is not configured without them."""
        return [f.label for f in self.settings if f.required and values.get(f.name) in (None, "")]


@dataclass(frozen=True)
class PluginConfig(Mapping[str, Any]):
    """A plugin's resolved settings for one Wagtail site (secrets included).

    Its ``repr`` masks secrets, so logging a config never leaks a key.
    """

    plugin: str
    site_id: int | None
    values: Mapping[str, Any] = field(default_factory=dict)
    secret_names: frozenset[str] = frozenset()

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        shown = {k: ("***" if k in self.secret_names and v else v) for k, v in self.values.items()}
        return f"PluginConfig(plugin={self.plugin!r}, site_id={self.site_id!r}, values={shown!r})"

    __str__ = __repr__

    def secret_values(self) -> list[str]:
        return [str(self.values[k]) for k in self.secret_names if self.values.get(k)]
