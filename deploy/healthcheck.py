"""Container health check: exit 0 when this container's web process answers /healthz with 200.

Run by the image's HEALTHCHECK (python /app/deploy/healthcheck.py). It asks as the proxy
would: a Host from ALLOWED_HOSTS (else Django answers 400) and X-Forwarded-Proto https
(else production settings redirect to https). Redirects are failures, not followed.
"""

from __future__ import annotations

import http.client
import os
import sys


def probe_host(allowed_hosts: str) -> str:
    """The first concrete name in ALLOWED_HOSTS (".example.org" -> "example.org")."""
    for host in allowed_hosts.split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(
            "GET",
            "/healthz",
            headers={"Host": probe_host(os.environ.get("ALLOWED_HOSTS", "")), "X-Forwarded-Proto": "https"},
        )
        status = connection.getresponse().status
    except OSError as error:
        print(f"healthcheck: no answer on port {port}: {error}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    if status != 200:
        print(f"healthcheck: /healthz answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
