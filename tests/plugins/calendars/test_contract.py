"""The calendar provider contract (peerlearn_testing) run against the built-in CalDAV plugin and Radicale."""

import pytest

from peerlearn_testing import CalendarProviderContract

from . import harnesses  # noqa: F401 - registers the Radicale harness


@pytest.fixture
def peerlearn_plugin() -> str:
    return "calendar_caldav"


class TestCalDAVContract(CalendarProviderContract):
    pass
