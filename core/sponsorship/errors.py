from __future__ import annotations

from core.api.refusals import Refusal


class CampaignError(Refusal):
    """Bad campaign input (a price or budget of 0, far or reversed dates): nothing was written."""


class CampaignNotAllowed(CampaignError):
    status = 403
    default_code = "permission_denied"
