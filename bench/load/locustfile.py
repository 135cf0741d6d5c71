"""The traffic of ``bench.load``: 70 % anonymous visitors, 30 % signed-in learners.

Loaded by Locust (``locust -f bench/load/locustfile.py``); the data it needs
(mentor pages, sessions, learners' cookies and tokens, static files) comes from
the JSON file named by ``PEERLEARN_LOAD_DATA``, written by ``bench.load``.
Every user thinks 2.5-7.5 s (5 s on average) between requests.
"""

from __future__ import annotations

import json
import os
import random
import resource
import time
from itertools import count

import gevent
import websocket
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

DATA = json.loads(open(os.environ["PEERLEARN_LOAD_DATA"]).read())  # noqa: SIM115
HTTPS = {"X-Forwarded-Proto": "https"}
_learners = count()

#: Response times (ms) per request name once the warm-up is over: Locust's own figures cover the whole run.
WARM_UP_SECONDS = float(os.environ.get("PEERLEARN_LOAD_WARM_UP", "60"))
STEADY_OUT = os.environ.get("PEERLEARN_LOAD_STEADY")
_steady: dict[str, list[float]] = {}
_steady_failures: dict[str, int] = {}
#: Per page, (second of the run, ms) of every request: where in the run the slow ones fell.
_timeline: dict[str, list[tuple[int, float]]] = {}
_started: list[float] = []
#: Per second of the run, the longest the load generator's own event loop was late: time Locust adds to
#: every figure it takes in that second (a busy generator makes a quick server look slow).
_lag: dict[int, float] = {}
_cpu_at_start: list[float] = []
LAG_TICK = 0.05


@events.test_start.add_listener
def _note_start(**kwargs) -> None:
    _started.append(time.monotonic())
    _cpu_at_start.append(_cpu_seconds())  # Locust's own start-up (imports, data) left out
    gevent.spawn(_watch_lag)


def _watch_lag() -> None:
    while True:
        before = time.perf_counter()
        gevent.sleep(LAG_TICK)
        late = (time.perf_counter() - before - LAG_TICK) * 1000
        second = int(time.monotonic() - _started[0])
        _lag[second] = max(_lag.get(second, 0.0), round(late, 1))


@events.request.add_listener
def _keep_steady(name: str, response_time: float, exception=None, **kwargs) -> None:
    if not _started:
        return
    elapsed = time.monotonic() - _started[0]
    _timeline.setdefault(name, []).append((int(elapsed), round(response_time, 1)))
    if elapsed < WARM_UP_SECONDS:
        return
    _steady.setdefault(name, []).append(response_time)
    if exception is not None:
        _steady_failures[name] = _steady_failures.get(name, 0) + 1


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@events.quitting.add_listener
def _write_steady(**kwargs) -> None:
    if STEADY_OUT:
        with open(STEADY_OUT, "w") as handle:
            json.dump(
                {
                    "warm_up_seconds": WARM_UP_SECONDS,
                    "times": _steady,
                    "failures": _steady_failures,
                    "timeline": _timeline,
                    "generator_lag": sorted(_lag.items()),
                    "generator_cpu_seconds": _cpu_seconds() - (_cpu_at_start[0] if _cpu_at_start else 0.0),
                    "generator_seconds": time.monotonic() - _started[0] if _started else 0.0,
                },
                handle,
            )


class Visitor(FastHttpUser):
    """Browses without an account: home, search with filters, a mentor, a session, static files."""

    weight = 70
    wait_time = between(2.5, 7.5)

    def page(self, url: str, name: str) -> None:
        self.client.get(url, headers=HTTPS, name=name)

    @task(3)
    def home(self) -> None:
        self.page("/", "home")

    @task(3)
    def search(self) -> None:
        self.page(random.choice(DATA["searches"]), "mentor search")

    @task(3)
    def mentor(self) -> None:
        self.page(random.choice(DATA["mentor_urls"]), "mentor page")

    @task(2)
    def session(self) -> None:
        self.page(f"/sessions/{random.choice(DATA['session_ids'])}/", "session page")

    @task(2)
    def static(self) -> None:
        self.page(random.choice(DATA["static"]), "static file")


class Learner(FastHttpUser):
    """Signed in: dashboard, recommendations, the session list, a free seat now and then (booked, then
    given back on the next turn), a live socket."""

    weight = 30
    wait_time = between(2.5, 7.5)

    def on_start(self) -> None:
        person = DATA["learners"][next(_learners) % len(DATA["learners"])]
        self.cookie = person["cookie"]  # the session and a CSRF cookie, as a browser that opened a page has
        self.api = {**HTTPS, "Authorization": f"Token {person['token']}"}
        self.socket = None
        self.seat: int | None = None  # the session this learner booked last, given back on its next turn
        self.listener = gevent.spawn(self.hold_socket)

    def on_stop(self) -> None:
        self.listener.kill()
        if self.socket:
            self.socket.close()

    def hold_socket(self) -> None:
        """The notifications socket every open page keeps; a failure to open it is counted."""
        url = self.host.replace("http://", "ws://") + "/ws/notifications/"
        # Timed with the clock Locust times HTTP requests with (gevent's loop.now() is the loop's last poll).
        start = time.perf_counter()
        try:
            self.socket = websocket.create_connection(
                url, header=[f"Cookie: {self.cookie}"], origin=self.host, timeout=30
            )
            events.request.fire(
                request_type="WS",
                name="notifications socket",
                response_time=(time.perf_counter() - start) * 1000,
                response_length=0,
                exception=None,
            )
            while True:
                gevent.sleep(20)
                self.socket.send(json.dumps({"type": "ping"}))
                while json.loads(self.socket.recv()).get("type") != "pong":
                    pass
        except gevent.GreenletExit:
            raise
        except Exception as exc:  # noqa: BLE001 - reported to Locust as a failure
            events.request.fire(
                request_type="WS",
                name="notifications socket",
                response_time=(time.perf_counter() - start) * 1000,
                response_length=0,
                exception=exc,
            )

    @task(3)
    def dashboard(self) -> None:
        self.client.get("/dashboard/", headers={**HTTPS, "Cookie": self.cookie}, name="dashboard")

    @task(3)
    def recommendations(self) -> None:
        self.client.get("/api/recommendations/", headers=self.api, name="api recommendations")

    @task(3)
    def sessions(self) -> None:
        self.client.get("/api/sessions/", headers=self.api, name="api sessions")

    @task(1)
    def book(self) -> None:
        """Book a free seat, or give back the one booked last time: seats stay free for the whole run."""
        if self.seat is not None:
            with self.client.delete(
                f"/api/sessions/{self.seat}/cancel/", headers=self.api, name="api cancel", catch_response=True
            ) as response:
                if response.status_code in (200, 404, 409):  # gone or started meanwhile: nothing to give back
                    response.success()
            self.seat = None
            return
        session_id = random.choice(DATA["free_session_ids"])
        with self.client.post(
            f"/api/sessions/{session_id}/book/",
            json={"answers": DATA["answers"].get(str(session_id), {})},  # the mentor's required questions
            headers=self.api,
            name="api book",
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                self.seat = session_id
            if response.status_code in (201, 409):  # 409: seat held already, session full, or a clash
                response.success()
