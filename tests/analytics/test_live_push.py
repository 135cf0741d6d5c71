"""The live tiles' push: a burst of changes sends them once at once and once a second later, from the worker."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from peerlearn.celery import app

from core.analytics.services import live
from core.analytics.tasks import push_live_tiles

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def pushed_while(run, *, watched: bool = True) -> list[str]:
    """The types of the messages the dashboard sockets get while ``run()`` runs and shortly after
    (``watched``: an open dashboard has connected or pinged lately, as its socket does)."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(live.GROUP, channel)
    if watched:
        await sync_to_async(live.watched)()
    try:
        await sync_to_async(run)()
        messages = []
        while True:
            try:
                messages.append((await asyncio.wait_for(layer.receive(channel), timeout=0.5))["type"])
            except TimeoutError:
                return messages
    finally:
        await layer.group_discard(live.GROUP, channel)


def queued_tasks() -> list[dict]:
    """The task messages waiting in this site's queue (the broker the settings name: memory or Redis)."""
    messages = []
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(app.conf.task_default_queue)
        try:
            while True:
                message = queue.get(block=True, timeout=0.3)
                messages.append(message.headers)
                message.ack()
        except queue.Empty:
            return messages
        finally:
            queue.close()


def burst() -> None:
    for _ in range(3):  # three bookings within a second
        live.push_tiles_coalesced()


async def test_a_burst_of_changes_pushes_once_at_once_and_once_from_the_worker_a_second_later(monkeypatch):
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    await sync_to_async(queued_tasks)()  # nothing of an earlier test's

    assert await pushed_while(burst) == ["tiles"], "the first change is pushed at once, alone"
    tasks = await sync_to_async(queued_tasks)()
    assert [task["task"] for task in tasks] == ["core.analytics.tasks.push_live_tiles"]
    assert tasks[0]["eta"], "the later push waits for the second to end"

    assert await pushed_while(push_live_tiles) == ["tiles"], "what the worker runs then"


async def test_without_a_worker_every_change_pushes(monkeypatch):
    """The embedded default runs tasks in-process: no countdown can wait, so nothing is held back."""
    monkeypatch.setitem(app.conf, "task_always_eager", True)

    assert await pushed_while(burst) == ["tiles"] * 3


async def test_with_no_dashboard_open_a_change_reads_and_pushes_nothing(monkeypatch, django_assert_num_queries):
    """A crowd's bookings cost no tile reads while nobody watches; a dashboard that opens asks for them."""
    from django.core.cache import cache

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    await sync_to_async(queued_tasks)()
    await sync_to_async(cache.delete)(live.WATCHED_KEY)  # no socket has spoken within WATCH_SECONDS

    def quietly() -> None:
        with django_assert_num_queries(0):
            burst()

    assert await pushed_while(quietly, watched=False) == []
    assert await sync_to_async(queued_tasks)() == [], "no later push either"
    assert await pushed_while(burst) == ["tiles"], "once a dashboard is open, changes push again"
