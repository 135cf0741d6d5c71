"""Twelve people in one session through a real Janus (Debian's package), started privately on loopback.

The site gives each participant a token through its own room API (as the page
gets it); aiortc peers then speak Janus's WebSocket API, publish a test
pattern and tone, and every one must decode frames from every other. Janus
itself must refuse a stranger (no token, a forged one, or a valid token of
another session's room), a learner whose booking was cancelled, and everyone
once the session has ended.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from .janus_peers import JanusPeer, JanusRefused, JanusSession, until

pytestmark = pytest.mark.realstack

PARTICIPANTS = 12  # the mentor and 11 learners
MIN_FRAMES = 15  # 1.5 s of the 10 fps pattern from each publisher
MIN_AUDIO_FRAMES = 25  # half a second of 20 ms frames


def room_details(user, session) -> dict:
    """What the room API gives ``user`` (the page gets the same): the Janus part of the page config."""
    client = Client()
    client.force_login(user)
    response = client.get(f"/api/sessions/{session.pk}/room/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "ready" and body["backend"]["identifier"] == "janus", body
    assert body["client_script"].endswith("janus-room.js")
    return body["page_config"]["janus"]


def peer_for(name: str, details: dict, publish: bool = True) -> JanusPeer:
    return JanusPeer(name, details["token"], details["room"], details["feedId"], publish=publish)


async def refused(ws_url: str, token: str, room: int, feed_id: int) -> JanusRefused | None:
    """Try to join ``room`` with ``token``; the refusal, or ``None`` if Janus let the peer in."""
    session = JanusSession(ws_url, token)
    try:
        await session.open()
        handle = await session.attach()
        await session.message(
            handle, {"request": "join", "ptype": "publisher", "room": room, "id": feed_id, "token": token}
        )
    except JanusRefused as refusal:
        return refusal
    finally:
        await session.close()
    return None


def test_twelve_people_each_receive_everyone_and_janus_refuses_the_others(
    transactional_db, user_factory, janus_site, settings
):
    from core.rooms import services as rooms
    from core.scheduling.services.bookings import book_session, cancel_booking
    from core.scheduling.services.sessions import create_session, start_session

    settings.PEERLEARN_PLUGINS = {**settings.PEERLEARN_PLUGINS, "TIME_BUDGET": 10.0}
    now = datetime.now(UTC)
    mentor = user_factory(is_mentor=True, display_name="Maya Mentor")
    learners = [user_factory(display_name=f"Learner {n}") for n in range(1, PARTICIPANTS)]
    leaving = user_factory(display_name="Cora Cancels")
    session = create_session(
        mentor, title="Big group", start=now + timedelta(minutes=5), duration_minutes=60, capacity=20, now=now
    )
    bookings = {learner.pk: book_session(session, learner, now=now) for learner in [*learners, leaving]}
    other_mentor = user_factory(is_mentor=True, display_name="Otto Other")
    other = create_session(
        other_mentor, title="Another room", start=now + timedelta(minutes=5), duration_minutes=60, capacity=5, now=now
    )
    outsider = user_factory(display_name="Olga Outsider")
    book_session(other, outsider, now=now)

    people = [mentor, *learners]
    details = {person.pk: room_details(person, session) for person in people}
    assert len({d["room"] for d in details.values()}) == 1
    leaving_details = room_details(leaving, session)
    outsider_details = room_details(outsider, other)
    stranger = user_factory(display_name="Sam Stranger")
    client = Client()
    client.force_login(stranger)
    assert client.get(f"/api/sessions/{session.pk}/room/").status_code == 403, "the site gives a stranger nothing"
    ws_url, room = janus_site.ws_url, details[mentor.pk]["room"]

    async def meet() -> dict:
        peers = [peer_for(person.display_name, details[person.pk]) for person in people]
        for peer in peers:
            await peer.join(ws_url)
        names = [peer.name for peer in peers]

        def everyone_sees_everyone() -> bool:
            return all(
                min(peer.frames_from([n for n in names if n != peer.name]).values()) >= MIN_FRAMES
                and min(peer.received[n].audio for n in names if n != peer.name) >= MIN_AUDIO_FRAMES
                for peer in peers
            )

        complete = await until(everyone_sees_everyone, timeout=90)
        seen = {peer.name: peer.frames_from([n for n in names if n != peer.name]) for peer in peers}
        audio = {peer.name: min(peer.received[n].audio for n in names if n != peer.name) for peer in peers}
        outcome = {"complete": complete, "seen": seen, "audio": audio}
        # A stranger: no token, a forged one, and a real token of another session's room.
        outcome["no_token"] = await refused(ws_url, "", room, 999_001)
        forged = details[mentor.pk]["token"].rsplit(".", 1)[0] + ".0123456789abcdef01234567"
        outcome["forged"] = await refused(ws_url, forged, room, 999_002)
        outcome["other_room"] = await refused(ws_url, outsider_details["token"], room, outsider_details["feedId"])
        # The learner who is about to cancel is in the room first.
        cora = peer_for(leaving.display_name, leaving_details, publish=False)
        await cora.join(ws_url)
        outcome["cora_in"] = await until(lambda: len(cora.subscribed) == len(peers), timeout=20)
        outcome["peers"], outcome["cora"] = peers, cora
        return outcome

    loop = asyncio.new_event_loop()
    outcome: dict = {}
    try:
        outcome = loop.run_until_complete(meet())
        assert outcome["complete"], f"someone missed someone's video: {outcome['seen']}\n{janus_site.log_tail()}"
        assert all(count >= MIN_AUDIO_FRAMES for count in outcome["audio"].values()), outcome["audio"]
        for key in ("no_token", "forged"):
            assert outcome[key] is not None and outcome[key].code == 403, (key, outcome[key])
        assert outcome["other_room"] is not None and outcome["other_room"].code == 433, outcome["other_room"]
        assert outcome["cora_in"], "the learner joined while her booking was confirmed"

        # Her booking is cancelled: Janus drops her and refuses her token from then on.
        cancel_booking(bookings[leaving.pk], leaving, "changed my mind", now=datetime.now(UTC))
        cora = outcome["cora"]
        assert loop.run_until_complete(until(cora.kicked.is_set, timeout=10)), "Janus kept the cancelled learner"
        again = loop.run_until_complete(refused(ws_url, leaving_details["token"], room, leaving_details["feedId"] + 2))
        assert again is not None and again.code == 403, again

        # The mentor ends the session: the room is destroyed and every token stops working.
        start_session(session, mentor)
        rooms.end_room(session.pk, mentor)
        for person in (mentor, learners[0]):
            late = loop.run_until_complete(refused(ws_url, details[person.pk]["token"], room, 999_003))
            assert late is not None and late.code == 403, (person, late)
        # Tokens of the other session were left alone.
        assert (
            loop.run_until_complete(
                refused(ws_url, outsider_details["token"], outsider_details["room"], outsider_details["feedId"])
            )
            is None
        )
    finally:
        for peer in [*outcome.get("peers", []), outcome.get("cora")]:
            if peer is not None:
                loop.run_until_complete(peer.leave())
        loop.close()
