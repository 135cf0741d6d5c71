"""The recommender contract: fit on interactions, score candidates in one call.

Items are named by string keys ``"<kind>:<id>"`` such as ``"mentor:12"`` or
``"session:7"`` (the offline benchmark uses ``"movie:1"``). The core's hybrid
ranker normalises each recommender's scores, blends them (by ``family`` and
``weight``), filters what cannot be booked, diversifies and explains.

A recommender's ``family`` names the site blend weight it shares: one of the
built-in families (:data:`BUILTIN_FAMILIES`) or a family its plugin declares
in ``PluginMeta.families`` (:class:`RecommenderFamily`), whose weight editors
then set beside the built-in ones.

Scoring is vectorised end to end: the core hands a recommender a
:class:`Candidates` sequence and takes back a NumPy array aligned with it, so
a request over ten thousand items builds no per-item Python objects.
"""

from __future__ import annotations

import math
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Literal, overload

import numpy as np

BuiltinFamily = Literal["content", "collaborative", "popularity", "trending"]
#: The families every site has, in the order the admin shows them.
BUILTIN_FAMILIES: tuple[str, ...] = ("content", "collaborative", "popularity", "trending")
#: A built-in family or one declared by an installed plugin (:class:`RecommenderFamily`).
Family = str
#: What a declared family's name must look like: lower-case ASCII, digits and ``_``, 2 to 40 characters.
FAMILY_NAME_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"
#: The highest blend weight a family may have (the site setting's bound; only ratios matter).
MAX_FAMILY_WEIGHT = 100.0
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
class RecommenderFamily:
    """A blend family a recommender plugin declares in ``PluginMeta.families``.

    Recommenders of the plugin (or of other plugins) name it as their
    ``family``; the site then has a blend weight for it beside the built-in
    ones, starting at ``default_weight`` and edited by editors under
    *Settings > Recommendations* (and in A/B experiment variants). While the
    declaring plugin is disabled or uninstalled the family is left out of the
    blend and the admin; the weight an editor stored is kept for its return.

    A declaration is checked when the plugin loads (:meth:`problem`): a name
    that clashes with a built-in family or with a family another plugin
    declared first, a name not matching :data:`FAMILY_NAME_PATTERN`, an empty
    label or a weight outside ``0..MAX_FAMILY_WEIGHT`` keeps the whole plugin
    from loading, with the reason logged and listed by ``manage.py plugins``.
    """

    name: str
    label: str
    default_weight: float = 0.1
    description: str = ""

    def problem(self) -> str:
        """What is wrong with this declaration on its own ("" when nothing is)."""
        if not isinstance(self.name, str) or not re.fullmatch(FAMILY_NAME_PATTERN, self.name):
            return (
                f"family name {self.name!r} must be 2 to 40 lower-case letters, digits or '_', starting with a letter"
            )
        if self.name in BUILTIN_FAMILIES:
            return f"family {self.name!r} clashes with a built-in family ({', '.join(BUILTIN_FAMILIES)})"
        if not isinstance(self.label, str) or not self.label.strip() or len(self.label) > 100:
            return f"family {self.name!r} needs a label of 1 to 100 characters"
        if not isinstance(self.description, str):
            return f"family {self.name!r}: description must be text"
        weight = self.default_weight
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not math.isfinite(weight)
            or not 0 <= weight <= MAX_FAMILY_WEIGHT
        ):
            return f"family {self.name!r}: default_weight {weight!r} must be a number from 0 to {MAX_FAMILY_WEIGHT:g}"
        return ""


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


