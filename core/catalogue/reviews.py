"""Reviews: a learner rates a completed booking once; editors moderate; approved ratings update the
mentor page's average and count.

All changes happen here, inside transactions, with the rows they depend on locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from .models import MentorPage, Review

MAX_COMMENT = 2000


@dataclass
class ReviewError(Exception):
    """Why a review cannot be written or moderated.

    ``field`` names the input at fault; ``status`` is the HTTP status the API answers with
    (400 bad input, 403 not yours, 404 unknown booking, 409 not now / already done).
    """

    field: str
    message: str
    status: int = 400
    code: str = "invalid"

    def __str__(self) -> str:
        return self.message


def review_block_reason(user: Any, booking: Any) -> ReviewError | None:
    """Why ``user`` may not review ``booking`` now, or ``None`` when they may."""
    from core.scheduling.models import Booking

    if booking.learner_id != getattr(user, "pk", None):
        return ReviewError(
            "booking", gettext("Only the learner of this booking can review it."), 403, "permission_denied"
        )
    if booking.status != Booking.COMPLETED:
        return ReviewError("booking", gettext("Only a completed session can be reviewed."), 409, "not_completed")
    if Review.objects.filter(booking_id=booking.pk).exists():
        return ReviewError("booking", gettext("This booking has already been reviewed."), 409, "already_reviewed")
    return None


def submit_review(user: Any, booking_id: Any, rating: Any, comment: str = "") -> Review:
    """Record the learner's rating of a completed booking, pending moderation.

    The booking row is locked so two simultaneous submissions cannot both pass the checks; the
    one-to-one column refuses a second review even if they did.
    """
    from core.scheduling.models import Booking

    try:
        rating_value = int(str(rating).strip())
    except (TypeError, ValueError):
        raise ReviewError("rating", gettext("The rating is a whole number from 1 to 5.")) from None
    if str(rating_value) != str(rating).strip() or not 1 <= rating_value <= 5:
        raise ReviewError("rating", gettext("The rating is a whole number from 1 to 5."))
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ReviewError(
            "comment", gettext("The comment is limited to %(count)d characters.") % {"count": MAX_COMMENT}
        )
    try:
        booking_pk = int(booking_id)
    except (TypeError, ValueError):
        raise ReviewError("booking", gettext("The booking is given by its numeric id.")) from None

    try:
        with transaction.atomic():
            booking = Booking.objects.select_for_update().select_related("session").filter(pk=booking_pk).first()
            if booking is None:
                raise ReviewError("booking", gettext("No such booking."), 404, "not_found")
            reason = review_block_reason(user, booking)
            if reason is not None:
                raise reason
            return Review.objects.create(
                booking=booking,
                mentor_id=booking.session.mentor_id,
                learner_id=booking.learner_id,
                rating=rating_value,
                comment=comment,
            )
    except IntegrityError:
        raise ReviewError(
            "booking", gettext("This booking has already been reviewed."), 409, "already_reviewed"
        ) from None


def refresh_mentor_rating(mentor_id: int) -> tuple[Decimal, int]:
    """Recompute a mentor's average and count from approved reviews and store them on the page row.

    The live row is updated directly (not through a revision): ratings are derived data, and
    ``MentorPage.with_content_json`` keeps them when a later revision is published.
    """
    stats = Review.objects.filter(mentor_id=mentor_id, status=Review.APPROVED).aggregate(
        average=Avg("rating"), count=Count("id")
    )
    count = stats["count"] or 0
    average = (
        Decimal(str(stats["average"])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if count else Decimal("0.00")
    )
    MentorPage.objects.filter(user_id=mentor_id).update(rating_average=average, rating_count=count)
    return average, count


def moderate_review(review_id: int, status: str, moderator: Any, note: str = "") -> Review:
    """Approve, reject or put back to pending; the mentor's rating follows approved reviews only."""
    if status not in {Review.PENDING, Review.APPROVED, Review.REJECTED}:
        raise ReviewError("status", gettext("“%(status)s” is not a review status.") % {"status": status})
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(pk=review_id).first()
        if review is None:
            raise ReviewError("review", gettext("No such review."), 404, "not_found")
        old = review.status
        review.status = status
        review.moderation_note = (note or "")[:255]
        review.moderated_by = moderator if getattr(moderator, "pk", None) else None
        review.moderated_at = timezone.now()
        review.save(update_fields=["status", "moderation_note", "moderated_by", "moderated_at"])
        if Review.APPROVED in (old, status) and old != status:
            refresh_mentor_rating(review.mentor_id)
        if status == Review.APPROVED and old != Review.APPROVED:
            _emit_feedback(review)
    return review


def _emit_feedback(review: Review) -> None:
    """Tell plugins (recommenders, analytics) about an approved rating, after commit."""
    from core.plugins.contracts.events import DomainEvent
    from core.plugins.manager import get_manager

    booking = review.booking
    get_manager().emit(
        DomainEvent(
            name="feedback.given",
            occurred_at=timezone.now(),
            payload={
                "review_id": review.pk,
                "booking_id": review.booking_id,
                "session_id": booking.session_id,
                "mentor_id": review.mentor_id,
                "learner_id": review.learner_id,
                "rating": review.rating,
            },
        )
    )


def approved_reviews(mentor_id: int) -> QuerySet[Review]:
    return Review.objects.filter(mentor_id=mentor_id, status=Review.APPROVED).select_related("learner")


def bookings_to_review(user: Any) -> QuerySet[Any]:
    """The learner's completed bookings they have not reviewed yet, most recent first."""
    from core.scheduling.models import Booking

    return (
        Booking.objects.filter(learner=user, status=Booking.COMPLETED, review__isnull=True)
        .select_related("session", "session__mentor")
        .order_by("-starts_at")
    )
