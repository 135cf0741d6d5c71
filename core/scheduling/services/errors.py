"""Why a scheduling request was refused: one exception family, mapped to HTTP by the API."""

from __future__ import annotations

from core.api.refusals import Refusal


class SchedulingError(Refusal):
    """A request the scheduling domain refuses; nothing was changed."""


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
