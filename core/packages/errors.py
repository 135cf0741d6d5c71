"""Why a package, a purchase or a credit was refused (mapped to 4xx JSON by the API's handler)."""

from __future__ import annotations

from core.api.refusals import Refusal


class PackageRefused(Refusal):
    """Bad input: 0 sessions, a negative price, an unknown currency."""

    default_code = "invalid_package"


class PackageNotAllowed(Refusal):
    status = 403
    default_code = "permission_denied"


class PackageConflict(Refusal):
    """The package or the credits say no: inactive or expired package, no credits left, already paid."""

    status = 409
    default_code = "conflict"
