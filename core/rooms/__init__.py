"""Live session rooms: signalling over Channels, attendance and the room's chat."""
