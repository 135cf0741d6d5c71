"""A private Janus server for tests and the benchmark: Debian's ``janus`` with PeerLearn's configuration.

It listens on loopback ports of its own (HTTP, WebSocket, admin) and relays
media over an RTP port range of its own, so it never meets a system Janus on
the default ports. Skipped with a reason when the package is not installed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from plugins.video.janus.server_config import JanusServerConfig, write

JANUS = shutil.which("janus") or "/usr/bin/janus"
#: Where this project's Janus tests may listen (HTTP/WS/admin) and relay media (UDP).
PORTS = range(int(os.environ.get("JANUS_TEST_PORT_LOW", "20500")), int(os.environ.get("JANUS_TEST_PORT_HIGH", "20999")))
RTP_PORTS = (int(os.environ.get("JANUS_TEST_RTP_LOW", "21000")), int(os.environ.get("JANUS_TEST_RTP_HIGH", "21999")))
MISSING = "Janus is not installed (apt-get install -y janus janus-tools); the SFU tests need Debian's /usr/bin/janus"


def janus_missing() -> str:
    """Why Janus tests cannot run here, or ``""``."""
    return "" if os.access(JANUS, os.X_OK) else MISSING


def free_ports(count: int) -> list[int]:
    """``count`` TCP ports of :data:`PORTS` nobody listens on."""
    found: list[int] = []
    start = PORTS.start + secrets.randbelow(len(PORTS) - count)
    for port in [*range(start, PORTS.stop), *range(PORTS.start, start)]:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError(f"no {count} free ports in {PORTS}")


@dataclass(frozen=True)
class RunningJanus:
    admin_secret: str
    http_url: str
    ws_url: str
    admin_url: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def janus_server(directory: Path, *, debug_level: int = 3):
    """Start Janus with a fresh configuration in ``directory``; yields a :class:`RunningJanus`."""
    http_port, ws_port, admin_port = free_ports(3)
    config = JanusServerConfig(
        admin_secret=secrets.token_urlsafe(18),
        http_port=http_port,
        ws_port=ws_port,
        admin_port=admin_port,
        rtp_ports=RTP_PORTS,
        interface="127.0.0.1",
        debug_level=debug_level,
    )
    folder = write(config, Path(directory) / "janus")
    log_path = folder / "janus.log"
    log = open(log_path, "w")  # noqa: SIM115  (closed below)
    process = subprocess.Popen([JANUS, "-F", str(folder)], stdout=log, stderr=subprocess.STDOUT)
    running = RunningJanus(
        admin_secret=config.admin_secret,
        http_url=f"http://127.0.0.1:{http_port}/janus",
        ws_url=f"ws://127.0.0.1:{ws_port}/",
        admin_url=f"http://127.0.0.1:{admin_port}/admin",
        process=process,
        log_path=log_path,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"janus exited with {process.returncode}:\n{running.log_tail()}")
            try:
                if requests.get(f"{running.http_url}/info", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"janus did not answer within 20 s:\n{running.log_tail()}")
            time.sleep(0.2)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
