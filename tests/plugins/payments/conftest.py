# The built-in gateways' harnesses; harness_for, configure_gateway and booking_for come from peerlearn_testing.
from . import harnesses  # noqa: F401 (registers them)
