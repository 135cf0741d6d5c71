"""Celery tasks of packages: the expiry sweep (beat)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="core.packages.tasks.expire_packages")
def expire_packages() -> int:
    """Expire paid packages past their date (refund or forfeit unused credits per the site's policy)."""
    from .services.credits import expire_due

    return expire_due()
