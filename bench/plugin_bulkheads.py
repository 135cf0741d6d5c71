"""A hung plugin next to a healthy one: one shared pool (before) against a bulkhead per plugin (now).

    python -m bench.plugin_bulkheads [--callers 16] [--rounds 20] [--budget 0.2] [--slots 4]

``--callers`` threads (request threads) each call the hung plugin and then
the healthy one, ``--rounds`` times, with the manager's calling pattern:
submit, wait at most ``--budget`` seconds, give up. The hung plugin never
returns. Before: every call goes to one pool of 8 threads, as the manager
did; now: each plugin has its own :class:`core.plugins.bulkhead.Bulkhead` of
``--slots`` threads (a full one waits for a slot while a call in it is within
budget, and refuses at once when all are past it). Prints, for each, how
the healthy plugin's calls went (answered or timed out, latency) and what
happened to the hung plugin's calls. Needs no database: the breaker is left
out, so what is measured is the isolation alone (with breakers on, the hung
plugin is switched off after 5 failures and the shared pool still keeps the
threads it already lost).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from core.plugins.bulkhead import Bulkhead, Busy


def run(submit_hung, submit_healthy, callers: int, rounds: int, budget: float) -> dict[str, object]:
    healthy_ok: list[float] = []
    healthy_failed = 0
    hung = {"timeout": 0, "refused": 0}
    lock = threading.Lock()

    def call(submit) -> tuple[str, float]:
        started = time.perf_counter()
        try:
            future: Future = submit()
        except Busy:
            return "refused", time.perf_counter() - started
        try:
            future.result(timeout=max(budget - (time.perf_counter() - started), 0))
            return "ok", time.perf_counter() - started
        except FutureTimeout:
            future.cancel()  # as the manager does: drops it if it never started
            return "timeout", time.perf_counter() - started

    def caller() -> None:
        nonlocal healthy_failed
        for _ in range(rounds):
            outcome, _ = call(submit_hung)
            result, seconds = call(submit_healthy)
            with lock:
                hung[outcome] = hung.get(outcome, 0) + 1
                if result == "ok":
                    healthy_ok.append(seconds)
                else:
                    healthy_failed += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=caller) for _ in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ms = sorted(s * 1000 for s in healthy_ok)
    return {
        "healthy answered": len(ms),
        "healthy timed out or refused": healthy_failed,
        "healthy p50 ms": round(statistics.median(ms), 2) if ms else None,
        "healthy p99 ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2) if ms else None,
        "hung: waited out the budget": hung["timeout"],
        "hung: refused at once": hung["refused"],
        "wall s": round(time.perf_counter() - started, 2),
    }


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.plugin_bulkheads", description=__doc__.split("\n\n")[0])
    p.add_argument("--callers", type=int, default=16)
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--budget", type=float, default=0.2)
    p.add_argument("--slots", type=int, default=4)
    args = p.parse_args()
    forever = threading.Event()

    def healthy() -> str:
        return "stun:ok"

    shared = ThreadPoolExecutor(max_workers=8, thread_name_prefix="shared")
    before = run(
        lambda: shared.submit(forever.wait), lambda: shared.submit(healthy), args.callers, args.rounds, args.budget
    )
    hung_bulkhead, healthy_bulkhead = Bulkhead("hung", args.slots), Bulkhead("healthy", args.slots)
    now = run(
        lambda: hung_bulkhead.submit(forever.wait, deadline=time.monotonic() + args.budget),
        lambda: healthy_bulkhead.submit(healthy, deadline=time.monotonic() + args.budget),
        args.callers,
        args.rounds,
        args.budget,
    )
    forever.set()
    for bulkhead in (hung_bulkhead, healthy_bulkhead):
        bulkhead.shutdown()
    shared.shutdown(wait=False, cancel_futures=True)
    print(f"{args.callers} callers x {args.rounds} rounds, budget {args.budget}s, {args.slots} slots per plugin")
    print(f"{'':32} {'shared pool of 8':>18} {'bulkhead per plugin':>20}")
    for key in before:
        print(f"{key:32} {before[key]!s:>18} {now[key]!s:>20}")


if __name__ == "__main__":
    main()
