"""Pages of sponsored placements: the click redirect, a mentor's campaigns with their reports, a new campaign."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from core.subscriptions.benefits import may_sponsor

from . import services
from .errors import CampaignError
from .models import Campaign


@require_GET
def click(request: HttpRequest, impression_id: uuid.UUID) -> HttpResponse:
    """``/sponsored/click/<impression>/``: count the click once, then open the mentor's page."""
    impression = services.record_click(impression_id)
    if impression is None:
        raise Http404(gettext("No such sponsored slot."))
    return redirect("catalogue:mentor_by_user", user_id=impression.campaign.mentor_id)


@login_required
@require_http_methods(["GET", "POST"])
def campaigns(request: HttpRequest) -> HttpResponse:
    """``/sponsored/campaigns/``: the mentor's campaigns, their reports, and a form for a new one."""
    error: CampaignError | None = None
    status = 200
    if request.method == "POST":
        data = request.POST.dict()
        data["skills"] = request.POST.getlist("skills")
        try:
            campaign = services.create_campaign(request.user, data)
        except CampaignError as exc:
            error, status = exc, exc.status
        else:
            messages.success(request, gettext("Campaign “%(name)s” created.") % {"name": campaign.name})
            return redirect("sponsorship:campaigns")
    from core.taxonomy.models import Skill

    own = Campaign.objects.filter(mentor=request.user).prefetch_related("skills", "days")
    context = {
        "reports": [services.report(c) for c in own],
        "eligible": may_sponsor(request.user),
        "error": error,
        "form": request.POST if request.method == "POST" else {},
        "skills": Skill.objects.order_by("name"),
    }
    return render(request, "sponsorship/campaigns.html", context, status=status)


@login_required
@require_GET
def campaign_report(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if campaign.mentor_id != request.user.pk and not request.user.is_staff:
        raise Http404(gettext("No such campaign of yours."))
    return render(request, "sponsorship/report.html", {"report": services.report(campaign)})
