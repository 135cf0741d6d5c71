"""The pytest plugin of ``peerlearn_testing`` (entry point ``pytest11``): the fixtures its suites need.

Loaded in every pytest run where PeerLearn is installed, so it imports nothing
that needs Django configured until a fixture is used, and defines no autouse
fixture. PeerLearn's own tests use the same fixtures (``harness_for``,
``configure_gateway``, ``booking_for``, ``user_factory``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.plugins import PaymentGateway

from .payments import GatewayHarness, harness_class


@pytest.fixture
def peerlearn_plugin() -> str:
    """The entry-point name of the plugin under test: define this fixture in your test module."""
    pytest.fail(
        "define a fixture `peerlearn_plugin` returning your plugin's entry-point name (see peerlearn_testing)",
        pytrace=False,
    )


@pytest.fixture
def user_factory(db):
    """Users with unique emails: ``user_factory(is_mentor=True)``."""
    from django.contrib.auth import get_user_model

    counter = {"n": 0}

    def make(**extra):
        counter["n"] += 1
        extra.setdefault("email", f"person{counter['n']}@example.org")
        extra.setdefault("display_name", f"Person {counter['n']}")
        password = extra.pop("password", "a-Strong-pass-123")
        return get_user_model().objects.create_user(password=password, **extra)

    return make


@pytest.fixture(scope="session")
def _started_calendar_harnesses():
    started: dict = {}
    yield started
    for harness in started.values():
        harness.stop()


@pytest.fixture
def calendar_harness_for(_started_calendar_harnesses) -> Callable:
    """The (started, shared for the session) harness of a calendar plugin; a missing one fails the test."""
    from .calendars import HARNESS_ENTRY_POINTS, calendar_harness_class

    def get(plugin: str):
        if plugin not in _started_calendar_harnesses:
            cls = calendar_harness_class(plugin)
            if cls is None:
                pytest.fail(
                    f"calendar plugin {plugin!r} has no test harness: publish one under the entry-point group "
                    f"{HARNESS_ENTRY_POINTS!r} (see peerlearn_testing.CalendarHarness)",
                    pytrace=False,
                )
            harness = cls()
            harness.start()
            _started_calendar_harnesses[plugin] = harness
        return _started_calendar_harnesses[plugin]

    return get


@pytest.fixture(scope="session")
def _started_harnesses():
    started: dict[str, GatewayHarness] = {}
    yield started
    for harness in started.values():
        harness.stop()


@pytest.fixture
def harness_for(_started_harnesses) -> Callable[[str], GatewayHarness]:
    """The (started, shared) harness of a gateway plugin; a missing harness fails the test."""

    def get(plugin: str) -> GatewayHarness:
        if plugin not in _started_harnesses:
            cls = harness_class(plugin)
            if cls is None:
                pytest.fail(
                    f"payment gateway plugin {plugin!r} has no test harness: publish one under the entry-point "
                    "group 'peerlearn.payment_harnesses' (see peerlearn_testing.GatewayHarness)",
                    pytrace=False,
                )
            harness = cls()
            harness.start()
            _started_harnesses[plugin] = harness
        return _started_harnesses[plugin]

    return get


@pytest.fixture
def configure_gateway(db) -> Callable[..., PaymentGateway]:
    """Enable a gateway plugin on the default site with its harness's settings; return its gateway."""
    from wagtail.models import Site

    from core.plugins import config
    from core.plugins.manager import get_manager
    from core.plugins.models import PluginConfiguration

    def configure(harness: GatewayHarness, *, outage: bool = False, **extra_settings) -> PaymentGateway:
        site = Site.objects.get(is_default_site=True)
        settings_values = harness.outage_settings() if outage else harness.settings()
        PluginConfiguration.objects.update_or_create(
            site=site,
            plugin=harness.plugin,
            defaults={
                "enabled": True,
                "settings": {**settings_values, **extra_settings},
                "secrets": harness.secrets(),
            },
        )
        config.invalidate(site.id)
        gateways = [
            gateway
            for plugin, gateway in get_manager().providers("peerlearn_payment_gateways", site_id=site.id)
            if plugin == harness.plugin
        ]
        if len(gateways) != 1:
            from core.plugins.models import PluginError

            errors = list(PluginError.objects.filter(plugin=harness.plugin).values_list("kind", "message")[:3])
            from core.plugins import breaker

            manager = get_manager()
            raise AssertionError(
                f"{harness.plugin} gave {len(gateways)} gateways once configured; errors: {errors}; "
                f"enabled: {manager.is_enabled(harness.plugin, site.id)}; breaker open: "
                f"{breaker.is_open(harness.plugin)}; stored: {config.stored_for_site(site.id).get(harness.plugin)}; "
                f"loaded: {harness.plugin in manager.plugins}"
            )
        assert gateways[0].identifier == harness.identifier
        return gateways[0]

    return configure


@pytest.fixture
def booking_for(db, user_factory):
    """A booking waiting for payment, priced in the harness's currency and amount."""
    from datetime import UTC, datetime, timedelta

    from core.payments.services.ledger import freeze_commission
    from core.scheduling.services.bookings import book_session
    from core.scheduling.services.sessions import create_session

    counter = {"n": 0}

    def make(harness: GatewayHarness):
        counter["n"] += 1
        mentor = user_factory(is_mentor=True)
        start = (datetime.now(UTC) + timedelta(days=3, hours=counter["n"])).replace(second=0, microsecond=0)
        session = create_session(
            mentor,
            title=f"Contract session {counter['n']}",
            start=start,
            duration_minutes=60,
            price_minor=harness.amount_minor,
            currency=harness.currency,
        )
        booking = book_session(session, user_factory())
        freeze_commission(booking)
        return booking

    return make
