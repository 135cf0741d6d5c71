"""The records people create by using the site stay out of Wagtail's reference index.

Wagtail indexes the outgoing references of every model that has an admin viewset,
so each save re-indexed the row inside the request: a lookup, an insert and a
transaction per row. A booking (the booking, its two notifications) paid twelve
queries for it, and so did every chat line, attendance, payment and ledger entry.
These records point at people and sessions, never at content an editor reuses
(pages, images, documents, snippets): the admin's "usage" of them has nothing to
show, and each still has its own admin listing.
"""

from __future__ import annotations

from django.apps import apps

#: App label and model name of each record left out.
RECORDS = (
    "scheduling.Session",
    "scheduling.Booking",
    "scheduling.BookingSeries",
    "scheduling.WaitlistEntry",
    "intake.ApprovalRequest",
    "intake.BookingAnswer",
    "notifications.Notification",
    "notifications.ReminderSent",
    "rooms.Attendance",
    "rooms.ChatMessage",
    "messaging.Conversation",
    "messaging.MessageReport",
    "recordings.Recording",
    "recordings.ConsentDecision",
    "payments.Payment",
    "payments.Refund",
    "payments.Payout",
    "payments.LedgerEntry",
    "payments.WebhookEventRecord",
    "pricing.CouponRedemption",
    "pricing.Receipt",
    "packages.PackagePurchase",
    "packages.CreditUse",
    "subscriptions.Subscription",
)


def leave_out_records() -> None:
    """Mark :data:`RECORDS` ignored; called from ``PagesConfig.ready``, before Wagtail registers admin viewsets."""
    for label in RECORDS:
        apps.get_model(label).wagtail_reference_index_ignore = True
