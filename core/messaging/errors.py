"""The reasons messaging says no, as one :class:`~core.api.refusals.Refusal` family."""

from __future__ import annotations

from core.api.refusals import Refusal


class MessagingRefusal(Refusal):
    """Nothing was sent or changed; ``status`` is what the API answers."""

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None, status: int = 400) -> None:
        super().__init__(message, code=code, field=field)
        self.status = status