class Candidates(Sequence[str]):
    """The item keys one ``score`` call is about, in order (a read-only ``Sequence[str]``).

    A recommender answers with scores aligned with it. :meth:`rows` and
    :meth:`take` map the recommender's own item index (``{item key: row}``)
    onto candidate positions; the answer is remembered per index mapping, and
    the core builds one ``Candidates`` per catalogue snapshot, so the
    dictionary look-ups over the whole catalogue happen once per snapshot and
    fitted model rather than on every request. A recommender must therefore
    treat an index it passes here as immutable (refitting or loading builds a
    new mapping).
    """

    __slots__ = ("_keys", "_aligned", "_lock")
    MAX_ALIGNMENTS: ClassVar[int] = 32  # distinct index mappings remembered (models reloaded since evict the oldest)

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._keys: tuple[str, ...] = tuple(keys)
        self._aligned: dict[int, tuple[Mapping[str, int], np.ndarray, np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._keys)

    @overload
    def __getitem__(self, position: int) -> str: ...
    @overload
    def __getitem__(self, position: slice) -> tuple[str, ...]: ...
    def __getitem__(self, position: int | slice) -> str | tuple[str, ...]:
        return self._keys[position]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __repr__(self) -> str:
        head = ", ".join(self._keys[:3])
        return f"Candidates([{head}{', ...' if len(self._keys) > 3 else ''}], n={len(self._keys)})"

    def _alignment(self, index: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        hit = self._aligned.get(id(index))
        if hit is not None and hit[0] is index:  # the mapping itself is held, so its id is not reused
            return hit[1], hit[2], hit[3]
        get = index.get
        rows = np.fromiter((get(k, -1) for k in self._keys), dtype=np.intp, count=len(self._keys))
        positions = np.flatnonzero(rows >= 0)
        known = rows[positions]
        for array in (rows, positions, known):
            array.flags.writeable = False
        with self._lock:
            while len(self._aligned) >= self.MAX_ALIGNMENTS:
                self._aligned.pop(next(iter(self._aligned)))
            self._aligned[id(index)] = (index, rows, positions, known)
        return rows, positions, known

    def rows(self, index: Mapping[str, int]) -> np.ndarray:
        """Each candidate's row in ``index`` (``-1`` where the recommender does not know it); read-only."""
        return self._alignment(index)[0]

    def take(self, index: Mapping[str, int], values: np.ndarray) -> np.ndarray:
        """``values[index[c]]`` for every candidate ``c``, NaN where ``index`` lacks it: a ready ``scores`` array.

        ``values`` holds one number per row of the recommender's own index.
        """
        _rows, positions, known = self._alignment(index)
        out = np.full(len(self._keys), np.nan, dtype=np.float64)
        out[positions] = np.asarray(values)[known]
        return out


@dataclass(frozen=True)
class Reason:
    """A reason with values in it ("booked by 4 learners"), which the core shows in the reader's language.

    ``message`` is plain English with ``{name}`` markers, marked for the catalogue where the plugin
    writes it (``gettext_noop``); ``plural`` is its form for a ``count`` other than one, marked with
    it (``ngettext_noop(message, plural)``, which ``manage.py makemessages`` collects): the core then
    picks the form the reader's language needs for ``count``, which also fills ``{count}``.
    ``values`` fill the other markers: a number, a name (data such as a skill's name, shown as it
    is) or a list of names, joined the reader's way ("Python, Django and SQL"). The ``{because}``
    marker keeps its meaning. Translation happens in the core, where the request's language is
    active: a recommender may score in another thread, and its answers may outlive one request.
    """

    message: str
    plural: str = ""
    count: int | None = None
    values: Mapping[str, str | int | Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class RecommenderScores:
    """Raw scores (any scale: the core normalises) and short reasons per item.

    ``scores`` is a 1-D float array aligned with the candidates ``score`` was
    given (``scores[n]`` is for ``candidates[n]``), NaN for a candidate the
    recommender does not score; an array with no finite value means "nothing
    to say for this user". A ``Mapping[str, float]`` of item to score is still
    accepted from older plugins, at the cost of a dictionary per request.

    A reason is a phrase the core shows under the item ("popular this week"):
    plain English marked for the catalogue (the core translates it), or a
    :class:`Reason` when it carries values ("booked by 4 learners").
    It may contain the marker ``{because}``, which the core replaces with
    the display names of the items listed in ``because`` for that item (items
    of the user's own history the score rests on), giving for example
    "learners who booked Django with Ada also booked this". ``reasons`` and
    ``because`` are looked up by item key for the few items the core shows:
    they may cover only the recommender's strongest items, and a reason that
    depends on the item alone may come from one mapping built at fit time
    (entries for items that are not candidates are never read).
    """

    scores: np.ndarray | Mapping[str, float]
    reasons: Mapping[str, str | Reason] = field(default_factory=dict)
    because: Mapping[str, Sequence[str]] = field(default_factory=dict)


class Recommender(ABC):
    """One algorithm. ``key`` is unique across plugins and names its stored model.

    ``family`` is a built-in family (:data:`BUILTIN_FAMILIES`) or one declared
    by an installed plugin (:class:`RecommenderFamily`); a recommender naming
    any other family is left out and charged to its plugin.

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
    def score(self, user: UserFeatures, candidates: Candidates) -> RecommenderScores:
        """Score every candidate in one vectorised call; never fits.

        Return ``scores`` as an array aligned with ``candidates`` (NaN where
        not scored), typically ``candidates.take(self.index, values)`` with
        ``values`` computed over the recommender's own items. Anything that
        does not depend on the user belongs in ``fit``/``loads``.
        """

    @abstractmethod
    def dumps(self) -> bytes:
        """Serialise the fitted state so every process can load it."""

    @abstractmethod
    def loads(self, blob: bytes) -> None: ...
