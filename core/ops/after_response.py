"""Work a request's answer does not wait for, run once the answer has been sent.

A booking's answer is ready when its transaction commits; telling people about
it (in-app notifications with their live pushes, the emails' tasks, the event
log, the mentor's calendar) took as long again, and the learner waited for it
(README, "Holding a crowd"). Receivers marked :func:`after_response` run when
the response is closed instead: under ASGI and WSGI Django closes it after the
last byte went to the server, on the request's own thread.
:class:`AfterResponseMiddleware` opens the request's list of jobs and always
closes it before it returns, so no list outlives its request; outside a request
(Celery tasks, management commands, services called directly) jobs run at once.

Only work whose result the answer does not show belongs here; what the next
page must see at once (the page cache's tags, money) stays where it was. A job
that raises is logged and the others still run; they run before
``request_finished``, whose ``close_old_connections`` hands back what they used.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from django.db import connections

log = logging.getLogger(__name__)

_scope = threading.local()


class _Jobs(list):
    """A request's jobs, and what its work batches until they run (:func:`batched`)."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: dict[str, dict] = {}


def batched(name: str, flush: Callable[[dict], Any]) -> dict | None:
    """This request's batch ``name``: a dict the caller fills, handed to ``flush`` once after the answer.

    For writes nothing in the answer waits for (the kept parts a page rebuilt): one round trip
    for them all, after the last byte went out. ``None`` outside a request: do the work at once.
    """
    jobs = getattr(_scope, "jobs", None)
    if jobs is None:
        return None
    batch = jobs.batches.get(name)
    if batch is None:
        batch = jobs.batches[name] = {}
        jobs.append(lambda: flush(batch) if batch else None)
    return batch


def pending(name: str) -> dict | None:
    """This request's batch ``name`` if its work started one, else ``None``."""
    jobs = getattr(_scope, "jobs", None)
    return None if jobs is None else jobs.batches.get(name)


def later(job: Callable[[], Any]) -> None:
    """Run ``job`` once this thread's request has sent its answer; at once outside a request."""
    queue = getattr(_scope, "jobs", None)
    if queue is None:
        _run([job])
    else:
        queue.append(job)


def after_response(receiver: Callable[..., Any]) -> Callable[..., None]:
    """Make a signal receiver run after the answer (see :func:`later`); it returns nothing to the sender."""

    @functools.wraps(receiver)
    def deferred(*args: Any, **kwargs: Any) -> None:
        later(functools.partial(receiver, *args, **kwargs))

    return deferred


def hand_back_connections() -> None:
    """Return the connections that work after ``close_old_connections`` opened (to the pool, if one is used).

    Django's own ``close_old_connections`` runs first on ``request_finished``; a connection opened
    after it stayed with the thread, and with the psycopg pool that lost it to the pool for good.
    A caller's (or a test's) transaction is left alone.
    """
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


def hand_back_after_task(task: Any) -> None:
    """:func:`hand_back_connections` after ``task`` (a Celery signal's sender) in a worker; a task run
    eagerly, inside a request or a test, is left alone: its connection is the caller's."""
    if not getattr(getattr(task, "request", None), "is_eager", False):
        hand_back_connections()


def _run(jobs: list[Callable[[], Any]]) -> None:
    for job in jobs:
        try:
            job()
        except Exception:  # the answer is sent and what it reported stands; the failure is logged
            log.exception("work after the response failed: %r", job)


class AfterResponseMiddleware:
    """Collect the jobs of the request and run them when its response is closed (after it was sent)."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        outer = getattr(_scope, "jobs", None)
        jobs = _Jobs()
        _scope.jobs = jobs
        try:
            response = self.get_response(request)
        except BaseException:
            _scope.jobs = outer
            _run(jobs)  # no answer to wait for
            raise
        _scope.jobs = outer  # nothing deferred outlives this call
        if jobs:
            # Django closes the response once sent: its closers run first, then request_finished.
            response._resource_closers.append(lambda: _run(jobs))
        return response
