"""Site pages of analytics: a mentor's own insights, and a learner's learning path."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.taxonomy.models import Skill

from .services import pricing
from .services.mentor import mentor_summary
from .services.paths import learning_path


@login_required
@require_GET
def mentor_insights(request: HttpRequest) -> HttpResponse:
    """``/analytics/mentor/``: earnings, utilisation, ratings, demand, bookings at risk, a price check."""
    if not request.user.is_mentor:
        return render(request, "analytics/not_mentor.html", status=403)
    from core.subscriptions.benefits import may_see_insights

    if not may_see_insights(request.user):
        return render(request, "subscriptions/insights_need_plan.html", status=403)
    summary = mentor_summary(request.user)
    price_error = None
    raw_skills = [v for v in request.GET.getlist("skills") if v]
    duration = (request.GET.get("duration_minutes") or "60").strip()
    suggestion = None
    try:
        if not duration.isdigit():
            raise pricing.PricingError("duration_minutes", f"“{duration}” is not a whole number of minutes.")
        suggestion = pricing.suggest_price(request.user, raw_skills, int(duration))
    except pricing.PricingError as exc:
        price_error = exc
    status = 400 if price_error else 200
    context = {
        "summary": summary,
        "suggestion": suggestion,
        "price_error": price_error,
        "skills": Skill.objects.order_by("name"),
        "chosen_skills": raw_skills,
        "duration": duration,
    }
    return render(request, "analytics/mentor_insights.html", context, status=status)


@login_required
@require_GET
def learning_path_page(request: HttpRequest) -> HttpResponse:
    """``/analytics/learning-path/?goal=<slug>``: how to get to a goal skill, step by step."""
    slug = (request.GET.get("goal") or "").strip()
    goal = None
    error = ""
    if slug:
        goal = Skill.objects.filter(slug=slug).first()
        if goal is None:
            error = f"There is no skill “{slug}”. Pick one from the list."
    elif request.user.interests.exists():
        goal = request.user.interests.order_by("name").first()
    plan = learning_path(request.user, goal) if goal else None
    context = {"plan": plan, "goal": goal, "error": error, "skills": Skill.objects.order_by("name")}
    return render(request, "analytics/learning_path.html", context, status=400 if error else 200)
