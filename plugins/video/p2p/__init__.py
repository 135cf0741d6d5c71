"""Peer-to-peer WebRTC video: every browser talks to every other, signalled through the core."""
