"""Connecting, testing, choosing and disconnecting a mentor's calendar (used by the page and the API).

Connecting never stores credentials that did not work: the provider lists
the account's calendars first (the *Test connection*), and only then is the
connection saved, its secret fields encrypted at rest. Errors are
:class:`ConnectionProblem` with a sentence for the mentor and a ``code``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.api.refusals import Refusal
from core.plugins import CalendarInfo, CalendarProvider

from . import busy, providers
from .models import CalendarConnection


class ConnectionProblem(Refusal):
    """The mentor's calendar cannot be used as asked; ``message`` says why, ``code`` names it (400 on the API)."""

    def __init__(self, message: str, code: str, field: str | None = None) -> None:
        super().__init__(message, code=f"calendar_{code}" if not code.startswith("calendar_") else code, field=field)


@dataclass(frozen=True)
class TestResult:
    calendars: list[CalendarInfo]


def provider_or_fail(identifier: str) -> tuple[str, CalendarProvider]:
    found = providers.available().get(identifier)
    if found is None:
        raise ConnectionProblem(_("This kind of calendar is not available on this site."), "unknown_provider")
    return found


def _split(provider: CalendarProvider, values: dict[str, Any], keep: CalendarConnection | None):
    """Plain settings and secrets of ``values``; an empty secret keeps the stored one."""
    plain: dict[str, Any] = {}
    secrets: dict[str, Any] = dict(keep.secrets) if keep is not None and keep.provider == provider.identifier else {}
    for setting in provider.connection_fields:
        value = values.get(setting.name)
        if setting.is_secret:
            if value not in (None, ""):
                secrets[setting.name] = str(value)
        else:
            plain[setting.name] = setting.coerce(value) if value not in (None, "") else ""
    missing = [
        _(str(setting.label))
        for setting in provider.connection_fields
        if setting.required and (secrets if setting.is_secret else plain).get(setting.name) in (None, "")
    ]
    if missing:
        raise ConnectionProblem(_("Fill in: %(fields)s.") % {"fields": ", ".join(missing)}, "required")
    return plain, secrets


def _draft(mentor, identifier: str, values: dict[str, Any]) -> tuple[str, CalendarProvider, CalendarConnection]:
    plugin, provider = provider_or_fail(identifier)
    existing = CalendarConnection.objects.filter(mentor=mentor).first()
    plain, secrets = _split(provider, values, existing)
    draft = existing if existing is not None else CalendarConnection(mentor=mentor)
    if existing is not None and existing.provider != identifier:  # another kind of calendar: start afresh
        draft.calendar_id, draft.calendar_name = "", ""
        draft.busy, draft.busy_from, draft.busy_until, draft.last_synced_at = [], None, None, None
    draft.mentor = mentor
    draft.plugin, draft.provider = plugin, identifier
    draft.settings, draft.secrets = plain, secrets
    return plugin, provider, draft


def _list(plugin: str, provider: CalendarProvider, connection: CalendarConnection) -> list[CalendarInfo]:
    account = providers.account_for(connection, provider)
    outcome = providers.call(plugin, provider, "list_calendars", account, expect=providers.CALENDARS_TYPE, kind="read")
    if not outcome.ok:
        raise ConnectionProblem(outcome.message, outcome.code or "error")
    return list(outcome.value)


def test_connection(mentor, identifier: str, values: dict[str, Any]) -> TestResult:
    """Try the values without saving them: the account's calendars, or :class:`ConnectionProblem`."""
    plugin, provider, draft = _draft(mentor, identifier, values)
    calendars = _list(plugin, provider, draft)
    if not calendars:
        raise ConnectionProblem(_("The account works but has no calendar that holds events."), "no_calendar")
    return TestResult(calendars)


def connect(mentor, identifier: str, values: dict[str, Any], calendar_id: str = "") -> CalendarConnection:
    """Test the values, then save the connection; ``calendar_id`` (or the only calendar) is chosen."""
    plugin, provider, draft = _draft(mentor, identifier, values)
    calendars = _list(plugin, provider, draft)
    if not calendars:
        raise ConnectionProblem(_("The account works but has no calendar that holds events."), "no_calendar")
    chosen = _pick(calendars, calendar_id or (draft.calendar_id if draft.pk else ""))
    if chosen is None and len(calendars) == 1:
        chosen = calendars[0]
    if calendar_id and chosen is None:
        raise ConnectionProblem(_("That calendar is not in this account."), "unknown_calendar")
    with transaction.atomic():
        stored = CalendarConnection.objects.filter(pk=draft.pk).values_list("calendar_id", flat=True).first()
        if draft.pk and stored != (chosen.id if chosen else ""):
            draft.events.all().delete()  # events written in the other calendar are not this one's
            busy.forget(draft.pk)
        draft.calendar_id = chosen.id if chosen else ""
        draft.calendar_name = chosen.name if chosen else ""
        draft.last_error, draft.last_error_code, draft.last_error_at = "", "", None
        draft.busy_failing = False
        draft.save()
    if draft.calendar_id:
        busy.refresh_busy(draft, kind="read")
    return draft


def _pick(calendars: list[CalendarInfo], calendar_id: str) -> CalendarInfo | None:
    return next((c for c in calendars if c.id == calendar_id), None) if calendar_id else None


def choose_calendar(connection: CalendarConnection, calendar_id: str) -> CalendarConnection:
    """Switch the connection to another of its account's calendars."""
    found = providers.provider_for(connection)
    if found is None:
        raise ConnectionProblem(_("This kind of calendar is not available on this site."), "unknown_provider")
    plugin, provider = found
    chosen = _pick(_list(plugin, provider, connection), calendar_id)
    if chosen is None:
        raise ConnectionProblem(_("That calendar is not in this account."), "unknown_calendar")
    connection.calendar_id, connection.calendar_name = chosen.id, chosen.name
    connection.busy, connection.busy_from, connection.busy_until, connection.last_synced_at = [], None, None, None
    connection.save()
    busy.forget(connection.pk)
    connection.events.all().delete()  # events written in the other calendar are not this one's
    busy.refresh_busy(connection, kind="read")
    return connection


def calendars_of(connection: CalendarConnection) -> list[CalendarInfo]:
    found = providers.provider_for(connection)
    if found is None:
        raise ConnectionProblem(_("This kind of calendar is not available on this site."), "unknown_provider")
    plugin, provider = found
    return _list(plugin, provider, connection)


def refresh_now(connection: CalendarConnection) -> providers.Outcome:
    """Read the busy times now, within the read budget (the mentor's *Refresh now*)."""
    return busy.refresh_busy(connection, kind="read")


def disconnect(mentor) -> bool:
    """Forget the mentor's calendar (events already written stay in it). True when there was one."""
    deleted, _rows = CalendarConnection.objects.filter(mentor=mentor).delete()
    return bool(deleted)
