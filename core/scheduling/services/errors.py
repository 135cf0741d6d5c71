"""Why a scheduling request was refused: one exception family, mapped to HTTP by the API."""

from __future__ import annotations


class SchedulingError(Exception):
    """A request the domain refuses; nothing was changed.

    ``code`` is a stable machine-readable reason, ``field`` names the input at
    fault (when one is), ``status`` is the HTTP status the API answers with.
    """

    status = 400
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field


class InvalidRequest(SchedulingError):
    """Bad input: a past start, a slot outside availability, a capacity of zero..."""

    status = 400


class NotAllowed(SchedulingError):
    """The person asking may not do this (a stranger cancelling, a learner starting)."""

    status = 403
    default_code = "permission_denied"


class Conflict(SchedulingError):
    """The calendar says no: no seat left, a clash with one's own bookings, a slot just taken."""

    status = 409
    default_code = "conflict"


class IllegalTransition(Conflict):
    """A booking or session asked to move to a state its state machine does not allow from here."""

    default_code = "illegal_transition"

    def __init__(self, kind: str, pk: int | None, old: str, new: str) -> None:
        super().__init__(f"A {kind} that is {old.replace('_', ' ')} cannot become {new.replace('_', ' ')}.")
        self.kind = kind
        self.pk = pk
        self.old = old
        self.new = new
