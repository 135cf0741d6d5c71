"""Per-process snapshots (catalogue, availability): stale ones are served while a thread rebuilds them."""

from __future__ import annotations

import threading
import time

from core.recommendations import sources


def _age(key: str, seconds: float) -> None:
    stamp, generation, value = sources._memo[key]
    sources._memo[key] = (stamp - seconds, generation, value)


def test_a_stale_snapshot_is_served_while_a_thread_rebuilds_it():
    built: list[str] = []
    release = threading.Event()

    def build() -> int:
        built.append(threading.current_thread().name)
        if len(built) == 2:
            release.wait(5)
        return len(built)

    assert sources._memoised("test", 60, build, background=True) == 1  # the first build is the caller's
    assert sources._memoised("test", 60, build, background=True) == 1 and len(built) == 1  # fresh: kept
    _age("test", 61)
    assert sources._memoised("test", 60, build, background=True) == 1  # stale: answered at once
    assert sources._memoised("test", 60, build, background=True) == 1  # one rebuild at a time
    release.set()
    sources._refresh_threads["test"].join(5)
    assert sources._memoised("test", 60, build, background=True) == 2
    assert len(built) == 2 and built[1].startswith("recommendations-refresh")

    sources.forget_memo()  # invalidated: rebuilt before it is used again, by the caller
    assert sources._memoised("test", 60, build, background=True) == 3
    assert built[2] == threading.current_thread().name


def test_a_failed_rebuild_keeps_the_previous_snapshot_and_waits_before_trying_again():
    calls: list[int] = []

    def build() -> str:
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("database went away")
        return "first"

    assert sources._memoised("flaky", 60, build, background=True) == "first"
    _age("flaky", 61)
    assert sources._memoised("flaky", 60, build, background=True) == "first"
    sources._refresh_threads["flaky"].join(5)
    assert sources._memoised("flaky", 60, build, background=True) == "first"
    assert len(calls) == 2  # not retried on every request


def test_without_background_a_stale_value_is_rebuilt_in_the_caller():
    values = iter([1, 2])
    assert sources._memoised("plain", 5, lambda: next(values)) == 1
    _age("plain", 6)
    assert sources._memoised("plain", 5, lambda: next(values)) == 2


def test_the_shared_generation_is_read_once_per_request_and_at_every_use_outside_one(monkeypatch):
    """A dashboard uses four snapshots; each used to cost a Redis read of the generation."""
    from django.core.cache import cache

    reads: list[str] = []
    real_get = cache.get

    def counting_get(key, *args, **kwargs):
        if key == sources._GENERATION_KEY:
            reads.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", counting_get)
    sources.new_request()  # request_started
    for key in ("a", "b", "c", "d"):
        sources._memoised(key, 60, lambda: 1)
    assert len(reads) == 1
    sources.forget_memo()  # invalidated mid-request (saved settings): read again
    sources._memoised("a", 60, lambda: 2)
    assert len(reads) == 2
    sources.request_ended()  # request_finished

    reads.clear()
    sources._memoised("a", 60, lambda: 3)
    sources._memoised("b", 60, lambda: 3)
    assert len(reads) == 2  # outside a request (a task, a command): another process may have changed it


def test_snapshots_built_together_go_stale_apart():
    # Web processes start together: were each snapshot fresh for exactly its seconds, all of them would
    # rebuild it in the same second, every time. Each build counts as made up to a fifth of its life earlier.
    ages = []
    for n in range(20):
        sources._memoised(f"spread{n}", 100, lambda n=n: n)
        ages.append(time.monotonic() - sources._memo[f"spread{n}"][0])
    assert all(0 <= age <= sources.REBUILD_SPREAD * 100 + 1 for age in ages), ages
    assert len({round(age) for age in ages}) > 1, ages  # drawn anew, not one offset for all
