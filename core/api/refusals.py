"""The one base class for "the domain says no": services raise it, the API turns it into JSON.

Each domain (scheduling, payments...) subclasses :class:`Refusal` for its own
family of reasons; the API's exception handler (:mod:`core.api.errors`)
answers any of them with its status, ``code`` and, for bad input naming a
field, ``errors: {field: [message]}``. Views of pages show ``message``.
"""

from __future__ import annotations


class Refusal(Exception):
    """A request the domain refuses; nothing was changed (or it was rolled back).

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
