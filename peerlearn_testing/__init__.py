"""``peerlearn_testing``: PeerLearn's plugin contract suites, for any package to run against its own plugin.

Installed with PeerLearn and registered as a pytest plugin (entry point
``pytest11``), so a plugin's own repository needs no PeerLearn checkout::

    # tests/test_contract.py of a recommender package
    import pytest
    from peerlearn_testing import RecommenderContract


    @pytest.fixture
    def peerlearn_plugin() -> str:
        return "recent_activity"  # the plugin's entry-point name


    class TestContract(RecommenderContract):
        pass

``PaymentGatewayContract``, ``VideoBackendContract`` and
``CalendarProviderContract`` work the same way; a payment gateway also
registers a :class:`GatewayHarness` that plays its customer and its webhooks,
and a calendar provider a :class:`CalendarHarness` (its server, and the
mentor's hands in it). PeerLearn's own built-in plugins are tested with
exactly these classes. The run needs ``DJANGO_SETTINGS_MODULE =
"peerlearn.settings.test"`` (pytest-django) in the package's pytest settings.
"""

from .calendars import CalendarHarness, CalendarProviderContract, register_calendar_harness
from .payments import GatewayHarness, PaymentGatewayContract, register_harness
from .recommenders import RecommenderContract
from .video import VideoBackendContract

__all__ = [
    "CalendarHarness",
    "CalendarProviderContract",
    "GatewayHarness",
    "PaymentGatewayContract",
    "RecommenderContract",
    "VideoBackendContract",
    "register_calendar_harness",
    "register_harness",
]
