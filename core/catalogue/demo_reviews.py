"""Demo reviews for the completed bookings scheduling's demo made (runs after ``core.scheduling.demo``).

Most are approved, so mentor pages show ratings; every fourth stays pending so editors find work in the
admin's "Reviews" list. Idempotent: a booking is reviewed at most once.
"""

from __future__ import annotations

import random
from typing import Any

from .models import Review
from .reviews import moderate_review, submit_review

COMMENTS = {
    5: [
        "Brilliant session: clear explanations and a plan for the next steps.",
        "Exactly what I needed. I finally understand it.",
        "Very patient and well prepared. Booking again!",
    ],
    4: [
        "Really helpful, we covered a lot. A short summary afterwards would make it perfect.",
        "Good session with practical examples.",
    ],
    3: ["Useful, though we ran out of time for my last question."],
    2: ["The connection was poor and we lost ten minutes; the content itself was fine."],
}


def seed(context: Any) -> None:
    from core.scheduling.models import Booking

    rng = random.Random(1125)
    created = 0
    bookings = (
        Booking.objects.filter(status=Booking.COMPLETED, review__isnull=True, learner__in=context.learners)
        .select_related("session")
        .order_by("pk")
    )
    for position, booking in enumerate(bookings):
        rating = rng.choice([5, 5, 5, 4, 4, 4, 3, 2])
        comment = rng.choice(COMMENTS[rating]) if rng.random() < 0.8 else ""
        review = submit_review(booking.learner, booking.pk, rating, comment)
        if position % 4 != 3:  # every fourth stays pending, so editors find one to moderate
            moderate_review(review.pk, Review.APPROVED, None, "Seeded demo review")
        created += 1
    context.report.counts["reviews"] = Review.objects.count()
