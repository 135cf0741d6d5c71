"""A small synthetic platform every recommender can be fitted on (no database): the contract's data."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from core.plugins import Candidates, Interaction, ItemFeatures, RecommenderScores, TrainingData, UserFeatures
from core.recommendations.ranker import raw_vector

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


ITEMS = [
    ItemFeatures(
        "mentor:1",
        frozenset({"Python", "Django"}),
        "Build web applications with Django and Python",
        3000,
        "USD",
        frozenset({"en"}),
        1,
    ),
    ItemFeatures(
        "mentor:2", frozenset({"Python", "Pandas"}), "Data analysis with pandas", 2500, "USD", frozenset({"en"}), 2
    ),
    ItemFeatures(
        "mentor:3", frozenset({"Guitar"}), "Guitar chords and rhythm for beginners", 2000, "EUR", frozenset({"es"}), 3
    ),
    ItemFeatures("mentor:4", frozenset({"Spanish"}), "Conversational Spanish", 1500, "EUR", frozenset({"es", "en"}), 4),
    ItemFeatures("session:10", frozenset({"Django"}), "Django forms workshop", 0, "USD", frozenset({"en"}), 1),
]


def interactions() -> list[Interaction]:
    rows = []
    # Learners 100-104 book Python mentors together; 105-106 guitar and Spanish.
    for user in range(100, 105):
        rows.append(Interaction(user, "mentor:1", "book", days_ago(2 + user % 3)))
        rows.append(Interaction(user, "mentor:2", "book", days_ago(3 + user % 2)))
        rows.append(Interaction(user, "mentor:1", "rate", days_ago(1), 5.0))
        rows.append(Interaction(user, "mentor:2", "rate", days_ago(1), 4.0))
    for user in (105, 106):
        rows.append(Interaction(user, "mentor:3", "book", days_ago(20)))
        rows.append(Interaction(user, "mentor:4", "book", days_ago(21)))
        rows.append(Interaction(user, "mentor:3", "rate", days_ago(19), 3.0))
        rows.append(Interaction(user, "mentor:4", "click", days_ago(9)))
    rows.append(Interaction(100, "session:10", "attend", days_ago(1)))
    rows.append(Interaction(101, "mentor:3", "dismiss", days_ago(1)))
    return rows


def training_data() -> TrainingData:
    return TrainingData(interactions=interactions(), items=ITEMS, users=[], now=NOW)


def learner(user_id: int = 100, **extra) -> UserFeatures:
    history = tuple(i for i in interactions() if i.user_id == user_id)
    extra.setdefault("history", history)
    return UserFeatures(user_id=user_id, **extra)


CANDIDATES = Candidates(item.item for item in ITEMS)


def scored(candidates, result: RecommenderScores) -> dict[str, float]:
    """The candidates a recommender scored, with their scores (its answer read back as a dict)."""
    values = raw_vector(candidates, result.scores)
    return {key: float(v) for key, v in zip(candidates, values, strict=True) if not math.isnan(v)}
