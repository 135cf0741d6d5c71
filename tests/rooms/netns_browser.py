"""Start a browser inside a network namespace of its own, with the site reachable on 127.0.0.1.

WebRTC in a browser gathers a candidate on every interface it finds; on a
machine with a real network card that would send connectivity checks to the
card's address. Run alone in a namespace, the browser sees only its loopback.
The site is served by the tests outside the namespace, on a Unix socket (those
cross namespaces); this launcher forwards ``127.0.0.1:<port>`` inside the
namespace to that socket, then runs the browser with the arguments Playwright
gave (its control pipes, file descriptors 3 and 4, are passed through).

Used as ``unshare -n python -m tests.rooms.netns_browser --uds S --port P -- chromium ARGS``
(see :func:`write_launcher`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


def serve_forwarder(port: int, uds: str, ready: threading.Event) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_unix_connection(uds)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uds", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("browser", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.browser[1:] if args.browser[:1] == ["--"] else args.browser
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    ready = threading.Event()
    threading.Thread(target=serve_forwarder, args=(args.port, args.uds, ready), daemon=True).start()
    ready.wait(10)
    browser = subprocess.Popen(command, pass_fds=(3, 4))
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda number, frame: browser.send_signal(number))
    return browser.wait()


def write_launcher(directory: Path, uds: str, port: int, browser: str) -> Path:
    """An executable that Playwright can start as its browser."""
    launcher = directory / "chromium-in-netns"
    launcher.write_text(
        "#!/bin/sh\n"
        f'cd "{ROOT}"\n'
        f'export PYTHONPATH="{ROOT}"\n'
        f'exec unshare -n "{sys.executable}" -m tests.rooms.netns_browser '
        f'--uds "{uds}" --port {port} -- "{browser}" "$@"\n'
    )
    launcher.chmod(0o755)
    return launcher


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(run(sys.argv[1:]))
