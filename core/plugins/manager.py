"""The plugin host: loads plugins from entry points and calls them in isolation.

The rest of the core calls plugins only through :class:`PluginManager`:

* ``call(hook, ...)`` runs one hook in every enabled plugin, each on its own;
* ``providers(hook, ...)`` flattens hooks that return provider objects;
* ``invoke(plugin, label, fn, ...)`` runs one provider method the same way;
* ``blame(plugin, label, error)`` charges the plugin with a fault the core
  found while using its answer;
* ``emit(event)`` tells event listeners after the transaction commits.

Each call runs on the plugin's own bulkhead (a few threads per plugin and
site, see :mod:`.bulkhead`) bounded by a time budget. A plugin that raises,
overruns its budget, has every slot still taken by earlier calls ("busy"), or
returns a value that does not match the hook's annotation (dataclass fields
included, see :mod:`.typecheck`) is logged and recorded under its name and
skipped; after ``BREAKER_THRESHOLD`` failures in a row its circuit breaker
opens on that site and it is skipped there for ``BREAKER_COOLDOWN`` seconds.
Payment calls pass ``raise_errors=True`` to fail closed instead of being
skipped.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib.metadata
import logging
import threading
import time
import traceback
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import pluggy
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections, transaction
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from . import breaker, config, hookspecs
from .bulkhead import Bulkheads, Busy
from .contracts.events import DomainEvent
from .contracts.recommenders import RecommenderFamily
from .markers import API_VERSION, ENTRY_POINT_GROUP, PROJECT_NAME
from .meta import PluginConfig, PluginMeta
from .signals import domain_event_emitted
from .typecheck import mismatch

logger = logging.getLogger("peerlearn.plugins")

_NO_CHECK = object()
#: Gates read for a batch of calls (:meth:`PluginManager.gates_read_once`), by (plugin, site).
_read_once: contextvars.ContextVar[dict[tuple[str, int | None], _Gate] | None] = contextvars.ContextVar(
    "peerlearn_plugin_gates", default=None
)


class PluginCallError(Exception):
    """A plugin call failed; raised only for callers that fail closed."""

    def __init__(self, plugin: str, hook: str, kind: str, message: str) -> None:
        super().__init__(f"{plugin}: {message}")
        self.plugin = plugin
        self.hook = hook
        self.kind = kind
        self.message = message


@dataclass
class InstalledPlugin:
    name: str
    entry_point: str
    distribution: str
    distribution_version: str
    meta: PluginMeta | None = None
    obj: object | None = None
    load_error: str = ""

    @property
    def loaded(self) -> bool:
        return self.obj is not None and not self.load_error

    @property
    def hooks(self) -> list[str]:
        if not self.loaded:
            return []
        return sorted(name for name in dir(self.obj) if name.startswith("peerlearn_") and name != "peerlearn_meta")


def _run_in_thread(fn: Callable[..., Any], kwargs: Mapping[str, Any]) -> Any:
    try:
        return fn(**kwargs)
    finally:
        # Plugin threads must not leak database connections.
        connections.close_all()


class PluginManager:
    def __init__(self, group: str = ENTRY_POINT_GROUP, core_version: str | None = None) -> None:
        self.group = group
        # Plugins are checked against the plugin API's own version, not the product's.
        self.core_version = core_version or API_VERSION
        self._pm = pluggy.PluginManager(PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._return_types = {
            name: typing.get_type_hints(getattr(hookspecs, name))["return"]
            for name in dir(hookspecs)
            if name.startswith("peerlearn_")
        }
        conf = settings.PEERLEARN_PLUGINS
        self.default_budget = float(conf["TIME_BUDGET"])
        self._bulkheads = Bulkheads(int(conf["CONCURRENCY"]))
        self.plugins: dict[str, InstalledPlugin] = {}
        self._load_entry_points()

    # --- loading ------------------------------------------------------------

    def _load_entry_points(self) -> None:
        for ep in importlib.metadata.entry_points(group=self.group):
            dist = getattr(ep, "dist", None)
            record = InstalledPlugin(
                name=ep.name,
                entry_point=ep.value,
                distribution=dist.metadata["Name"] if dist else "",
                distribution_version=dist.version if dist else "",
            )
            if ep.name in self.plugins:
                logger.error("Plugin name %s is declared twice; keeping the first", ep.name)
                continue
            self.plugins[ep.name] = record
            try:
                record.obj = ep.load()
            except Exception as exc:  # an import error must not stop the site
                record.load_error = f"import failed: {type(exc).__name__}: {exc}"
                logger.exception("Plugin %s could not be imported", ep.name)
                continue
            record.load_error = self._register(record)
            if record.load_error:
                logger.error("Plugin %s not loaded: %s", ep.name, record.load_error)

    def _register(self, record: InstalledPlugin) -> str:
        meta = getattr(record.obj, "peerlearn_meta", None)
        if not isinstance(meta, PluginMeta):
            return "no peerlearn_meta (a core.plugins.PluginMeta) on the plugin object"
        record.meta = meta
        try:
            compatible = SpecifierSet(meta.core_versions).contains(self.core_version, prereleases=True)
        except InvalidSpecifier:
            return f"invalid core_versions specifier {meta.core_versions!r}"
        if not compatible:
            return f"needs plugin API {meta.core_versions}, this is {self.core_version}"
        problem = self._families_problem(record.name, meta)
        if problem:
            return problem
        try:
            self._pm.register(record.obj, name=record.name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            return f"invalid hook implementation: {exc}"
        unknown = [caller.name for caller in self._pm.get_hookcallers(record.obj) or [] if caller.spec is None]
        if unknown:
            self._pm.unregister(record.obj)
            return f"implements unknown hooks: {', '.join(sorted(unknown))}"
        return ""

    def _families_problem(self, name: str, meta: PluginMeta) -> str:
        """Why ``meta.families`` cannot be accepted ("" when it can): each valid, none taken before."""
        families = meta.families
        if not isinstance(families, tuple | list):
            return f"families must be a tuple of RecommenderFamily, not {type(families).__name__}"
        taken = self.declared_families(exclude=name)
        for family in families:
            if not isinstance(family, RecommenderFamily):
                return f"families must hold RecommenderFamily declarations, not {type(family).__name__}"
            problem = family.problem()
            if problem:
                return f"invalid recommender family: {problem}"
            if family.name in taken:
                return f"recommender family {family.name!r} is already declared by plugin {taken[family.name][0]}"
            taken[family.name] = (name, family)
        return ""

    def declared_families(self, exclude: str = "") -> dict[str, tuple[str, RecommenderFamily]]:
        """Families declared by loaded plugins (but ``exclude``): ``{name: (plugin, declaration)}``, in load order."""
        declared: dict[str, tuple[str, RecommenderFamily]] = {}
        for plugin in self.loaded():
            if plugin.meta is not None and plugin.name != exclude:
                for family in plugin.meta.families:
                    declared.setdefault(family.name, (plugin.name, family))
        return declared

    def loaded(self) -> list[InstalledPlugin]:
        return [p for p in self.plugins.values() if p.loaded]

    # --- configuration ------------------------------------------------------

    def is_enabled(self, name: str, site_id: int | None = None) -> bool:
        plugin = self.plugins.get(name)
        if plugin is None or not plugin.loaded or plugin.meta is None:
            return False
        return config.is_enabled(plugin.meta, name, self._site(site_id))

    def config_for(self, name: str, site_id: int | None = None) -> PluginConfig:
        plugin = self.plugins[name]
        assert plugin.meta is not None
        return config.resolve(plugin.meta, name, self._site(site_id))

    @staticmethod
    def _site(site_id: int | None) -> int | None:
        return site_id if site_id is not None else config.default_site_id()

    @classmethod
    def _gate(cls, plugin: str, site_id: int | None) -> _Gate:
        """The breaker's state and the site's stored configurations in one cache round trip, not three
        (or as read for a batch of calls, :meth:`gates_read_once`)."""
        batch = _read_once.get()
        if batch is not None and (plugin, site_id) in batch:
            return batch[plugin, site_id]
        return cls._gates([plugin], site_id)[plugin]

    @staticmethod
    def _gates(plugins: Iterable[str], site_id: int | None) -> dict[str, _Gate]:
        """:meth:`_gate` of each of ``plugins`` on one site, all in one cache round trip."""
        plugins = list(dict.fromkeys(plugins))
        if site_id is None:
            return {name: _Gate(open=breaker.is_open(name, site_id), failing=True, stored={}) for name in plugins}
        keys = [key for name in plugins for key in breaker.state_keys(name, site_id)]
        found = cache.get_many([*keys, config.cache_key(site_id)])
        stored = config.stored_for_site(site_id, found.get(config.cache_key(site_id)))
        return {
            name: _Gate(
                open=breaker.open_in(found, name, site_id),
                failing=breaker.failing_in(found, name, site_id),
                stored=stored,
            )
            for name in plugins
        }

    @contextlib.contextmanager
    def gates_read_once(self, plugins: Iterable[str], site_id: int | None = None) -> Iterator[None]:
        """Within the block, :meth:`invoke` of ``plugins`` on the site uses their breakers and configurations
        as read once at its start: one cache round trip for a batch of calls (the recommenders asked for
        one ranking) instead of one per call. A breaker that opens meanwhile is obeyed from the next batch."""
        site_id = self._site(site_id)
        token = _read_once.set({(name, site_id): gate for name, gate in self._gates(plugins, site_id).items()})
        try:
            yield
        finally:
            _read_once.reset(token)

    # --- calling ------------------------------------------------------------

    def call(
        self,
        hook: str,
        *,
        site_id: int | None = None,
        budget: float | None = None,
        only: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> list[tuple[str, Any]]:
        """Run ``hook`` in every enabled plugin; return ``(plugin, result)`` of those that worked."""
        site_id = self._site(site_id)
        wanted = set(only) if only is not None else None
        results: list[tuple[str, Any]] = []
        # pluggy keeps implementations last-registered-first; we call in load order.
        impls = [
            impl
            for impl in reversed(getattr(self._pm.hook, hook).get_hookimpls())
            if wanted is None or impl.plugin_name in wanted
        ]
        gates = self._gates([impl.plugin_name for impl in impls], site_id) if impls else {}
        for impl in impls:
            name = impl.plugin_name
            gate = gates[name]
            plugin = self.plugins.get(name)
            if plugin is None or not plugin.loaded or plugin.meta is None or gate.open:
                continue
            if not config.is_enabled(plugin.meta, name, site_id, gate.stored):
                continue
            plugin_config = config.resolve(plugin.meta, name, site_id, gate.stored)
            arguments = {"config": plugin_config, **kwargs}
            accepted = {k: v for k, v in arguments.items() if k in impl.argnames}
            ok, value = self._run(
                name,
                hook,
                impl.function,
                accepted,
                expect=self._return_types[hook],
                budget=budget,
                config=plugin_config,
                site_id=site_id,
                failing=gate.failing,
            )
            if ok:
                results.append((name, value))
        return results

    def providers(self, hook: str, *, site_id: int | None = None, **kwargs: Any) -> list[tuple[str, Any]]:
        """Flatten a hook that returns a sequence of provider objects."""
        return [
            (plugin, provider)
            for plugin, provided in self.call(hook, site_id=site_id, **kwargs)
            for provider in provided
        ]

    def invoke(
        self,
        plugin: str,
        label: str,
        fn: Callable[..., Any],
        *,
        expect: Any = _NO_CHECK,
        budget: float | None = None,
        raise_errors: bool = False,
        site_id: int | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run one provider method of ``plugin`` under the same isolation as hooks.

        Returns the value, or ``None`` when the call failed, unless
        ``raise_errors`` asks for :class:`PluginCallError` (money fails closed).
        """
        site_id = self._site(site_id)
        gate = self._gate(plugin, site_id)
        if gate.open:
            if raise_errors:
                raise PluginCallError(plugin, label, "breaker", "temporarily switched off after repeated failures")
            return None
        installed = self.plugins.get(plugin)
        plugin_config = None
        if installed is not None and installed.meta is not None:
            plugin_config = config.resolve(installed.meta, plugin, site_id, gate.stored)
        ok, value = self._run(
            plugin,
            label,
            fn,
            kwargs,
            expect=expect,
            budget=budget,
            config=plugin_config,
            site_id=site_id,
            raise_errors=raise_errors,
            failing=gate.failing,
        )
        return value if ok else None

    def blame(
        self,
        plugin: str,
        label: str,
        error: BaseException | str,
        *,
        site_id: int | None = None,
    ) -> None:
        """Charge ``plugin`` with a fault the core found while using its answer.

        The manager checks an answer's shape when it comes back; what can only
        be checked where the core reads it (one reason among thousands) is
        reported here, so it is logged and recorded under the plugin's name and
        counts towards its breaker like any other failure, rather than ending as
        a 500 that nobody can trace to the plugin.
        """
        if isinstance(error, BaseException):
            message = f"{type(error).__name__}: {error}"
            trace = "".join(traceback.format_exception(error))
        else:
            message, trace = error, ""
        site_id = self._site(site_id)
        plugin_config = self.config_for(plugin, site_id) if plugin in self.plugins else None
        self._failed(plugin, label, "bad_result", message, trace, plugin_config, site_id, False, after_return=True)

    def close(self) -> None:
        """Stop the bulkheads' threads once their calls return (tests reload the manager)."""
        self._bulkheads.shutdown()

    def emit(self, event: DomainEvent) -> None:
        """Tell listeners about ``event`` once the current transaction commits.

        Plugins hear it through ``peerlearn_event``; the core's apps through the
        ``domain_event_emitted`` signal, sent after the plugins were called (with
        those that took it) and sent even when calling them failed.
        """

        def deliver() -> None:
            delivered: list[str] = []
            try:
                delivered = [name for name, _ in self.call("peerlearn_event", site_id=event.site_id, event=event)]
            finally:
                for receiver, error in domain_event_emitted.send_robust(
                    sender=DomainEvent, event=event, delivered_to=delivered
                ):
                    if isinstance(error, Exception):
                        logger.error("domain_event_emitted receiver %r failed: %s", receiver, error)

        transaction.on_commit(deliver, robust=True)  # logged; the commit stands

    def _run(
        self,
        plugin: str,
        hook: str,
        fn: Callable[..., Any],
        kwargs: Mapping[str, Any],
        *,
        expect: Any,
        budget: float | None,
        config: PluginConfig | None,
        site_id: int | None,
        raise_errors: bool = False,
        failing: bool = True,
    ) -> tuple[bool, Any]:
        """Call ``fn`` in the plugin's bulkhead; ``failing=False``: no failure was counted, none to clear."""
        budget = self.default_budget if budget is None else budget
        deadline = time.monotonic() + budget
        context = contextvars.copy_context()
        bulkhead = self._bulkheads.of(plugin, site_id)
        try:
            future = bulkhead.submit(context.run, _run_in_thread, fn, kwargs, deadline=deadline)
        except Busy as exc:
            self._failed(plugin, hook, "busy", str(exc), "", config, site_id, raise_errors)
            return False, None
        try:
            value = future.result(timeout=max(deadline - time.monotonic(), 0))
        except FutureTimeout:
            future.cancel()
            self._failed(
                plugin, hook, "timeout", f"exceeded its time budget of {budget:g}s", "", config, site_id, raise_errors
            )
            return False, None
        except Exception as exc:
            text = "".join(traceback.format_exception(exc))
            self._failed(plugin, hook, "exception", f"{type(exc).__name__}: {exc}", text, config, site_id, raise_errors)
            return False, None
        problem = mismatch(value, expect) if expect is not _NO_CHECK else ""
        if problem:
            self._failed(plugin, hook, "bad_result", problem, "", config, site_id, raise_errors)
            return False, None
        if failing:
            breaker.record_success(plugin, site_id)
        return True, value

    def _failed(
        self,
        plugin: str,
        hook: str,
        kind: str,
        message: str,
        trace: str,
        config: PluginConfig | None,
        site_id: int | None,
        raise_errors: bool,
        after_return: bool = False,
    ) -> None:
        secrets = config.secret_values() if config is not None else []
        message, trace = _redact(message, secrets), _redact(trace, secrets)
        logger.warning("Plugin %s failed in %s (%s): %s", plugin, hook, kind, message)
        _record_error(plugin, hook, kind, message, trace, site_id)
        if breaker.record_failure(plugin, site_id, after_return=after_return):
            cooldown = settings.PEERLEARN_PLUGINS["BREAKER_COOLDOWN"]
            note = f"switched off for {cooldown}s after repeated failures"
            logger.error("Plugin %s %s", plugin, note)
            _record_error(plugin, hook, "breaker", note, "", site_id)
        if raise_errors:
            raise PluginCallError(plugin, hook, kind, message)


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def _record_error(plugin: str, hook: str, kind: str, message: str, trace: str, site_id: int | None) -> None:
    from .models import PluginError

    try:
        if transaction.get_connection().needs_rollback:
            return  # inside a broken transaction: the log line must do
        with transaction.atomic():
            PluginError.objects.create(
                plugin=plugin,
                hook=hook,
                kind=kind,
                message=message[:2000],
                traceback=trace[-8000:],
                site_id=site_id,
            )
    except DatabaseError:
        logger.exception("Could not record the failure of plugin %s", plugin)


@dataclass(frozen=True)
class _Gate:
    """What decides whether and how a plugin is called on a site, read together."""

    open: bool  # the breaker is open: not called
    failing: bool  # failures are being counted: a success clears them
    stored: dict  # the site's stored configurations (config.stored_for_site)


_manager: PluginManager | None = None
_lock = threading.Lock()


def get_manager() -> PluginManager:
    """The process-wide manager, created on first use."""
    global _manager
    if _manager is None:
        with _lock:
            if _manager is None:
                _manager = PluginManager()
    return _manager


def reset_manager() -> None:
    """Forget the loaded plugins (tests install and remove distributions)."""
    global _manager
    with _lock:
        if _manager is not None:
            _manager.close()
        _manager = None
