"""The recommender contract: fit on interactions, score candidates in one call.

Items are named by string keys ``"<kind>:<id>"`` such as ``"mentor:12"`` or
``"session:7"`` (the offline benchmark uses ``"movie:1"``). The core's hybrid
ranker normalises each recommender's scores, blends them (by ``family`` and
``weight``), filters what cannot be booked, diversifies and explains.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Literal

Family = Literal["content", "collaborative", "popularity", "trending"]
InteractionKind = Literal["view", "click", "dismiss", "book", "attend", "rate", "impression"]

#: How much one interaction of each kind says "this user wants this item", for
#: implicit-feedback models. A plugin may use its own; these are the defaults
#: the built-in ones share. A dismissal is a negative signal, an impression none.
SIGNAL_WEIGHTS: Mapping[str, float] = {
    "book": 1.0,
    "attend": 1.0,
    "rate": 1.0,
    "click": 0.3,
    "view": 0.1,
    "impression": 0.0,
    "dismiss": 0.0,
}


@dataclass(frozen=True)
class Interaction:
    user_id: int
    item: str
    kind: InteractionKind
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
    """The user being served.

    ``history`` carries the user's interactions as they are *now*, which may
    be newer than the fitted model (or the user may not have been in the
    training data at all). Item-to-item models score from it, so a learner's
    booking of a minute ago already counts; models that need per-user
    parameters learnt at fit time (matrix factorisation) use ``user_id``.
    """

    user_id: int
    skills: frozenset[str] = frozenset()
    interests: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    history: tuple[Interaction, ...] = ()


@dataclass(frozen=True)
class TrainingData:
    interactions: Sequence[Interaction]
    items: Sequence[ItemFeatures]
    users: Sequence[UserFeatures]
    now: datetime


@dataclass(frozen=True)
class RecommenderScores:
    """Raw scores (any scale: the core normalises) and short reasons per item.

    A reason is a phrase the core shows under the item ("popular this week").
    It may contain the marker ``{because}``, which the core replaces with
    the display names of the items listed in ``because`` for that item (items
    of the user's own history the score rests on), giving for example
    "learners who booked Django with Ada also booked this". Reasons may cover
    only the recommender's strongest items: the core shows one where present.
    Items with no score are simply absent from ``scores``.
    """

    scores: Mapping[str, float]
    reasons: Mapping[str, str] = field(default_factory=dict)
    because: Mapping[str, Sequence[str]] = field(default_factory=dict)


class Recommender(ABC):
    """One algorithm. ``key`` is unique across plugins and names its stored model.

    ``weight`` is the recommender's share *within its family*: the site's
    family weight is split between the family's recommenders in proportion to
    it (a plugin usually sets it from a setting).
    """

    key: ClassVar[str]
    family: ClassVar[Family]
    label: ClassVar[str]
    weight: float = 1.0

    @abstractmethod
    def fit(self, data: TrainingData) -> None: ...

    @abstractmethod
    def score(self, user: UserFeatures, candidates: Sequence[str]) -> RecommenderScores:
        """Score every candidate in one (vectorised) call; never fits."""

    @abstractmethod
    def dumps(self) -> bytes:
        """Serialise the fitted state so every process can load it."""

    @abstractmethod
    def loads(self, blob: bytes) -> None: ...
