"""The recommender contract: fit on interactions, score candidates in one call.

Items are named by string keys such as ``"mentor:12"`` or ``"session:7"``. The
core's hybrid ranker normalises, blends (by ``family``), filters and explains.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Literal

Family = Literal["content", "collaborative", "popularity", "trending"]


@dataclass(frozen=True)
class Interaction:
    user_id: int
    item: str
    kind: Literal["view", "click", "dismiss", "book", "attend", "rate", "impression"]
    at: datetime
    value: float = 1.0  # the rating for "rate"


@dataclass(frozen=True)
class ItemFeatures:
    item: str
    skills: frozenset[str] = frozenset()
    text: str = ""
    price_minor: int = 0
    currency: str = ""
    languages: frozenset[str] = frozenset()
    owner_user_id: int | None = None


@dataclass(frozen=True)
class UserFeatures:
    user_id: int
    skills: frozenset[str] = frozenset()
    interests: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TrainingData:
    interactions: Sequence[Interaction]
    items: Sequence[ItemFeatures]
    users: Sequence[UserFeatures]
    now: datetime


@dataclass(frozen=True)
class RecommenderScores:
    """Raw scores (any scale: the core normalises) and short reasons per item."""

    scores: Mapping[str, float]
    reasons: Mapping[str, str] = field(default_factory=dict)


class Recommender(ABC):
    key: ClassVar[str]
    family: ClassVar[Family]
    label: ClassVar[str]

    @abstractmethod
    def fit(self, data: TrainingData) -> None: ...

    @abstractmethod
    def score(self, user: UserFeatures, candidates: Sequence[str]) -> RecommenderScores: ...

    @abstractmethod
    def dumps(self) -> bytes:
        """Serialise the fitted state so every process can load it."""

    @abstractmethod
    def loads(self, blob: bytes) -> None: ...
