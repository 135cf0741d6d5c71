"""Both people of a pair write first at the same instant: one conversation, both messages (PostgreSQL).

Each thread has its own connection and they start at one barrier. The unique
pair constraint makes one ``INSERT`` wait for the other's commit and then fail;
``services.start`` then writes into the conversation the other created.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from core.messaging import services
from core.messaging.models import Conversation, Message

pytestmark = [pytest.mark.realstack, pytest.mark.django_db(transaction=True)]

ROUNDS = 6


def race(jobs) -> tuple[list, list]:
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []
    lock = threading.Lock()

    def run(job):
        try:
            barrier.wait()
            value = job()
            with lock:
                results.append(value)
        except Exception as exc:  # any error is a bug the test must show
            with lock:
                errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results, errors


def test_simultaneous_first_messages_share_one_conversation(user_factory, book, settings):
    settings.MESSAGES_PER_MINUTE = 1000
    for _ in range(ROUNDS):
        mentor = user_factory(is_mentor=True)
        learner = user_factory()
        book(mentor, learner)  # so the mentor may write first too
        results, errors = race(
            [
                lambda a=learner, b=mentor: services.start(a, b, "hello mentor"),
                lambda a=mentor, b=learner: services.start(a, b, "hello learner"),
            ]
        )
        assert errors == []
        assert Conversation.objects.filter(learner=learner, mentor=mentor).count() == 1
        assert Message.objects.filter(conversation__learner=learner).count() == 2
