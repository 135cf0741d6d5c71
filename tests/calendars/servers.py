"""Real servers for calendar tests: Radicale (a CalDAV server) and a socket that never answers.

Radicale runs as its own process on 127.0.0.1 (ports 18650-18699), with a
temporary storage folder and htpasswd logins in plain text; tests that need
it are skipped, with the reason, only when the ``radicale`` package cannot be
imported (it is in the test extras).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime

import pytest

PORTS = range(18650, 18700)
USERNAME, PASSWORD = "mentor", "calendar-pass-123"


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18650-18699")


class RadicaleServer:
    """One Radicale process with one user; ``url`` is its root."""

    def __init__(self) -> None:
        try:
            import radicale  # noqa: F401
        except ImportError:
            pytest.skip(
                "the radicale package is not installed (pip install -e '.[test]'): no CalDAV server to test against"
            )
        self.folder = tempfile.mkdtemp(prefix="peerlearn-radicale-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        users = os.path.join(self.folder, "users")
        with open(users, "w") as handle:
            handle.write(f"{USERNAME}:{PASSWORD}\n")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "radicale",
                "--server-hosts",
                f"127.0.0.1:{self.port}",
                "--storage-filesystem-folder",
                os.path.join(self.folder, "collections"),
                "--auth-type",
                "htpasswd",
                "--auth-htpasswd-filename",
                users,
                "--auth-htpasswd-encryption",
                "plain",
                "--auth-delay",
                "0",
                "--logging-level",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"radicale exited: {self.process.stderr.read().decode()[-2000:]}")
            try:  # an HTTP answer, not just an open port (another server could hold it)
                urllib.request.urlopen(self.url, timeout=1)
                return
            except urllib.error.HTTPError:
                return  # 401 and the like: Radicale is answering
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("radicale did not start listening within 20 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- acting as the mentor in their calendar app ------------------------------------

    def client(self, password: str = PASSWORD):
        import caldav

        return caldav.DAVClient(url=self.url, username=USERNAME, password=password, timeout=10)

    def new_calendar(self, name: str | None = None) -> str:
        principal = self.client().get_principal()
        calendar = principal.make_calendar(name=name or f"Work {uuid.uuid4().hex[:6]}")
        return str(calendar.url)

    def calendar(self, calendar_id: str):
        return self.client().calendar(url=calendar_id)

    def add_event(self, calendar_id: str, start: datetime, end: datetime, *, transparent: bool = False) -> str:
        uid = f"mentor-{uuid.uuid4().hex}@example.org"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Mentor's phone//EN",
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}",
            f"DTEND:{end.astimezone(UTC):%Y%m%dT%H%M%SZ}",
            "SUMMARY:Dentist",
        ]
        if transparent:
            lines.append("TRANSP:TRANSPARENT")
        lines += ["END:VEVENT", "END:VCALENDAR"]
        self.calendar(calendar_id).add_event("\r\n".join(lines) + "\r\n")
        return uid

    def uids(self, calendar_id: str) -> set[str]:
        return {str(event.icalendar_component.get("UID")) for event in self.calendar(calendar_id).get_events()}

    def times_of(self, calendar_id: str, uid: str) -> tuple[datetime, datetime]:
        component = self.calendar(calendar_id).get_event_by_uid(uid).icalendar_component
        return component.decoded("DTSTART").astimezone(UTC), component.decoded("DTEND").astimezone(UTC)


class SilentServer:
    """A TCP server that accepts connections and never answers (a hung calendar server)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/dav/"
        self._socket = socket.socket()
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", self.port))
        self._socket.listen(64)
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _accept(self) -> None:
        self._socket.settimeout(0.2)
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except (TimeoutError, OSError):
                continue
            self._held.append(connection)  # read nothing, answer nothing

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for connection in self._held:
            connection.close()
        self._socket.close()
