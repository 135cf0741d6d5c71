from .fixtures import _started_harnesses, configure_gateway, harness_for  # noqa: F401
