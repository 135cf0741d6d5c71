"""Channel-layer group names of a room (kept short and ASCII, as Channels requires)."""


def room_group(session_id: int) -> str:
    """Every joined socket of a session's room."""
    return f"room.{session_id}"


def peer_group(session_id: int, peer_id: str) -> str:
    """One joined socket: direct messages (offer, answer, ice) go here, scoped by the room."""
    return f"room.{session_id}.{peer_id}"
