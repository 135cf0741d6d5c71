"""Container health check: exit 0 when this container's web process answers /healthz with 200.

Run by the image's HEALTHCHECK and compose.yaml. /healthz answers before host checks and
HTTPS redirects (core/health), so a plain local request is enough; anything else is a failure.
"""

from __future__ import annotations

import http.client
import os
import sys


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz")
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
