"""The calendar provider contract: what every calendar plugin must do, against a real server.

Subclass :class:`CalendarProviderContract` in a test module that defines the
fixture ``peerlearn_plugin`` (the entry-point name). The suite needs a
:class:`CalendarHarness` for the plugin: a server the provider can talk to
(a local CalDAV server, a recorded fake of a vendor's API) and a way to act
as the mentor in it (add an event by hand, look at what is there). A
calendar package publishes its harness under the entry-point group
``peerlearn.calendar_harnesses`` or calls :func:`register_calendar_harness`
from its conftest; a plugin without a harness fails the suite.

No database is needed: the provider is called directly, the way the core
calls it (in a thread, through the manager) minus the isolation.
"""

from __future__ import annotations

import importlib.metadata
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.plugins import (
    BusyInterval,
    CalendarAccount,
    CalendarError,
    CalendarEventData,
    CalendarInfo,
    CalendarProvider,
    SettingField,
)

from . import plugins

HARNESS_ENTRY_POINTS = "peerlearn.calendar_harnesses"

_REGISTERED: dict[str, type[CalendarHarness]] = {}


class CalendarHarness(ABC):
    """A calendar server for one provider, and the mentor's hands in it."""

    #: the plugin's entry-point name and its provider's identifier
    plugin: str
    identifier: str
    #: the longest a call to a server that never answers may take before the provider gives up (seconds)
    unreachable_within: float = 15.0

    def start(self) -> None:  # noqa: B027 - a harness against a fake needs no server
        """Start the server (once per test session)."""

    def stop(self) -> None:  # noqa: B027
        """Stop it."""

    def plugin_settings(self) -> dict[str, Any]:
        """The plugin's site settings under which it may talk to this server."""
        return {}

    @abstractmethod
    def connection_values(self) -> dict[str, Any]:
        """What a mentor types to connect an account that has at least one calendar."""

    @abstractmethod
    def wrong_password_values(self) -> dict[str, Any]:
        """The same account with a wrong password."""

    @abstractmethod
    def unreachable_values(self) -> dict[str, Any]:
        """An account on a server that accepts connections and never answers."""

    @abstractmethod
    def new_calendar(self) -> str:
        """A fresh, empty calendar of the account; its :attr:`CalendarInfo.id`."""

    @abstractmethod
    def add_event(self, calendar_id: str, start: datetime, end: datetime, *, transparent: bool = False) -> str:
        """Add an event as the mentor would in their calendar app; return its UID."""

    @abstractmethod
    def uids(self, calendar_id: str) -> set[str]:
        """The UIDs of the events in the calendar now."""

    @abstractmethod
    def times_of(self, calendar_id: str, uid: str) -> tuple[datetime, datetime]:
        """Start and end (aware) of the event ``uid``."""


def register_calendar_harness(cls: type[CalendarHarness]) -> type[CalendarHarness]:
    """Make ``cls`` the harness of its ``plugin`` (usable as a class decorator)."""
    _REGISTERED[cls.plugin] = cls
    return cls


def calendar_harness_class(plugin: str) -> type[CalendarHarness] | None:
    if plugin in _REGISTERED:
        return _REGISTERED[plugin]
    for entry_point in importlib.metadata.entry_points(group=HARNESS_ENTRY_POINTS):
        if entry_point.name == plugin:
            return entry_point.load()
    return None


def _event(uid: str, start: datetime, minutes: int = 60) -> CalendarEventData:
    return CalendarEventData(
        uid=uid,
        title="Contract session; with, commas",
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        description="A line\nand another",
        url="https://peerlearn.example/sessions/1/",
        location="https://peerlearn.example/sessions/1/",
    )


def _overlapping(busy: list[BusyInterval], start: datetime, end: datetime) -> list[BusyInterval]:
    return [b for b in busy if b.start < end and b.end > start]


