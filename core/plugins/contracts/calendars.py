"""The calendar contract: a mentor's own calendar read for busy time and written with their bookings.

A calendar plugin returns :class:`CalendarProvider` instances from the
``peerlearn_calendar_providers`` hook. A mentor connects one calendar on
their availability page: the provider's ``connection_fields`` (plain
:class:`~core.plugins.meta.SettingField` objects; ``kind="secret"`` ones are
encrypted at rest like plugin secrets and never shown back) are what the
mentor types, and the core hands them back to every call as a
:class:`CalendarAccount`.

What the core does with a provider:

* ``list_calendars`` when the mentor connects or presses *Test connection*:
  it proves the credentials work and lets the mentor pick a calendar;
* ``busy_times`` on the Celery beat schedule, on *Refresh now*, and when
  availability is read and the cached answer has run out: the intervals come
  out of the mentor's free slots. Events whose ``uid`` the core wrote itself
  (its own bookings) are ignored, since those sessions block the time already;
* ``write_event`` when a booking on a session is confirmed, ``move_event``
  when the session is rescheduled, ``delete_event`` when nothing confirmed is
  left on it (always from a Celery task, never while a page waits).

Every call goes through the plugin manager with a time budget; an answer that
fails or times out leaves the last busy times in place and the availability
the core serves says it may be stale. Raise :class:`CalendarError` with a
sentence the mentor can act on (wrong password, unknown calendar, server
unreachable); anything else is shown to the mentor as a generic failure and
to editors with its details.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from ..meta import SettingField

CalendarErrorCode = Literal["auth", "unreachable", "not_found", "invalid", "refused", "error"]


class CalendarError(Exception):
    """A failure the mentor can act on, with a sentence that says what to do.

    ``code``: ``auth`` (wrong username or password), ``unreachable`` (no
    answer, DNS, TLS), ``not_found`` (the calendar is gone), ``invalid`` (a
    setting is malformed), ``refused`` (the server said no to a write),
    ``error`` (anything else).
    """

    def __init__(self, message: str, *, code: CalendarErrorCode = "error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CalendarAccount:
    """One mentor's connection as the provider needs it.

    ``values`` holds the mentor's answers to ``connection_fields`` (secrets in
    plain text: never log them; ``repr`` masks them). ``calendar_id`` is the
    chosen calendar's :attr:`CalendarInfo.id`, empty until the mentor picks one
    (``list_calendars`` is the only call made then). ``time_zone`` is the
    mentor's IANA zone, for all-day events.
    """

    values: Mapping[str, Any]
    calendar_id: str = ""
    time_zone: str = "UTC"
    secret_names: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        shown = {k: ("***" if k in self.secret_names and v else v) for k, v in self.values.items()}
        return f"CalendarAccount(values={shown!r}, calendar_id={self.calendar_id!r}, time_zone={self.time_zone!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class CalendarInfo:
    """A calendar of the account: ``id`` is stable and opaque (a URL for CalDAV)."""

    id: str
    name: str
    #: whether the provider can write events into it (read-only subscriptions cannot)
    writable: bool = True


@dataclass(frozen=True)
class BusyInterval:
    """Time the mentor is busy, in UTC (aware datetimes), with the event's ``uid`` when known."""

    start: datetime
    end: datetime
    uid: str = ""


@dataclass(frozen=True)
class CalendarEventData:
    """An event the core wants in the mentor's calendar (one per session they teach).

    ``uid`` is chosen by the core and stable for the session, so writing the
    same event twice replaces it rather than duplicating it. Times are aware
    UTC datetimes.
    """

    uid: str
    title: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    url: str = ""
    location: str = ""
    attendees: tuple[str, ...] = field(default_factory=tuple)


class CalendarProvider(ABC):
    """A kind of calendar a mentor can connect (CalDAV, Google, Microsoft 365...).

    ``identifier`` is unique across plugins and stored on each connection.
    Methods are called in threads, through the manager, each with a time
    budget: set the client's own timeouts below it so a hung server frees the
    thread. A method may raise :class:`CalendarError`.
    """

    identifier: ClassVar[str]
    display_name: ClassVar[str]
    #: what the mentor types to connect (``kind="secret"`` fields are encrypted at rest and never shown back)
    connection_fields: ClassVar[tuple[SettingField, ...]] = ()

    @abstractmethod
    def list_calendars(self, account: CalendarAccount) -> Sequence[CalendarInfo]:
        """The account's calendars; raise :class:`CalendarError` when the credentials or server fail."""

    @abstractmethod
    def busy_times(self, account: CalendarAccount, start: datetime, end: datetime) -> Sequence[BusyInterval]:
        """Busy intervals of ``account.calendar_id`` overlapping [start, end), recurring events expanded.

        Events marked free (``TRANSP:TRANSPARENT``) and cancelled ones are left out.
        """

    @abstractmethod
    def write_event(self, account: CalendarAccount, event: CalendarEventData) -> None:
        """Create ``event`` in ``account.calendar_id``, or replace the one with the same ``uid``."""

    def move_event(self, account: CalendarAccount, event: CalendarEventData) -> None:
        """Give the event ``event.uid`` its new times (created when it is missing).

        The default rewrites the whole event, which every provider can do; a
        provider with a cheaper partial update may override it.
        """
        self.write_event(account, event)

    @abstractmethod
    def delete_event(self, account: CalendarAccount, uid: str) -> None:
        """Remove the event ``uid``; an event that is already gone is not an error."""
