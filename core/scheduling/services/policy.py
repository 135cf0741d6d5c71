"""The site's booking policy (a Wagtail site setting) and what it decides."""

from __future__ import annotations

from datetime import datetime

from wagtail.models import Site

from ..models import SchedulingPolicy


def current_policy(site: Site | None = None) -> SchedulingPolicy:
    """The policy of ``site`` (default: the default site); built-in defaults when there is no site.

    Read on every dashboard and booking, it is kept with the site's other cached
    parts (``core.pages.cache``, tag ``site``: saving any site setting makes it stale),
    and held by each process for a few seconds (``core.pages.in_process``). The same
    instance serves many requests: read it, never change it.
    """
    from core.pages.cache import cached_part

    return cached_part(
        "scheduling-policy", [site.pk if site else "default"], ["site"], lambda: _read_policy(site), in_process=True
    )


def _read_policy(site: Site | None) -> SchedulingPolicy:
    if site is None:
        site = Site.objects.filter(is_default_site=True).first() or Site.objects.order_by("pk").first()
    if site is None:
        return SchedulingPolicy()
    return SchedulingPolicy.for_site(site)


def learner_refund_percent(policy: SchedulingPolicy, starts_at: datetime, now: datetime) -> int:
    """What share a learner gets back when cancelling a paid booking at ``now``."""
    hours_before = (starts_at - now).total_seconds() / 3600
    if hours_before >= policy.free_cancellation_hours:
        return 100
    return int(policy.late_cancellation_refund_percent)


def refund_amount(price_minor: int, percent: int) -> int:
    """The refund in minor units, rounded down: never more than was paid."""
    return price_minor * percent // 100
