"""Holding a crowd: simulated users against the Procfile's processes, and the bare-view ceiling.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_load REDIS_URL=redis://127.0.0.1:6379/0 \\
        python -m bench.load [--users 1000] [--spawn-rate 50] [--minutes 10] [--closed-seconds 10] [--json OUT]

1. Migrates the database of ``DATABASE_URL``, seeds the demo, collects static files,
   and prepares what the simulated users need: ``--learners`` signed-in learners
   (session cookie and API token each) and free group sessions to book.
2. Starts ``web`` and ``worker`` from the Procfile with honcho, under production
   settings (``WEB_CONCURRENCY``, ``DATABASE_POOL_MAX_SIZE`` as set or the defaults),
   their email sent over SMTP to a loopback server (``mail_sink``).
3. Runs Locust headless (``bench/load/locustfile.py``): ``--users`` users, 70 %
   anonymous visitors and 30 % signed-in learners with a notifications socket
   open, 5 s mean think time, for ``--minutes``. Meanwhile it samples
   PostgreSQL's connections to the database and the server processes' CPU.
   Besides Locust's whole-run figures it reports the steady state: the same
   percentiles after the first ``--warm-up`` seconds (cold caches, spawning).
4. Closed loop (wrk, 32 connections, ``--closed-seconds`` per URL): each
   anonymous page, ``/api/sessions/`` and every learner's ``/dashboard/`` in
   turn (their cookies, from a wrk Lua script), then the one-view project of
   ``bench/load/bare.py`` served by the same Procfile command, and prints each
   page's throughput as a share of the bare view's.

Reports requests/s, p50/p95/p99 per page, errors by kind, peak PostgreSQL
connections and server CPU, as a table and (``--json``) as JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.common import (
    ROOT,
    VENV_BIN,
    free_port,
    manage,
    pg_connections,
    pg_sessions_started,
    production_env,
    wait_for_http,
    wrk,
)
from bench.load.mail_sink import MailSink
from bench.load.priorities import inversion, priorities

PREPARE = """
import json, secrets
from datetime import timedelta
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.staticfiles.storage import staticfiles_storage
from django.utils import timezone
from rest_framework.authtoken.models import Token
from core.accounts.models import User
from core.catalogue.models import MentorPage
from django.utils.crypto import get_random_string
from core.pages.cache import clear_page_cache
from django.db.models import Count, F, Q
from core.scheduling.models import Booking, Session
from core.rooms.capacity import video_capacity
from core.scheduling.services.errors import Conflict
from core.scheduling.services.sessions import create_session

STATIC = ("themes/default/css/site.css", "themes/default/js/alpine.min.js")
store_class = import_module(settings.SESSION_ENGINE).SessionStore
learners = []
for n in range({learners}):
    email = f"load{{n}}@bench.peerlearn.local"
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email=email, password=None, display_name=f"Load learner {{n}}")
    store = store_class()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    # As a browser's: the session and a CSRF cookie (the first page sets one; kept pages are keyed by it).
    cookie = f"sessionid={{store.session_key}}; csrftoken={{get_random_string(32)}}"
    token = Token.objects.get_or_create(user=user)[0].key
    learners.append({{"session": store.session_key, "cookie": cookie, "token": token}})
mentors = list(MentorPage.objects.live().select_related("user"))
now = timezone.now()
# As many seats as the site's video rooms hold (the mesh: 3 a room), and free seats enough for every
# learner to book twice over, so "booking a free seat now and then" stays a write: an earlier run's
# sessions count only while they still have a free seat.
limit = video_capacity()
seats = min(500, limit.max_seats if limit else 500)
# Every run starts from the same seats: the previous run's bookings of them go (free seats: no payment,
# no ledger), so a rerun neither adds sessions nor meets a bigger catalogue than the run before it.
Booking.objects.filter(learner__email__endswith="@bench.peerlearn.local",
                       session__title__startswith="Load test open seat").delete()
