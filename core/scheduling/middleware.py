"""Seat holds end at their deadline, whether or not a worker runs."""

from __future__ import annotations

from django.conf import settings

from .services.bookings import expire_due_holds

#: At most this many lapsed holds are expired by one request (the rest by the next ones, or the sweep).
HOLDS_PER_REQUEST = 50


class ExpireLapsedHoldsMiddleware:
    """Before a page or API answer is built, expire the holds whose deadline has passed.

    One indexed query (``status, hold_expires_at``) when none has, so every page
    (dashboards, booking pages, availability, the API) reads a lapsed hold as
    expired and its seat as free. The Celery beat sweep only tidies behind it.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.skip = tuple(p for p in (settings.STATIC_URL, settings.MEDIA_URL) if p)

    def __call__(self, request):
        if not request.path.startswith(self.skip):
            expire_due_holds(limit=HOLDS_PER_REQUEST)
        return self.get_response(request)
