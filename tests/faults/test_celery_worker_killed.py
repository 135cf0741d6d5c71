"""A Celery worker killed with SIGKILL in the middle of sending reminders.

Acks are late (``task_acks_late``), so the task it held stays in Redis's
unacked set; once the visibility timeout has passed, the next worker restores
it and runs it again, and each reminder's claim (a unique row committed with
the send) makes it skip what the dead worker had finished. Every person gets
their reminder exactly once: one claim, one in-app notification, one email.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

import pytest

from .conftest import say, wait_until
from .mailbox import read_mailbox as read_all

pytestmark = pytest.mark.realstack

SESSIONS, LEARNERS = 3, 9  # 30 reminders: 27 learners and 3 mentors
VISIBILITY = "3"  # seconds before a dead worker's task comes back (production: an hour)


def read_mailbox(folder):
    """The 15-minute reminders among the mail (the booking confirmations went out before)."""
    return [(to, subject) for to, subject in read_all(folder) if "Starting in" in subject]


def test_worker_killed_mid_batch_every_reminder_sent_exactly_once(stack):
    due = stack.scenario("reminders_due", sessions=SESSIONS, learners=LEARNERS)["expected"]
    mailbox = stack.workdir / "mail"
    stack.extra_env["CELERY_VISIBILITY_TIMEOUT"] = VISIBILITY
    first = stack.start_worker("worker-1", PEERLEARN_FAULT_MAIL_DELAY="0.3")  # each send takes 0.3 s
    queued = stack.scenario("enqueue", task="core.notifications.tasks.send_due_reminders")
    say(f"{len(due)} reminders due; task {queued['id']} on queue {queued['queue']}")

    wait_until(lambda: len(read_mailbox(mailbox)) >= 10, 120, "the first worker to send 10 reminders", every=0.02)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(10)
    killed_at = time.monotonic()
    sent_before = len(read_mailbox(mailbox))
    claims_before = sum(stack.scenario("reminders_sent")["claims"].values())
    say(f"SIGKILLed worker-1 after {sent_before} emails ({claims_before} claims committed)")
    assert 0 < sent_before < len(due)

    time.sleep(max(0.0, float(VISIBILITY) + 0.5 - (time.monotonic() - killed_at)))
    stack.start_worker("worker-2")
    wait_until(lambda: len(read_mailbox(mailbox)) >= len(due), 120, "every reminder to be sent")
    time.sleep(1.5)  # anything sent twice would show up now
    state = stack.scenario("reminders_sent")
    emails = Counter(to for to, _ in read_mailbox(mailbox))
    say(
        f"worker-2 sent the other {len(read_mailbox(mailbox)) - sent_before}: {len(emails)} people emailed, "
        f"at most {max(emails.values())} email each; {sum(state['claims'].values())} claims, "
        f"{sum(state['notifications'].values())} in-app notifications"
    )
    assert f"'sent': {len(due) - claims_before}," in stack.log_of("worker-2")  # the rest, by the new worker
    assert emails == Counter(due), "every reminder exactly once by email"
    assert state["claims"] == dict(Counter(due))
    assert state["notifications"] == dict(Counter(due))
