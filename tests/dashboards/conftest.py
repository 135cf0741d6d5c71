"""The dashboards use the same people and sessions as the notification tests."""

from tests.notifications.conftest import _celery_eager, committed, learner, make_session, mentor  # noqa: F401
