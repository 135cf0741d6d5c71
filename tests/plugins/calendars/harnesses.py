"""The CalDAV plugin's contract harness: a real Radicale server, and a socket that never answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from peerlearn_testing import CalendarHarness, register_calendar_harness
from tests.calendars.servers import PASSWORD, USERNAME, RadicaleServer, SilentServer


@register_calendar_harness
class RadicaleHarness(CalendarHarness):
    plugin = "calendar_caldav"
    identifier = "caldav"
    unreachable_within = 6.0

    def start(self) -> None:
        self.server = RadicaleServer()
        self.server.start()
        self.silent = SilentServer()
        self.silent.start()

    def stop(self) -> None:
        self.server.stop()
        self.silent.stop()

    def plugin_settings(self) -> dict[str, Any]:
        return {"allow_private_hosts": True, "timeout_seconds": 2.0}

    def connection_values(self) -> dict[str, Any]:
        return {"url": self.server.url, "username": USERNAME, "password": PASSWORD}

    def wrong_password_values(self) -> dict[str, Any]:
        return {**self.connection_values(), "password": "not-the-password"}

    def unreachable_values(self) -> dict[str, Any]:
        return {**self.connection_values(), "url": self.silent.url}

    def new_calendar(self) -> str:
        return self.server.new_calendar()

    def add_event(self, calendar_id: str, start: datetime, end: datetime, *, transparent: bool = False) -> str:
        return self.server.add_event(calendar_id, start, end, transparent=transparent)

    def uids(self, calendar_id: str) -> set[str]:
        return self.server.uids(calendar_id)

    def times_of(self, calendar_id: str, uid: str) -> tuple[datetime, datetime]:
        return self.server.times_of(calendar_id, uid)
