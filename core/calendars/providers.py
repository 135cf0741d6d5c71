"""Finding calendar providers and calling them in isolation.

Every call goes through the plugin manager (``invoke``: the plugin's
bulkhead, a time budget, its circuit breaker, errors recorded under its
name). A :class:`~core.plugins.CalendarError` is one mentor's problem (a wrong
password), not the plugin's: it is caught inside the call and returned as an
:class:`Outcome` so it neither counts towards the breaker that would switch
calendars off for every mentor nor loses the sentence meant for the mentor.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from core.plugins import CalendarAccount, CalendarError, CalendarProvider
from core.plugins.manager import get_manager
from core.plugins.typecheck import mismatch

from .models import CalendarConnection

HOOK = "peerlearn_calendar_providers"


@dataclass(frozen=True)
class Outcome:
    """How one provider call ended: ``ok`` with ``value``, or a ``code`` and a message for the mentor."""

    ok: bool
    value: Any = None
    code: str = ""
    message: str = ""


def budget(kind: str) -> float:
    """Seconds a call may take: ``read`` while a page waits, ``background`` in a task."""
    conf = settings.PEERLEARN_CALENDARS
    return float(conf["READ_BUDGET"] if kind == "read" else conf["TASK_BUDGET"])


def available(site_id: int | None = None) -> dict[str, tuple[str, CalendarProvider]]:
    """``identifier -> (plugin, provider)`` of the enabled calendar plugins (first one wins)."""
    found: dict[str, tuple[str, CalendarProvider]] = {}
    for plugin, provider in get_manager().providers(HOOK, site_id=site_id):
        found.setdefault(provider.identifier, (plugin, provider))
    return found


def provider_for(connection: CalendarConnection, site_id: int | None = None) -> tuple[str, CalendarProvider] | None:
    return available(site_id).get(connection.provider)


def account_for(connection: CalendarConnection, provider: CalendarProvider) -> CalendarAccount:
    """What the provider is handed: the connection's values (secrets opened) and the chosen calendar."""
    values: dict[str, Any] = {}
    secret_names = frozenset(f.name for f in provider.connection_fields if f.is_secret)
    for setting in provider.connection_fields:
        stored = connection.secrets.get(setting.name) if setting.is_secret else connection.settings.get(setting.name)
        if isinstance(stored, str) and stored.startswith("fernet:"):  # no key opens it: treat as missing
            stored = None
        values[setting.name] = setting.coerce(stored) if stored not in (None, "") else setting.initial()
    return CalendarAccount(
        values=values,
        calendar_id=connection.calendar_id,
        time_zone=getattr(connection.mentor, "time_zone", "") or "UTC",
        secret_names=secret_names,
    )


def _capture(fn: Callable[..., Any], *args: Any) -> Outcome:
    try:
        return Outcome(True, fn(*args))
    except CalendarError as exc:
        return Outcome(False, code=exc.code, message=exc.message)


def _invoke_target(method: Callable[..., Any], arguments: Sequence[Any]) -> Outcome:
    """What the manager runs in the plugin's thread (it passes keyword arguments)."""
    return _capture(method, *arguments)


def call(
    plugin: str,
    provider: CalendarProvider,
    method: str,
    *args: Any,
    expect: Any = None,
    kind: str = "background",
    site_id: int | None = None,
) -> Outcome:
    """Run ``provider.<method>(*args)`` under the manager's isolation; never raises."""
    manager = get_manager()
    label = f"{HOOK}.{provider.identifier}.{method}"
    outcome = manager.invoke(
        plugin,
        label,
        _invoke_target,
        budget=budget(kind),
        site_id=site_id,
        method=getattr(provider, method),
        arguments=args,
    )
    if outcome is None:  # raised, hung, busy or breaker open: recorded by the manager
        return Outcome(
            False,
            code="unreachable",
            message=_("The calendar server did not answer in time, or the calendar service is failing."),
        )
    if outcome.ok and expect is not None:
        problem = mismatch(outcome.value, expect)
        if problem:
            manager.blame(plugin, label, problem, site_id=site_id)
            return Outcome(False, code="error", message=_("The calendar service gave an answer PeerLearn cannot read."))
    return outcome


BUSY_TYPE = typing.get_type_hints(CalendarProvider.busy_times)["return"]
CALENDARS_TYPE = typing.get_type_hints(CalendarProvider.list_calendars)["return"]
