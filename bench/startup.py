"""Start-up time and page latency of the site as a new user runs it.

    python -m bench.startup [--requests 200] [--port 8093]

Starts ``manage.py runserver`` (daphne: HTTP + WebSockets, the README's run
command) on the current database, waits for the first answer, then requests
a few pages sequentially and prints the time to first response and p50/p95
latency per page. Run ``manage.py migrate`` and ``seed_demo`` first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/", "/accounts/login/", "/api/schema/", "/api/users/profile/"]


def fetch(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=8093)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "peerlearn.settings.dev")}
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{args.port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                fetch(base + "/")
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None:
                    sys.exit("the server exited; run migrate first")
                time.sleep(0.05)
        first = time.perf_counter() - started
        print(f"time to first response: {first:.2f} s")
        print(f"{'page':<24} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>7}")
        for page in PAGES:
            timings = []
            status = 0
            for _ in range(args.requests):
                t0 = time.perf_counter()
                status = fetch(base + page)
                timings.append((time.perf_counter() - t0) * 1000)
            timings.sort()
            p95 = timings[int(len(timings) * 0.95) - 1]
            rate = len(timings) / (sum(timings) / 1000)
            print(f"{page:<24} {status:>6} {statistics.median(timings):>8.1f} {p95:>8.1f} {rate:>7.0f}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
