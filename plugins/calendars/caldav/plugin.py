"""The CalDAV calendar provider: a mentor's CalDAV calendar read for busy time and written with bookings.

Uses the `caldav` library. Busy time is a time-range ``REPORT`` with
recurrences expanded; events marked free (``TRANSP:TRANSPARENT``) or cancelled
are not busy. A session's event is stored under ``<uid>.ics`` so writing it
again replaces it. Every request has the site's timeout, below the core's
time budget for a task, so a hung server frees its thread.

Server addresses that resolve to private, loopback or link-local networks are
refused unless an editor allows them (*Settings > Plugins*): a mentor must not
be able to make the site probe its own network.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.utils.translation import gettext, gettext_noop

from core.plugins import (
    BusyInterval,
    CalendarAccount,
    CalendarError,
    CalendarEventData,
    CalendarInfo,
    CalendarProvider,
    PluginConfig,
    PluginMeta,
    SettingField,
    hookimpl,
)

peerlearn_meta = PluginMeta(
    name=gettext_noop("CalDAV calendars"),
    version="1.0.0",
    author="PeerLearn developers",
    description=(
        gettext_noop(
            "Lets mentors connect a CalDAV calendar (Nextcloud, Radicale, Baikal, Fastmail, iCloud...): its events "
            "block their free slots and their bookings are written into it."
        )
    ),
    kind="calendar",
    core_versions=">=0.4,<1",
    settings=(
        SettingField(
            "timeout_seconds",
            gettext_noop("Request timeout (seconds)"),
            "float",
            default=8.0,
            env="CALDAV_TIMEOUT",
            help_text=gettext_noop("Each request to a mentor's server gives up after this long."),
        ),
        SettingField(
            "allow_private_hosts",
            gettext_noop("Allow servers on private networks"),
            "bool",
            default=False,
            env="CALDAV_ALLOW_PRIVATE_HOSTS",
            help_text=gettext_noop(
                "Allow addresses such as 127.0.0.1, 10.x or 192.168.x (a server inside your own network). "
                "Off by default, so mentors cannot make the site reach internal services."
            ),
        ),
    ),
)


CONNECTION_FIELDS = (
    SettingField(
        "url",
        gettext_noop("Server URL"),
        "url",
        required=True,
        help_text=gettext_noop(
            "The CalDAV address your calendar app shows, e.g. https://cloud.example.org/remote.php/dav/"
        ),
    ),
    SettingField("username", gettext_noop("Username"), "str", required=True),
    SettingField(
        "password",
        gettext_noop("Password"),
        "secret",
        required=True,
        help_text=gettext_noop("An app password if your server has them."),
    ),
)


def _check_host(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CalendarError(gettext("The server URL must start with https:// (or http://)."), code="invalid")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except OSError as exc:
        raise CalendarError(
            gettext("The server %(host)s cannot be found (%(error)s).") % {"host": parts.hostname, "error": exc},
            code="unreachable",
        ) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise CalendarError(
                gettext("The server %(host)s is on a private network, which this site does not allow.")
                % {"host": parts.hostname},
                code="invalid",
            )


def _aware(value: date | datetime, zone: ZoneInfo) -> datetime:
    """An iCalendar date or time as an aware UTC datetime (dates and floating times in the mentor's zone)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    """RFC 5545 TEXT escaping."""
    return (
        value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with a space (RFC 5545 3.1)."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    out.append(current)
    return "\r\n".join(out)


def event_ics(event: CalendarEventData, now: datetime | None = None) -> str:
    """The VCALENDAR PeerLearn stores for a session."""
    now = now or datetime.now(UTC)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//PeerLearn//Calendar sync//EN",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(event.starts_at)}",
        f"DTEND:{_utc(event.ends_at)}",
        f"SUMMARY:{_text(event.title)}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{_text(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{_text(event.location)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    lines += ["STATUS:CONFIRMED", "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


class CalDAVProvider(CalendarProvider):
    identifier = "caldav"
    display_name = "CalDAV"
    connection_fields = CONNECTION_FIELDS

    def __init__(self, timeout: float, allow_private_hosts: bool) -> None:
        self.timeout = timeout
        self.allow_private_hosts = allow_private_hosts

    # --- the library, with its errors turned into sentences --------------------

    def _client(self, account: CalendarAccount):
        import caldav

        url = str(account.values.get("url") or "")
        _check_host(url, self.allow_private_hosts)
        return caldav.DAVClient(
            url=url,
            username=str(account.values.get("username") or ""),
            password=str(account.values.get("password") or ""),
            timeout=self.timeout,
        )

    def _calendar(self, account: CalendarAccount):
        if not account.calendar_id:
            raise CalendarError(gettext("Choose which calendar to use."), code="invalid")
        calendar_url = account.calendar_id
        _check_host(calendar_url, self.allow_private_hosts)
        return self._client(account).calendar(url=calendar_url)

    @staticmethod
    def _translate(exc: Exception) -> CalendarError:
        from caldav.lib import error

        name = type(exc).__name__
        if isinstance(exc, error.AuthorizationError):
            return CalendarError(gettext("The server refused the username or password."), code="auth")
        if isinstance(exc, error.NotFoundError):
            return CalendarError(
                gettext("The calendar was not found on the server: choose it again."), code="not_found"
            )
        if isinstance(exc, error.DAVError):
            return CalendarError(
                gettext("The calendar server answered with an error (%(name)s).") % {"name": name}, code="error"
            )
        if isinstance(exc, (OSError, TimeoutError)) or "Timeout" in name or "Connection" in name or "SSL" in name:
            return CalendarError(
                gettext("The calendar server could not be reached (no answer, or the address is wrong)."),
                code="unreachable",
            )
        return CalendarError(
            gettext("Talking to the calendar server failed (%(name)s).") % {"name": name}, code="error"
        )

    def _guard(self, fn, *args):
        try:
            return fn(*args)
        except CalendarError:
            raise
        except Exception as exc:  # the library raises its own errors and those of niquests
            raise self._translate(exc) from exc

    # --- the contract ---------------------------------------------------------------

    def list_calendars(self, account: CalendarAccount) -> Sequence[CalendarInfo]:
        def run() -> list[CalendarInfo]:
            principal = self._client(account).get_principal()
            found = []
            for calendar in principal.get_calendars():
                try:
                    components = calendar.get_supported_components()
                except Exception:  # servers that do not say are taken to hold events
                    components = ["VEVENT"]
                if components and "VEVENT" not in components:
                    continue
                url = str(calendar.url)
                found.append(CalendarInfo(id=url, name=calendar.get_display_name() or url.rstrip("/").rsplit("/")[-1]))
            return found

        return self._guard(run)

    def busy_times(self, account: CalendarAccount, start: datetime, end: datetime) -> Sequence[BusyInterval]:
        zone = ZoneInfo(account.time_zone or "UTC")

        def run() -> list[BusyInterval]:
            calendar = self._calendar(account)
            busy = []
            for found in calendar.search(start=start, end=end, event=True, expand=True):
                component = found.icalendar_component
                if str(component.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
                    continue
                if str(component.get("STATUS", "")).upper() == "CANCELLED":
                    continue
                if component.get("DTSTART") is None:
                    continue
                raw_start = component.decoded("DTSTART")
                if component.get("DTEND") is not None:
                    raw_end = component.decoded("DTEND")
                elif component.get("DURATION") is not None:
                    raw_end = raw_start + component.decoded("DURATION")
                elif isinstance(raw_start, datetime):
                    continue  # an instant takes no time
                else:
                    raw_end = raw_start + timedelta(days=1)
                begins, ends = _aware(raw_start, zone), _aware(raw_end, zone)
                if ends > begins and begins < end and ends > start:
                    busy.append(BusyInterval(start=begins, end=ends, uid=str(component.get("UID", ""))))
            return busy

        return self._guard(run)

    def write_event(self, account: CalendarAccount, event: CalendarEventData) -> None:
        def run() -> None:
            self._calendar(account).add_event(event_ics(event))

        self._guard(run)

    def delete_event(self, account: CalendarAccount, uid: str) -> None:
        from caldav.lib import error

        def run() -> None:
            calendar = self._calendar(account)
            try:
                calendar.get_event_by_uid(uid).delete()
            except error.NotFoundError:
                return  # already gone

        self._guard(run)


@hookimpl
def peerlearn_calendar_providers(config: PluginConfig) -> list[CalendarProvider]:
    return [
        CalDAVProvider(
            timeout=float(config.get("timeout_seconds") or 8.0),
            allow_private_hosts=bool(config.get("allow_private_hosts")),
        )
    ]
