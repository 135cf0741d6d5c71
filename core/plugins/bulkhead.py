"""Bulkheads: each plugin, on each site, runs its calls on a few threads of its own.

Python cannot stop a thread, so a call that overruns its time budget keeps
running, and keeps its slot, until the plugin returns. With one pool shared by
every plugin, a plugin that hangs fills the pool and healthy plugins queue
behind it until they time out too. Here a hung or slow plugin fills only its
own slots. A call that finds every slot taken waits for one within its own
budget while some running call is still within its budget (a busy, healthy
plugin frees slots in milliseconds), and is refused at once (:class:`Busy`)
when every slot is held by a call already past its budget (a hung plugin);
the manager counts refusals against that plugin alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class Busy(Exception):
    """Every slot of the plugin's bulkhead is taken by a call that has not returned."""


class Bulkhead:
    """At most ``slots`` calls at a time, on threads no other plugin shares."""

    def __init__(self, name: str, slots: int) -> None:
        self.slots = max(int(slots), 1)
        self._free = threading.BoundedSemaphore(self.slots)
        self._executor = ThreadPoolExecutor(max_workers=self.slots, thread_name_prefix=f"plugin-{name}")
        self._deadlines: dict[object, float] = {}  # running call -> when its caller stops waiting (monotonic)
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], *args: Any, deadline: float) -> Future:
        """Start ``fn(*args)`` on a free slot, waiting for one until ``deadline`` (``time.monotonic()``).

        Raises :class:`Busy` at once when every slot is held by a call past its
        own deadline, or at ``deadline`` when none came free. The slot is given
        back when ``fn`` returns, not when the caller stops waiting for it:
        that is what keeps a hung plugin inside its own share.
        """
        if not self._free.acquire(blocking=False):
            if self._all_overdue():
                raise Busy(f"all {self.slots} of its call slots are held by calls past their time budget")
            if not self._free.acquire(timeout=max(deadline - time.monotonic(), 0)):
                raise Busy(f"none of its {self.slots} call slots came free within the time budget")
        call = object()
        with self._lock:
            self._deadlines[call] = deadline
        try:
            future = self._executor.submit(fn, *args)
        except BaseException:
            self._release(call)
            raise
        future.add_done_callback(lambda _: self._release(call))
        return future

    def _release(self, call: object) -> None:
        with self._lock:
            self._deadlines.pop(call, None)
        self._free.release()

    def _all_overdue(self) -> bool:
        now = time.monotonic()
        with self._lock:
            return len(self._deadlines) >= self.slots and all(d <= now for d in self._deadlines.values())

    def shutdown(self) -> None:
        """Stop accepting calls; running ones finish on their own."""
        self._executor.shutdown(wait=False, cancel_futures=True)


class Bulkheads:
    """One :class:`Bulkhead` per (plugin, site), created on first use."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._by_key: dict[tuple[str, int | None], Bulkhead] = {}
        self._lock = threading.Lock()

    def of(self, plugin: str, site_id: int | None) -> Bulkhead:
        key = (plugin, site_id)
        bulkhead = self._by_key.get(key)
        if bulkhead is None:
            with self._lock:
                bulkhead = self._by_key.get(key)
                if bulkhead is None:
                    bulkhead = self._by_key[key] = Bulkhead(f"{plugin}-{site_id}", self.slots)
        return bulkhead

    def shutdown(self) -> None:
        with self._lock:
            for bulkhead in self._by_key.values():
                bulkhead.shutdown()
            self._by_key.clear()
