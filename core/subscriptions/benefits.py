"""What a mentor's plan grants right now: read by booking commission, sessions, pages and sponsorship.

Benefits last while the subscription is in good standing (trial, paid, or a
failed renewal inside its grace period). A booking keeps the commission frozen
when it was made, whatever happens to the plan later.
"""

from __future__ import annotations

from django.utils import timezone
from wagtail.models import Site

from .models import Plan, Subscription, SubscriptionSettings


def subscription_settings() -> SubscriptionSettings:
    site = Site.objects.filter(is_default_site=True).first() or Site.objects.order_by("pk").first()
    return SubscriptionSettings.for_site(site) if site else SubscriptionSettings()


def live_subscription(user_id: int | None) -> Subscription | None:
    """The mentor's subscription that is not over (any state but ended), if any."""
    if not user_id:
        return None
    return (
        Subscription.objects.select_related("plan", "price")
        .filter(mentor_id=user_id, status__in=Subscription.LIVE_STATUSES)
        .first()
    )


def current_plan(user_id: int | None) -> Plan | None:
    """The plan whose benefits ``user_id`` enjoys now, or ``None``."""
    subscription = live_subscription(user_id)
    if subscription is None or not subscription.grants_benefits(timezone.now()):
        return None
    return subscription.plan


def plan_commission_bp(mentor_id: int | None) -> int | None:
    """The commission rate of the mentor's plan (basis points), or ``None`` without one."""
    plan = current_plan(mentor_id)
    return plan.commission_bp if plan is not None else None


def group_capacity_limit(mentor) -> int:
    """Largest group session ``mentor`` may publish: their plan's, or the site's standard limit."""
    standard = subscription_settings().standard_group_capacity
    plan = current_plan(getattr(mentor, "pk", None))
    if plan is not None and plan.group_capacity:
        return max(standard, plan.group_capacity)
    return standard


def may_see_insights(user) -> bool:
    if not subscription_settings().insights_need_plan:
        return True
    plan = current_plan(getattr(user, "pk", None))
    return plan is not None and plan.insights


def badge_of(user_id: int | None) -> str:
    plan = current_plan(user_id)
    return plan.badge if plan is not None else ""


def may_sponsor(user) -> bool:
    """Whether ``user`` may run sponsored campaigns for themselves (editors may for anyone)."""
    plan = current_plan(getattr(user, "pk", None))
    return plan is not None and plan.sponsored_placements
