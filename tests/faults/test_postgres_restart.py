"""PostgreSQL restarted during a burst of 100 booking attempts on one seat.

Exactly one booking exists afterwards, every client got 201, 409 or 503 (a
clear "try again" in JSON, never a 500), and the site answers again without
being restarted.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pytest

from .conftest import http, say, wait_until

pytestmark = pytest.mark.realstack

ATTEMPTS = 100
CLIENTS = 10


def test_postgres_restart_during_a_booking_burst(stack):
    setup = stack.scenario("booking_burst", learners=ATTEMPTS)
    _site, base = stack.start_site()
    book = f"{base}/api/sessions/{setup['session']}/book/"
    detail = f"{base}/api/sessions/{setup['session']}/"
    token = setup["tokens"][0]
    assert http("GET", detail, headers={"Authorization": f"Token {token}"})[0] == 200  # warm

    answers: list[tuple[int, str, float]] = []
    lock = threading.Lock()
    t0 = time.monotonic()

    def client(tokens: list[str]) -> None:
        for key in tokens:
            status, headers, body = http("POST", book, headers={"Authorization": f"Token {key}"}, timeout=60)
            with lock:
                answers.append((status, body, time.monotonic() - t0))
            time.sleep(0.25)

    def restart() -> None:
        time.sleep(0.6)
        say(f"t={time.monotonic() - t0:.1f}s: stopping PostgreSQL (fast shutdown), 2 s down")
        stack.pg.restart(down_seconds=2)
        say(f"t={time.monotonic() - t0:.1f}s: PostgreSQL accepts connections again")

    threads = [threading.Thread(target=client, args=(setup["tokens"][i::CLIENTS],)) for i in range(CLIENTS)]
    restarter = threading.Thread(target=restart)
    restarter.start()
    for thread in threads:
        thread.start()
    for thread in threads + [restarter]:
        thread.join(300)

    statuses = Counter(status for status, _, _ in answers)
    say(f"{len(answers)} booking attempts over {answers[-1][2]:.1f}s: {dict(sorted(statuses.items()))}")
    unavailable = [json.loads(body) for status, body, _ in answers if status == 503]
    if unavailable:
        say(f"a 503 answer: {unavailable[0]}")
    assert len(answers) == ATTEMPTS
    assert set(statuses) <= {201, 409, 503}, [a for a in answers if a[0] not in (201, 409, 503)][:3]
    assert all(answer["code"] == "unavailable" and answer["detail"] for answer in unavailable)
    assert statuses[201] == 1

    # Recovery without restarting the site: answers come back, and they stay.
    wait_until(lambda: http("GET", detail, headers={"Authorization": f"Token {token}"})[0] == 200, 30, "a 200")
    after = Counter(http("GET", detail, headers={"Authorization": f"Token {token}"})[0] for _ in range(20))
    page = http("GET", f"{base}/mentors/")[0]
    say(f"after the restart: 20 API reads {dict(after)}, /mentors/ {page}")
    assert after == Counter({200: 20}) and page == 200

    found = stack.scenario("bookings_of", session=setup["session"])
    say(f"bookings of the seat afterwards: {found}")
    assert found["active"] == 1
