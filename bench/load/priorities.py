"""The server's scheduling priority against PostgreSQL's and Redis's, when they run on this machine.

Run under ``nice -n -15`` (its children inherit the niceness), the benchmark's server had about
28 times the CPU share of a PostgreSQL backend or of Redis left at niceness 0 whenever both
wanted a core. In a burst the server's threads starved the services they wait on, every request
held on longer, and the burst grew into a storm: a 10-minute run stalled for 6 s with Redis
itself 10 ms into a three-key MGET, while the same code with all three at one priority ran
10 minutes without a slow window (README, "Holding a crowd", eleventh look).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: The process names (``comm``) of each service.
SERVICES = {"postgresql": "postgres", "redis": "redis-server"}


def niceness_of(name: str) -> int | None:
    """The lowest niceness among this machine's processes called ``name``; ``None`` when none runs."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.find("(") + 1 : text.rfind(")")]
        if comm == name:
            found.append(int(text.rsplit(")", 1)[1].split()[16]))
    return min(found) if found else None


def priorities(database_url: str, redis_url: str) -> dict[str, int | None]:
    """Niceness of this process (the server inherits it) and of the local services (``None``: elsewhere)."""
    result: dict[str, int | None] = {"benchmark": os.getpriority(os.PRIO_PROCESS, 0)}
    for service, url in (("postgresql", database_url), ("redis", redis_url)):
        host = urlsplit(url).hostname
        local = host is None or host in LOCAL_HOSTS  # no host: a Unix socket, on this machine
        result[service] = niceness_of(SERVICES[service]) if local else None
    return result


def inversion(niceness: dict[str, int | None]) -> str | None:
    """A warning when the server runs at a higher priority than a service it waits on, else ``None``."""
    own = niceness["benchmark"]
    lower = [
        f"{service} at {value}"
        for service, value in niceness.items()
        if service != "benchmark" and value is not None and own is not None and value > own
    ]
    if not lower:
        return None
    return (
        f"warning: the server runs at niceness {own}, {' and '.join(lower)}: under load it starves them"
        " and a burst becomes a storm; run them at one priority (README, 'Holding a crowd')"
    )
