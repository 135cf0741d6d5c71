"""STUN/TURN servers with short-lived credentials (coturn REST-API scheme)."""