clear_page_cache()
active = Count("bookings", filter=Q(bookings__status__in=Booking.ACTIVE_STATUSES))
free = list(Session.objects.filter(title__startswith="Load test open seat", starts_at__gt=now + timedelta(days=2))
            .annotate(taken=active).filter(taken__lt=F("capacity")).values_list("pk", flat=True))
hour = Session.objects.filter(title__startswith="Load test open seat").count()
while len(free) < max(20, -(-2 * {learners} // seats)):
    mentor, hour = mentors[hour % len(mentors)].user, hour + 1
    try:
        free.append(create_session(mentor, title=f"Load test open seat {{len(free)}}", duration_minutes=60,
                                   start=now + timedelta(days=3, hours=hour), capacity=seats).pk)
    except Conflict:  # the mentor's own demo session at that hour
        continue
published = Session.objects.filter(starts_at__gt=now).exclude(origin=Session.SLOT)
upcoming = list(published.values_list("pk", flat=True)[:200])
skills = sorted({{s.slug for page in mentors for s in page.skills.all()}})
print(json.dumps({{
    "learners": learners,
    "mentor_urls": [page.url for page in mentors],
    "session_ids": upcoming,
    "free_session_ids": free,
    # What a learner types into the mentor's required booking questions, per open-seat session.
    "answers": {{str(session.pk): {{str(q.pk): (q.choices[0] if q.kind == "choice" and q.choices else "Load test")
                                  for q in session.mentor.booking_questions.filter(required=True)}}
                for session in Session.objects.filter(pk__in=free).select_related("mentor")}},
    "searches": ["/mentors/"] + [f"/mentors/?skill={{slug}}" for slug in skills[:10]]
                + ["/mentors/?q=python", "/mentors/?free_within_days=7", "/mentors/?min_rating=4"],
    "static": [staticfiles_storage.url(p) for p in STATIC],
}}))
"""


def prepare(env: dict[str, str], learners: int, workdir: Path, setup: bool = True) -> Path:
    if setup:
        print("migrating, seeding the demo, collecting static files ...", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo")
        manage(env, "collectstatic", "--noinput")
    data = manage(env, "shell", "-c", PREPARE.format(learners=learners)).strip().splitlines()[-1]
    path = workdir / "data.json"
    path.write_text(data)
    return path


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants (live ones), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, todo, seen = 0.0, [pid], set()
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(parents.get(current, []))
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            continue
    return total


class Site:
    """``web`` and ``worker`` from the Procfile under honcho (or any Procfile, for the bare view)."""

    def __init__(self, env: dict[str, str], workdir: Path, procfile: Path, processes: list[str], port: int = 0):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        empty = workdir / "empty.env"
        empty.write_text("")
        self.log = open(workdir / f"{procfile.name}.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [str(VENV_BIN / "honcho"), "-f", str(procfile), "-d", str(ROOT), "start", "-e", str(empty)]
            + ["-p", str(self.port), *processes],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_http(f"{self.url}/healthz", self.process, timeout=120)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


class Sampler(threading.Thread):
    """Peak PostgreSQL connections and the server's CPU use while the crowd runs."""

    def __init__(self, database_url: str, pid: int):
        super().__init__(daemon=True)
        self.database_url, self.pid = database_url, pid
        self.peak_connections, self.halt = 0, threading.Event()
        self.connections_opened: int | None = None

    def run(self) -> None:
        import psycopg

        self.cpu_start, self.wall_start = tree_cpu_seconds(self.pid), time.monotonic()
        with psycopg.connect(self.database_url, autocommit=True) as probe:  # one probe: no backend per sample
            sessions_start = pg_sessions_started(self.database_url, probe)
            while not self.halt.wait(0.5):
                self.peak_connections = max(self.peak_connections, pg_connections(self.database_url, probe))
            # Connections opened meanwhile: a pool that keeps its connections opens next to none.
            self.connections_opened = pg_sessions_started(self.database_url, probe) - sessions_start

    def stop(self) -> dict:
        self.halt.set()
        self.join()
        wall = time.monotonic() - self.wall_start
        cores = (tree_cpu_seconds(self.pid) - self.cpu_start) / wall
        return {
            "peak_pg_connections": self.peak_connections,
            "pg_connections_opened": self.connections_opened,
            "server_cpu_cores": round(cores, 2),
        }


def run_crowd(args, site: Site, data_path: Path, workdir: Path) -> dict:
    prefix = workdir / "locust"
    command = [
        str(VENV_BIN / "locust"),
        *("-f", str(ROOT / "bench" / "load" / "locustfile.py"), "--headless", "--only-summary"),
        *("-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.minutes * 60:.0f}s"),
        *("--host", site.url, "--csv", str(prefix), "--stop-timeout", "10"),
    ]
    steady_path = workdir / "steady.json"
    env = {
        **os.environ,
        "PEERLEARN_LOAD_DATA": str(data_path),
        "PEERLEARN_LOAD_STEADY": str(steady_path),
        "PEERLEARN_LOAD_WARM_UP": str(args.warm_up),
        # Locust's gevent looks up even a numeric host on a thread pool, per new connection: in the
        # spawn that added 10-50 ms to what it timed (sockets' TCP connect p95 44 ms, 15 ms without).
        "GEVENT_RESOLVER": "block",  # the site is always 127.0.0.1: nothing to look up, nothing blocks
    }
    print(f"{args.users} users for {args.minutes} min ...", flush=True)
    subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    pages = {}
    with open(f"{prefix}_stats.csv") as handle:
        for row in csv.DictReader(handle):
            pages[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 1),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
            }
    with open(f"{prefix}_failures.csv") as handle:
        errors = [
            {"name": row["Name"], "error": row["Error"], "count": int(row["Occurrences"])}
            for row in csv.DictReader(handle)
        ]
    return {"pages": pages, "errors": errors, "steady": steady_state(steady_path)}


def steady_state(path: Path) -> dict:
    """Per page, the requests after the warm-up (the locustfile keeps their times): count, failures, p50/p95/p99."""
    if not path.exists():
        return {}
    kept = json.loads(path.read_text())
    pages = {}
    for name, times in sorted(kept["times"].items()):
        ordered = sorted(times)

        def at(share: float, ordered: list[float] = ordered) -> float:
            return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

        pages[name] = {
            "requests": len(ordered),
            "failures": kept["failures"].get(name, 0),
            "p50_ms": round(at(0.50)),
            "p95_ms": round(at(0.95)),
            "p99_ms": round(at(0.99)),
        }
    return {
        "after_seconds": kept["warm_up_seconds"],
        "pages": pages,
        "minutes": by_minute(kept.get("timeline", {})),
        "generator": generator(kept),
    }


def generator(kept: dict) -> dict:
    """The load generator's own figures: its CPU and how late its event loop ran (added to what it timed)."""
    lag = dict(kept.get("generator_lag", []))
    seconds = kept.get("generator_seconds") or 0
    return {
        "cpu_cores": round(kept.get("generator_cpu_seconds", 0) / seconds, 2) if seconds else None,
        "loop_late_max_ms": max(lag.values(), default=None),
        "loop_late_max_ms_first_minute": max((ms for second, ms in lag.items() if second < 60), default=None),
    }


#: The learners' requests in the mix (everything else is a visitor's).
SIGNED_IN = ("dashboard", "api recommendations", "api sessions", "api book", "api cancel")


def by_minute(timeline: dict[str, list[list[float]]]) -> list[dict]:
    """Per minute of the run, visitors' and signed-in requests' p95/p99: stalls that recur show as slow minutes."""
    minutes: dict[int, dict[str, list[float]]] = {}
    for name, points in timeline.items():
        if name == "notifications socket":
            continue
        group = "signed_in" if name in SIGNED_IN else "visitors"
        for second, ms in points:
            minutes.setdefault(int(second) // 60, {"visitors": [], "signed_in": []})[group].append(ms)
    rows = []
    for minute, groups in sorted(minutes.items()):
        row: dict = {"minute": minute + 1}
        for group, times in groups.items():
            ordered = sorted(times) or [0.0]
            row[group] = {
                "requests": len(times),
                "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]),
                "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]),
            }
        rows.append(row)
    return rows


def closed_loop(url: str, seconds: int, headers: dict[str, str] | None = None, script: Path | None = None) -> dict:
    return wrk(
        url, connections=32, seconds=seconds, headers={"X-Forwarded-Proto": "https", **(headers or {})}, script=script
    )


def signed_in_dashboard(base: str, data: dict) -> None:
    """Stop unless a learner's cookie opens their dashboard (wrk would count a redirect to login as a success)."""
    request = urllib.request.Request(
        base + "/dashboard/",
        headers={"Cookie": data["learners"][0]["cookie"], "X-Forwarded-Proto": "https"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the local server
        if response.status != 200 or not response.url.endswith("/dashboard/"):
            raise SystemExit(f"the learners' cookies do not open /dashboard/ (got {response.status} {response.url})")


def dashboards_script(data: dict, workdir: Path) -> Path:
    """A wrk script asking for ``/dashboard/`` as each learner in turn (their cookies)."""
    cookies = ",".join(f'"{person["cookie"]}"' for person in data["learners"])
    path = workdir / "dashboards.lua"
    path.write_text(
        f"cookies = {{{cookies}}}\n"
        "n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        '  return wrk.format("GET", "/dashboard/", {["Cookie"] = cookies[(n % #cookies) + 1]})\n'
        "end\n"
    )
    return path


def bare_procfile(workdir: Path) -> Path:
    """The Procfile's own web line, serving bench/load/bare.py instead of the site."""
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    path = workdir / "Procfile.bare"
    path.write_text(web.replace("peerlearn.asgi:application", "bench.load.bare:application") + "\n")
    return path


def report(result: dict) -> str:
    lines = ["| page | requests | failures | req/s | p50 ms | p95 ms | p99 ms |", "| --- " * 7 + "|"]
    for name, page in result["crowd"]["pages"].items():
        lines.append(
            f"| {name} | {page['requests']} | {page['failures']} | {page['rps']} | {page['p50_ms']:.0f}"
            f" | {page['p95_ms']:.0f} | {page['p99_ms']:.0f} |"
        )
    steady = result["crowd"].get("steady") or {}
    if steady.get("pages"):
        lines += [
            "",
            f"after the first {steady['after_seconds']:.0f} s (the warm-up left out):",
            "",
            "| page | requests | failures | p50 ms | p95 ms | p99 ms |",
            "| --- " * 6 + "|",
        ]
        for name, page in steady["pages"].items():
            lines.append(
                f"| {name} | {page['requests']} | {page['failures']} | {page['p50_ms']} | {page['p95_ms']}"
                f" | {page['p99_ms']} |"
            )
    if (load := steady.get("generator")) and load["cpu_cores"] is not None:
        lines += [
            "",
            f"load generator: {load['cpu_cores']} cores; its loop late by at most"
            f" {load['loop_late_max_ms_first_minute']} ms in the first minute, {load['loop_late_max_ms']} ms in all"
            " (time it adds to what it measures)",
        ]
    if steady.get("minutes"):
        lines += [
            "",
            "| minute | visitors' requests | p95 ms | p99 ms | signed-in requests | p95 ms | p99 ms |",
            "| --- " * 7 + "|",
        ]
        for row in steady["minutes"]:
            visitors, signed_in = row["visitors"], row["signed_in"]
            lines.append(
                f"| {row['minute']} | {visitors['requests']} | {visitors['p95_ms']} | {visitors['p99_ms']}"
                f" | {signed_in['requests']} | {signed_in['p95_ms']} | {signed_in['p99_ms']} |"
            )
    lines += [
        "",
        "| closed loop (wrk -c32) | req/s | p50 ms | p99 ms | errors | share of bare view |",
        "| --- " * 6 + "|",
    ]
    bare = result["closed_loop"]["bare view"]["rps"]
    for name, figures in result["closed_loop"].items():
        errors = figures.get("non_2xx", 0) + figures.get("socket_errors", 0)
        share = figures["rps"] / bare if bare else float("nan")
        lines.append(
            f"| {name} | {figures['rps']} | {figures.get('p50_ms')} | {figures.get('p99_ms')} | {errors}"
            f" | {share:.0%} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--spawn-rate", type=float, default=50)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--learners", type=int, default=300, help="signed-in accounts the learners use")
    parser.add_argument("--closed-seconds", type=int, default=10)
    parser.add_argument(
        "--warm-up",
        type=float,
        default=60,
        help="seconds left out of the steady-state table (the whole run is reported too)",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="the site's port (the bare view: the next one); default: any free"
    )
    parser.add_argument(
        "--skip-setup",
        action="store_true",
        help="the database is migrated and seeded and static files collected already (a rerun): only top up free seats",
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--logs", type=Path, help="keep the processes' output and Locust's CSV files here")
    args = parser.parse_args(argv)
    niceness = priorities(os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", ""))
    if warning := inversion(niceness):
        print(warning, flush=True)
    mail = MailSink().start()  # the crowd's booking emails go out over SMTP, as to a provider
    env = production_env(LOG_LEVEL="WARNING", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(mail.port), EMAIL_USE_TLS="false")
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        workdir = args.logs or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        data_path = prepare(env, args.learners, workdir, setup=not args.skip_setup)
        data = json.loads(data_path.read_text())
        site = Site(env, workdir, ROOT / "Procfile", ["web", "worker"], port=args.port)
        try:
            sampler = Sampler(env["DATABASE_URL"], site.process.pid)
            sampler.start()
            result = {"crowd": run_crowd(args, site, data_path, workdir)}
            result["crowd"].update(sampler.stop())
            token = {"Authorization": f"Token {data['learners'][0]['token']}"}
            pages = {
                "home": "/",
                "mentor search": data["searches"][1],
                "mentor page": data["mentor_urls"][0],
                "session page": f"/sessions/{data['session_ids'][0]}/",
            }
            result["closed_loop"] = {
                name: closed_loop(site.url + url, args.closed_seconds) for name, url in pages.items()
            }
            result["closed_loop"]["api sessions"] = closed_loop(site.url + "/api/sessions/", args.closed_seconds, token)
            signed_in_dashboard(site.url, data)
            result["closed_loop"]["dashboard (every learner)"] = closed_loop(
                site.url + "/dashboard/", args.closed_seconds, script=dashboards_script(data, workdir)
            )
        finally:
            site.stop()
        bare = Site(env, workdir, bare_procfile(workdir), ["web"], port=args.port + 1 if args.port else 0)
        try:
            result["closed_loop"]["bare view"] = closed_loop(bare.url + "/", args.closed_seconds)
        finally:
            bare.stop()
    mail.stop()
    result["crowd"]["emails_sent"] = mail.received
    result["settings"] = {
        "users": args.users,
        "minutes": args.minutes,
        "web_concurrency": env.get("WEB_CONCURRENCY", "2 (Procfile default)"),
        "pool": env.get("DATABASE_POOL_MAX_SIZE", "8 (default)"),
        "load_average_after": os.getloadavg(),
        "niceness": niceness,
    }
    print(report(result))
    opened = result["crowd"]["pg_connections_opened"]
    print(
        f"\npeak PostgreSQL connections {result['crowd']['peak_pg_connections']}"
        f" ({'not sampled' if opened is None else f'{opened} opened during the crowd'}),"
        f" server CPU {result['crowd']['server_cpu_cores']} cores, {result['crowd']['emails_sent']} emails sent;"
        f" errors: {result['crowd']['errors'] or 'none'}"
    )
    if warning:
        print(warning)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
