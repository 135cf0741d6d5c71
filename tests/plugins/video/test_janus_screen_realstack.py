"""A second publisher per person (the screen share) through a real Janus, and Janus still refusing strangers.

The room page shares a screen as a second feed of the same person: the same
token, the feed id ``screenFeedId`` the site hands out next to ``feedId``
(janus-room.js). Here aiortc peers do the same over Janus's WebSocket API: the
learner's camera and screen both reach the mentor; a stranger cannot take
that screen slot (no token, a forged one, a real token of another session);
and when the learner's booking is cancelled Janus drops both her feeds.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from .janus_peers import JanusPeer, until
from .test_janus_realstack import MIN_FRAMES, peer_for, refused, room_details

pytestmark = pytest.mark.realstack


def test_a_learner_publishes_a_screen_as_a_second_feed_and_a_stranger_cannot(
    transactional_db, user_factory, janus_site, settings
):
    from core.scheduling.services.bookings import book_session, cancel_booking
    from core.scheduling.services.sessions import create_session

    settings.PEERLEARN_PLUGINS = {**settings.PEERLEARN_PLUGINS, "TIME_BUDGET": 10.0}
    now = datetime.now(UTC)
    mentor = user_factory(is_mentor=True, display_name="Maya Mentor")
    learner = user_factory(display_name="Leo Learner")
    session = create_session(
        mentor, title="Screens", start=now + timedelta(minutes=5), duration_minutes=60, capacity=5, now=now
    )
    booking = book_session(session, learner, now=now)
    other = create_session(
        user_factory(is_mentor=True, display_name="Otto Other"),
        title="Another room",
        start=now + timedelta(minutes=5),
        duration_minutes=60,
        capacity=5,
        now=now,
    )
    outsider = user_factory(display_name="Olga Outsider")
    book_session(other, outsider, now=now)

    mine, theirs = room_details(learner, session), room_details(mentor, session)
    outsider_details = room_details(outsider, other)
    assert mine["screenFeedId"] != mine["feedId"] and mine["screenFeedId"] // 10 == mine["feedId"] // 10
    ws_url, room = janus_site.ws_url, mine["room"]
    loop = asyncio.new_event_loop()
    camera = peer_for("Leo Learner", mine)
    screen = JanusPeer("Leo Learner:screen", mine["token"], room, mine["screenFeedId"])
    watcher = peer_for("Maya Mentor", theirs)

    async def share() -> dict:
        for peer in (watcher, camera, screen):
            await peer.join(ws_url)
        both = await until(
            lambda: min(watcher.frames_from(["Leo Learner", "Leo Learner:screen"]).values()) >= MIN_FRAMES, timeout=40
        )
        outcome = {"both": both, "seen": watcher.frames_from(["Leo Learner", "Leo Learner:screen"])}
        # The screen slot is hers alone: the learner's own one is taken, and strangers get no further than before.
        outcome["no_token"] = await refused(ws_url, "", room, mine["screenFeedId"] + 100)
        forged = mine["token"].rsplit(".", 1)[0] + ".0123456789abcdef01234567"
        outcome["forged"] = await refused(ws_url, forged, room, mine["screenFeedId"] + 100)
        outcome["other_room"] = await refused(ws_url, outsider_details["token"], room, outsider_details["screenFeedId"])
        outcome["taken"] = await refused(ws_url, mine["token"], room, mine["screenFeedId"])
        return outcome

    try:
        outcome = loop.run_until_complete(share())
        assert outcome["both"], (
            f"the mentor missed the camera or the screen: {outcome['seen']}\n{janus_site.log_tail()}"
        )
        for key in ("no_token", "forged"):
            assert outcome[key] is not None and outcome[key].code == 403, (key, outcome[key])
        assert outcome["other_room"] is not None and outcome["other_room"].code == 433, outcome["other_room"]
        assert outcome["taken"] is not None and outcome["taken"].code == 436, "one screen feed per person at a time"

        # Her booking is cancelled: Janus drops her camera and her screen, and refuses her token.
        cancel_booking(booking, learner, "changed my mind", now=datetime.now(UTC))
        for peer in (camera, screen):
            assert loop.run_until_complete(until(peer.kicked.is_set, timeout=10)), f"Janus kept {peer.name}"
        again = loop.run_until_complete(refused(ws_url, mine["token"], room, mine["screenFeedId"]))
        assert again is not None and again.code == 403, again
    finally:
        for peer in (watcher, camera, screen):
            loop.run_until_complete(peer.leave())
        loop.close()
