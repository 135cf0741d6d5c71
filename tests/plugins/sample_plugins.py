"""Plugins for the plugin-host tests, installed through a real entry point.

They are disabled by default, like any plugin an editor has not turned on.
"""

from __future__ import annotations

import threading
import time

from core.plugins import IceServer, PluginMeta, SettingField, hookimpl

SECRET_SETTING = SettingField("api_key", "API key", "secret", env="TEST_PLUGIN_API_KEY")
PEM_SETTING = SettingField("private_key", "Private key (PEM)", "secret_text")


def _meta(name: str, **extra) -> PluginMeta:
    extra.setdefault("enabled_by_default", False)
    return PluginMeta(
        name=name,
        version="1.0",
        author="Tests",
        description=f"{name} (test plugin)",
        kind="video",
        core_versions=extra.pop("core_versions", ">=0.1,<1"),
        **extra,
    )


class Good:
    peerlearn_meta = _meta("Good", settings=(SettingField("urls", "URLs", default="stun:good.example:3478"),))

    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def peerlearn_ice_servers(self, config, participant):
        self.calls += 1
        return [IceServer(urls=(config["urls"],))]


class Raising:
    peerlearn_meta = _meta("Raises", settings=(SECRET_SETTING, PEM_SETTING))

    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def peerlearn_ice_servers(self, config, participant):
        self.calls += 1
        raise RuntimeError(f"gateway refused key {config['api_key']}")


class Hanging:
    peerlearn_meta = _meta("Hangs")

    def __init__(self) -> None:
        self.release = threading.Event()

    @hookimpl
    def peerlearn_ice_servers(self, config, participant):
        self.release.wait(timeout=10)
        return []


class Garbage:
    peerlearn_meta = _meta("Garbage")

    @hookimpl
    def peerlearn_ice_servers(self, config, participant):
        return "stun:not-a-list"


class NoMeta:
    @hookimpl
    def peerlearn_ice_servers(self, config, participant):
        return []


class Incompatible:
    peerlearn_meta = _meta("Incompatible", core_versions=">=99")

    @hookimpl
    def peerlearn_ice_servers(self, config, participant):
        return []


class UnknownHook:
    peerlearn_meta = _meta("Unknown hook")

    @hookimpl
    def peerlearn_no_such_hook(self, config):
        return None


good = Good()
raising = Raising()
hanging = Hanging()
garbage = Garbage()
no_meta = NoMeta()
incompatible = Incompatible()
unknown_hook = UnknownHook()

__all__ = ["good", "raising", "hanging", "garbage", "no_meta", "incompatible", "unknown_hook", "time"]
