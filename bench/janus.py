"""How much one Janus (Debian's package, PeerLearn's configuration) forwards on this machine.

    python -m bench.janus                         # rooms of 4, 8, 12 people, everyone publishing
    python -m bench.janus --sizes 6 12 16 --seconds 15 --fps 15
    python -m bench.janus --rooms 3 --sizes 6     # three rooms of six at once

Starts a private Janus on loopback (tests/plugins/video/janus_server.py: ports
20500-20999, RTP 21000-21999), creates rooms and tokens with the plugin's own
code, and joins aiortc peers that each publish a small VP8 test pattern and an
Opus tone and subscribe to every other publisher (``n * (n - 1)`` forwarded
video streams per room). After a warm-up it counts, for ``--seconds``, the
video frames every subscriber decodes against what the publishers sent, and
reads Janus's CPU time from /proc. It prints, per room size: publishers,
forwarded streams, delivery (received / expected frames; frames dropped when
under 100 %), Janus CPU in % of one core, and CPU per forwarded stream; plus
what a mesh would ask of each browser's uplink for the same room.

The peers run in this process and share the two cores with Janus: delivery
falls when the *peers* run out of CPU (decoding n*(n-1) streams in Python)
long before Janus does, so read the Janus CPU per stream as the server's cost
and the delivery as a lower bound.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from plugins.video.janus.admin import JanusAdmin
from plugins.video.janus.rooms import JanusRooms, RoomSpec
from tests.plugins.video.janus_peers import JanusPeer, until
from tests.plugins.video.janus_server import janus_missing, janus_server

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: A mesh browser uploads its camera once per other participant (360p at about 500 kbit/s each).
MESH_UPLINK_KBPS = 500


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


async def one_size(janus, rooms: JanusRooms, size: int, room_count: int, seconds: float, fps: int) -> dict:
    ends = datetime.now(UTC) + timedelta(hours=1)
    groups: list[list[JanusPeer]] = []
    for index in range(room_count):
        session_id = size * 100 + index
        room = rooms.ensure_room(session_id, f"bench {size}")
        peers = [
            JanusPeer(f"p{n}", rooms.admit(session_id, n, ends), room, rooms.feed_id(n, 1), fps=fps)
            for n in range(1, size + 1)
        ]
        for peer in peers:
            await peer.join(janus.ws_url)
        groups.append(peers)
    everyone = [peer for peers in groups for peer in peers]
    names = [f"p{n}" for n in range(1, size + 1)]

    def all_flowing() -> bool:
        return all(min(p.frames_from([n for n in names if n != p.name]).values()) > 0 for p in everyone)

    flowing = await until(all_flowing, timeout=60)
    await asyncio.sleep(2)  # warm-up: keyframes, bandwidth estimation

    def total() -> int:
        return sum(r.video for p in everyone for r in p.received.values())

    frames_before, cpu_before, started = total(), cpu_seconds(janus.process.pid), time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - started
    frames = total() - frames_before
    cpu = cpu_seconds(janus.process.pid) - cpu_before
    streams = room_count * size * (size - 1)
    expected = streams * fps * elapsed
    for peer in everyone:
        await peer.leave()
    for index in range(room_count):
        rooms.close(size * 100 + index)
    return {
        "size": size,
        "rooms": room_count,
        "streams": streams,
        "flowing": flowing,
        "delivery": frames / expected if expected else 0.0,
        "janus_cpu": cpu / elapsed * 100,
        "cpu_per_stream": cpu / elapsed * 100 / streams if streams else 0.0,
        "mesh_uplink": (size - 1) * MESH_UPLINK_KBPS,
    }


async def run(args) -> None:
    with tempfile.TemporaryDirectory() as scratch, janus_server(Path(scratch), debug_level=2) as janus:
        rooms = JanusRooms(JanusAdmin(janus.admin_url, janus.admin_secret), RoomSpec(room_offset=900_000))
        print(f"janus pid {janus.process.pid}; {args.fps} fps 160x120 VP8 + Opus per publisher, {args.seconds:g} s")
        print("people/room  rooms  streams  delivered  janus CPU  CPU/stream  mesh uplink per browser")
        for size in args.sizes:
            row = await one_size(janus, rooms, size, args.rooms, args.seconds, args.fps)
            print(
                f"{row['size']:>11}  {row['rooms']:>5}  {row['streams']:>7}  {row['delivery']:>8.1%}"
                f"  {row['janus_cpu']:>8.1f}%  {row['cpu_per_stream']:>9.2f}%  {row['mesh_uplink']:>7} kbit/s"
                + ("" if row["flowing"] else "  (not every stream started)")
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 8, 12])
    parser.add_argument("--rooms", type=int, default=1, help="rooms of each size at once")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--fps", type=int, default=10)
    args = parser.parse_args()
    reason = janus_missing()
    if reason:
        raise SystemExit(reason)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