class CalendarProviderContract:
    """Subclass in a test module that defines the ``peerlearn_plugin`` fixture."""

    @pytest.fixture
    def calendar_harness(self, peerlearn_plugin: str, calendar_harness_for) -> CalendarHarness:
        return calendar_harness_for(peerlearn_plugin)

    @pytest.fixture
    def provider(self, peerlearn_plugin: str, calendar_harness: CalendarHarness) -> CalendarProvider:
        obj = plugins.load(peerlearn_plugin)
        if not hasattr(obj, "peerlearn_calendar_providers"):
            pytest.fail(f"{peerlearn_plugin} does not implement peerlearn_calendar_providers", pytrace=False)
        config = plugins.default_config(peerlearn_plugin, obj, **calendar_harness.plugin_settings())
        found = [
            p for p in obj.peerlearn_calendar_providers(config=config) if p.identifier == calendar_harness.identifier
        ]
        assert len(found) == 1, f"one provider with the identifier {calendar_harness.identifier!r}"
        return found[0]

    @staticmethod
    def account(provider: CalendarProvider, values: Mapping[str, Any], calendar_id: str = "") -> CalendarAccount:
        secrets = frozenset(f.name for f in provider.connection_fields if f.is_secret)
        return CalendarAccount(
            values=dict(values), calendar_id=calendar_id, time_zone="Europe/Paris", secret_names=secrets
        )

    @pytest.fixture
    def calendar_id(self, calendar_harness: CalendarHarness) -> str:
        return calendar_harness.new_calendar()

    @pytest.fixture
    def connected(self, provider, calendar_harness, calendar_id) -> CalendarAccount:
        return self.account(provider, calendar_harness.connection_values(), calendar_id)

    @pytest.fixture
    def tomorrow(self) -> datetime:
        return (datetime.now(UTC) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)

    # --- describing itself --------------------------------------------------------

    def test_provider_describes_itself(self, provider) -> None:
        assert isinstance(provider, CalendarProvider)
        assert provider.identifier and provider.display_name
        assert provider.connection_fields, "a mentor has something to type"
        for setting in provider.connection_fields:
            assert isinstance(setting, SettingField)
        names = [f.name for f in provider.connection_fields]
        assert len(names) == len(set(names))

    def test_the_account_repr_masks_secrets(self, provider, calendar_harness) -> None:
        values = calendar_harness.connection_values()
        account = self.account(provider, values)
        for setting in provider.connection_fields:
            if setting.is_secret and values.get(setting.name):
                assert str(values[setting.name]) not in repr(account)

    # --- connecting ---------------------------------------------------------------

    def test_good_credentials_list_calendars(self, provider, calendar_harness, calendar_id) -> None:
        calendars = list(provider.list_calendars(self.account(provider, calendar_harness.connection_values())))
        assert calendars and all(isinstance(c, CalendarInfo) and c.id and c.name for c in calendars)
        assert calendar_id in {c.id for c in calendars}

    def test_a_wrong_password_is_a_clear_auth_error(self, provider, calendar_harness) -> None:
        with pytest.raises(CalendarError) as caught:
            provider.list_calendars(self.account(provider, calendar_harness.wrong_password_values()))
        assert caught.value.code == "auth" and caught.value.message

    def test_a_server_that_never_answers_is_unreachable_not_a_hang(self, provider, calendar_harness) -> None:
        began = time.monotonic()
        with pytest.raises(CalendarError) as caught:
            provider.list_calendars(self.account(provider, calendar_harness.unreachable_values()))
        assert caught.value.code == "unreachable" and caught.value.message
        assert time.monotonic() - began < calendar_harness.unreachable_within

    # --- reading busy time ----------------------------------------------------------

    def test_an_event_the_mentor_adds_is_busy(self, provider, calendar_harness, connected, calendar_id, tomorrow):
        uid = calendar_harness.add_event(calendar_id, tomorrow, tomorrow + timedelta(minutes=90))
        busy = list(provider.busy_times(connected, tomorrow - timedelta(days=1), tomorrow + timedelta(days=1)))
        assert all(isinstance(b, BusyInterval) for b in busy)
        mine = [b for b in busy if b.uid == uid]
        assert len(mine) == 1
        assert (mine[0].start, mine[0].end) == (tomorrow, tomorrow + timedelta(minutes=90))
        assert mine[0].start.utcoffset() == timedelta(0)

    def test_free_events_and_other_windows_are_not_busy(
        self, provider, calendar_harness, connected, calendar_id, tomorrow
    ):
        calendar_harness.add_event(calendar_id, tomorrow, tomorrow + timedelta(hours=1), transparent=True)
        later = tomorrow + timedelta(days=10)
        calendar_harness.add_event(calendar_id, later, later + timedelta(hours=1))
        busy = list(provider.busy_times(connected, tomorrow - timedelta(hours=2), tomorrow + timedelta(days=2)))
        assert busy == []

    # --- writing the events of bookings ---------------------------------------------------

    def test_write_move_delete_round_trip(self, provider, calendar_harness, connected, calendar_id, tomorrow) -> None:
        event = _event("peerlearn-session-1@contract.example", tomorrow)
        provider.write_event(connected, event)
        assert calendar_harness.uids(calendar_id) == {event.uid}
        assert calendar_harness.times_of(calendar_id, event.uid) == (event.starts_at, event.ends_at)
        provider.write_event(connected, event)  # again: replaced, not duplicated
        assert calendar_harness.uids(calendar_id) == {event.uid}
        busy = list(provider.busy_times(connected, tomorrow - timedelta(days=1), tomorrow + timedelta(days=1)))
        assert [b.uid for b in busy] == [event.uid], "the core recognises its own events by uid"

        moved = _event(event.uid, tomorrow + timedelta(days=1, hours=2), minutes=30)
        provider.move_event(connected, moved)
        assert calendar_harness.uids(calendar_id) == {event.uid}
        assert calendar_harness.times_of(calendar_id, event.uid) == (moved.starts_at, moved.ends_at)

        provider.delete_event(connected, event.uid)
        assert calendar_harness.uids(calendar_id) == set()
        provider.delete_event(connected, event.uid)  # already gone: not an error

    def test_writes_to_a_calendar_that_is_gone_fail_clearly(self, provider, calendar_harness, connected) -> None:
        gone = self.account(provider, connected.values, connected.calendar_id.rstrip("/") + "-gone/")
        with pytest.raises(CalendarError) as caught:
            provider.busy_times(gone, datetime.now(UTC), datetime.now(UTC) + timedelta(days=1))
        assert caught.value.code in ("not_found", "error") and caught.value.message
