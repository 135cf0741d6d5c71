from .fixtures import _started_harnesses, booking_for, configure_gateway, harness_for

# Fixtures are found by name in a conftest; the core payment tests import the same ones.
__all__ = ["_started_harnesses", "booking_for", "configure_gateway", "harness_for"]
