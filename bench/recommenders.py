"""Offline evaluation of every recommender plugin and the hybrid, on MovieLens-layout CSVs.

    python -m bench.recommenders --ratings PATH [--items PATH] [--tags PATH]
                                 [--split user|time] [--seed N] [--k 10] [--json OUT]
    python -m bench.recommenders --movielens ../shared/data/ml-latest-small   # the three files of a folder

JSON: ``{"models": {name: {"precision@k", "recall@k", "ndcg@k", "map@k",
"coverage", "diversity", "users"}}, "cold_start": {name: {...}}, ...}`` with
``most_popular`` and ``hybrid`` always among the names (cold-start metrics are
null when the split leaves no cold-start user).

Protocol (as in ../shared/README.md): ``--split user`` puts the first
floor(0.75 n) of each user's shuffled ratings (one RNG seeded with ``--seed``,
users in id order) in training; ``--split time`` puts the earliest 75 % of all
ratings in training. Candidates are all catalogue items the user did not rate
in training; relevant items are all of the user's test items, whatever the
rating. Every rating is an interaction of kind ``rate`` (value = stars), genres
are the items' skills and the title plus the users' free-text tags their text.

Models: ``most_popular`` (training count), every recommender that the
``peerlearn.plugins`` entry points provide, alone, and the core's blend
(``core.recommendations.ranker.blend``) as ``hybrid_site_weights`` (the site
defaults 0.4/0.3/0.2/0.1) and ``hybrid`` (family weights and the plugins' tuned
settings chosen on validation splits *of the training data only*, by the same
protocol one level down; ``--tune-folds`` of them, differently shuffled, for the
user split). ``hybrid_mmr`` re-orders the hybrid's top 30 by the
ranker's MMR with the site's default lambda. ``cold_start`` repeats every
metric for users with 5 or fewer training interactions.

MovieLens is under the GroupLens research licence: use it here and in tests
only, never as demo content (see ../shared/data/ml-latest-small/SOURCE.md).
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import itertools
import json
import math
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from core.plugins import (
    ENTRY_POINT_GROUP,
    Candidates,
    Interaction,
    ItemFeatures,
    PluginConfig,
    PluginMeta,
    Recommender,
    TrainingData,
    UserFeatures,
)
from core.recommendations.ranker import (
    FAMILIES,
    Candidate,
    RecommenderOutput,
    Weights,
    family_shares,
    mmr,
    normalise,
    raw_vector,
)

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "ml-latest-small"
COLD_START_MAX = 5
MMR_POOL = 30
# EASE^R's settings are the plugin's defaults, chosen on the validation parts of five seeds' training data
# (flat there between lambda 70 and 150): re-tuning them on one validation split only adds noise.
DEFAULT_TUNE = ("recommender_popularity.half_life_days=30,365,0",)

Rating = tuple[int, str, float, int]  # user, item, stars, unix time


# --- data --------------------------------------------------------------------


@dataclass
class Data:
    ratings: list[Rating]
    items: dict[str, ItemFeatures]


def _rows(path: Path) -> Iterable[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}


def load(ratings: Path, items: Path | None = None, tags: Path | None = None) -> Data:
    """Read MovieLens-layout CSVs (any line endings) into ratings and item features."""
    rows = [
        (int(r["userId"]), f"movie:{r['movieId']}", float(r["rating"]), int(float(r["timestamp"])))
        for r in _rows(ratings)
    ]
    titles: dict[str, str] = {}
    genres: dict[str, frozenset[str]] = {}
    if items is not None:
        for r in _rows(items):
            key = f"movie:{r['movieId']}"
            titles[key] = r.get("title", "")
            parts = [g for g in r.get("genres", "").split("|") if g and g != "(no genres listed)"]
            genres[key] = frozenset(parts)
    words: dict[str, list[str]] = defaultdict(list)
    if tags is not None:
        for r in _rows(tags):
            words[f"movie:{r['movieId']}"].append(r.get("tag", ""))
    keys = sorted(set(titles) | {i for _, i, _, _ in rows}, key=_item_order)
    features = {
        k: ItemFeatures(
            item=k, skills=genres.get(k, frozenset()), text=" ".join([titles.get(k, ""), *words.get(k, [])])
        )
        for k in keys
    }
    return Data(ratings=rows, items=features)


def _item_order(key: str) -> tuple[int, str]:
    tail = key.split(":", 1)[-1]
    return (int(tail), key) if tail.isdigit() else (sys.maxsize, key)


def split_by_user(ratings: Sequence[Rating], seed: int, train_share: float = 0.75) -> tuple[list, list]:
    """Per user: shuffle their ratings, the first floor(share * n) train, the rest test."""
    rng = np.random.default_rng(seed)
    by_user: dict[int, list[Rating]] = defaultdict(list)
    for r in ratings:
        by_user[r[0]].append(r)
    train: list[Rating] = []
    test: list[Rating] = []
    for user in sorted(by_user):
        rows = by_user[user]
        order = rng.permutation(len(rows))
        cut = math.floor(train_share * len(rows))
        train.extend(rows[i] for i in order[:cut])
        test.extend(rows[i] for i in order[cut:])
    return train, test


def split_by_time(ratings: Sequence[Rating], train_share: float = 0.75) -> tuple[list, list]:
    """The earliest floor(share * N) ratings train (ties kept in file order), the rest test."""
    ordered = sorted(range(len(ratings)), key=lambda n: (ratings[n][3], n))
    cut = math.floor(train_share * len(ratings))
    return [ratings[n] for n in ordered[:cut]], [ratings[n] for n in ordered[cut:]]


def training_data(train: Sequence[Rating], items: Mapping[str, ItemFeatures]) -> TrainingData:
    interactions = [
        Interaction(user_id=u, item=i, kind="rate", at=datetime.fromtimestamp(t, UTC), value=v) for u, i, v, t in train
    ]
    now = max((it.at for it in interactions), default=datetime.now(UTC))
    return TrainingData(interactions=interactions, items=list(items.values()), users=[], now=now)


# --- metrics -----------------------------------------------------------------


def precision_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return sum(1 for i in ranked[:k] if i in relevant) / k


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return sum(1 for i in ranked[:k] if i in relevant) / len(relevant) if relevant else 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    dcg = sum(1.0 / math.log2(n + 2) for n, i in enumerate(ranked[:k]) if i in relevant)
    ideal = sum(1.0 / math.log2(n + 2) for n in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def map_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    hits, total = 0, 0.0
    for n, item in enumerate(ranked[:k]):
        if item in relevant:
            hits += 1
            total += hits / (n + 1)
    return total / min(len(relevant), k) if relevant else 0.0


def intra_list_diversity(ranked: Sequence[str], items: Mapping[str, ItemFeatures]) -> float:
    """1 - mean pairwise Jaccard similarity of the items' skills (genres)."""
    pairs = list(itertools.combinations(ranked, 2))
    if not pairs:
        return 0.0
    total = 0.0
    for a, b in pairs:
        sa, sb = items[a].skills if a in items else frozenset(), items[b].skills if b in items else frozenset()
        union = len(sa | sb)
        total += len(sa & sb) / union if union else 0.0
    return 1.0 - total / len(pairs)


@dataclass
class Scorecard:
    """Sums of per-user metrics, and everything recommended (for coverage)."""

    k: int
    users: int = 0
    sums: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    shown: set[str] = field(default_factory=set)

    def add(self, ranked: Sequence[str], relevant: set[str], items: Mapping[str, ItemFeatures]) -> None:
        k = self.k
        self.users += 1
        self.sums[f"precision@{k}"] += precision_at_k(ranked, relevant, k)
        self.sums[f"recall@{k}"] += recall_at_k(ranked, relevant, k)
        self.sums[f"ndcg@{k}"] += ndcg_at_k(ranked, relevant, k)
        self.sums[f"map@{k}"] += map_at_k(ranked, relevant, k)
        self.sums["diversity"] += intra_list_diversity(ranked[:k], items)
        self.shown.update(ranked[:k])

    def result(self, catalogue_size: int) -> dict[str, float | None]:
        """Mean of each metric over the users; every metric is present, ``None`` when no user was scored."""
        k = self.k
        names = [f"precision@{k}", f"recall@{k}", f"ndcg@{k}", f"map@{k}", "diversity"]
        out: dict[str, float | None] = {
            name: (self.sums.get(name, 0.0) / self.users if self.users else None) for name in names
        }
        out["coverage"] = (len(self.shown) / catalogue_size if catalogue_size else 0.0) if self.users else None
        out["users"] = self.users
        return out


def top_k(keys: Sequence[str], values: np.ndarray, k: int) -> list[str]:
    if not len(keys):
        return []
    n = min(k, len(keys))
    part = np.argpartition(-values, n - 1)[:n]
    part = part[np.argsort(-values[part], kind="stable")]
    return [keys[i] for i in part]


# --- plugins -----------------------------------------------------------------


@dataclass
class Plugin:
    name: str
    meta: PluginMeta
    obj: object

    def recommenders(self, overrides: Mapping[str, object]) -> list[Recommender]:
        values = {f.name: f.initial() for f in self.meta.settings}
        for key, value in overrides.items():
            spec = self.meta.setting(key)
            if spec is None:
                raise SystemExit(f"{self.name} has no setting {key!r}")
            values[key] = spec.coerce(value)
        config = PluginConfig(plugin=self.name, site_id=None, values=values, secret_names=self.meta.secret_names)
        return list(self.obj.peerlearn_recommenders(config=config))


def recommender_plugins() -> list[Plugin]:
    """Every installed plugin of kind ``recommender``, exactly as the site loads them."""
    found = []
    for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            obj = ep.load()
        except Exception as exc:  # a broken third-party plugin must not stop the benchmark
            print(f"skipping plugin {ep.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        meta = getattr(obj, "peerlearn_meta", None)
        if isinstance(meta, PluginMeta) and meta.kind == "recommender" and hasattr(obj, "peerlearn_recommenders"):
            found.append(Plugin(ep.name, meta, obj))
    return found


def parse_settings(pairs: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    """``plugin.setting=v1,v2`` -> {plugin: {setting: [v1, v2]}}."""
    out: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for pair in pairs:
        name, _, values = pair.partition("=")
        plugin, _, setting = name.partition(".")
        if not plugin or not setting or not values:
            raise SystemExit(f"expected plugin.setting=value[,value...], got {pair!r}")
        out[plugin][setting] = [v.strip() for v in values.split(",") if v.strip()]
    return out


# --- evaluation --------------------------------------------------------------


@dataclass
class Split:
    train: list[Rating]
    test: list[Rating]
    catalogue: list[str]

    def __post_init__(self) -> None:
        self.seen: dict[int, set[str]] = defaultdict(set)
        self.history: dict[int, list[Interaction]] = defaultdict(list)
        for u, i, v, t in self.train:
            self.seen[u].add(i)
            self.history[u].append(Interaction(u, i, "rate", datetime.fromtimestamp(t, UTC), v))
        self.relevant: dict[int, set[str]] = defaultdict(set)
        for u, i, _, _ in self.test:
            self.relevant[u].add(i)
        self.users = sorted(self.relevant)
        self.catalogue_index = {k: n for n, k in enumerate(self.catalogue)}

    def candidates(self, user: int) -> list[str]:
        seen = self.seen.get(user, set())
        return [k for k in self.catalogue if k not in seen]

    def user(self, user: int) -> UserFeatures:
        return UserFeatures(user_id=user, history=tuple(self.history.get(user, ())))


@dataclass
class Fitted:
    recommender: Recommender
    plugin: str
    fit_seconds: float


def fit_all(
    plugins: Sequence[Plugin], settings: Mapping[str, Mapping[str, object]], data: TrainingData
) -> list[Fitted]:
    fitted = []
    for plugin in plugins:
        for rec in plugin.recommenders(settings.get(plugin.name, {})):
            start = time.perf_counter()
            rec.fit(data)
            fitted.append(Fitted(rec, plugin.name, time.perf_counter() - start))
    return fitted


def score_users(split: Split, fitted: Sequence[Fitted]) -> Iterable[tuple[int, Candidates, list[RecommenderOutput]]]:
    """Per evaluated user: candidates and every recommender's answer, aligned with them as the site aligns it."""
    for user in split.users:
        candidates = Candidates(split.candidates(user))
        features = split.user(user)
        outputs = [
            RecommenderOutput.of(
                f.recommender.key,
                f.recommender.family,
                f.recommender.weight,
                f.recommender.score(features, candidates),
                candidates,
            )
            for f in fitted
        ]
        yield user, candidates, outputs


def normalised_parts(candidates: Sequence[str], outputs: Sequence[RecommenderOutput]) -> dict[str, np.ndarray]:
    return {o.key: normalise(o.scores).astype(np.float32) for o in outputs}


def ranked_alone(candidates: Sequence[str], output: RecommenderOutput, k: int) -> list[str]:
    """One recommender's own top ``k`` (nothing when it has nothing to say)."""
    if not output.speaks:
        return []
    return top_k(candidates, np.where(np.isnan(output.scores), -np.inf, output.scores), k)


def hybrid_total(
    parts: Mapping[str, np.ndarray], outputs: Sequence[RecommenderOutput], weights: Weights, size: int
) -> np.ndarray:
    """The ranker's blend, from parts already normalised (same arithmetic as ``ranker.blend``)."""
    total = np.zeros(size, dtype=np.float32)
    for key, share in family_shares(outputs, weights).items():
        total += np.float32(share) * parts[key]
    return total


def most_popular_scores(train: Sequence[Rating]) -> dict[str, float]:
    return {k: float(v) for k, v in Counter(i for _, i, _, _ in train).items()}


def evaluate(
    split: Split,
    fitted: Sequence[Fitted],
    items: Mapping[str, ItemFeatures],
    k: int,
    weight_sets: Mapping[str, tuple[Weights, Mapping[str, float]]],
    mmr_lambda: float,
) -> tuple[dict[str, dict], dict[str, dict], float]:
    """Scorecards for every model, overall and for cold-start users; and seconds per user."""
    popular = most_popular_scores(split.train)
    names = ["most_popular", *[f.recommender.key for f in fitted], *weight_sets, "hybrid_mmr"]
    overall = {n: Scorecard(k) for n in names}
    cold = {n: Scorecard(k) for n in names}
    start = time.perf_counter()
    for user, candidates, outputs in score_users(split, fitted):
        relevant = split.relevant[user]
        is_cold = len(split.seen.get(user, ())) <= COLD_START_MAX
        lists: dict[str, list[str]] = {"most_popular": top_k(candidates, raw_vector(candidates, popular), k)}
        parts = normalised_parts(candidates, outputs)
        for o in outputs:
            lists[o.key] = ranked_alone(candidates, o, k)
        hybrid_pool: list[tuple[str, float]] = []
        for name, (weights, shares) in weight_sets.items():
            adjusted = [replace(o, weight=shares.get(o.key, o.weight)) for o in outputs]
            total = hybrid_total(parts, adjusted, weights, len(candidates))
            if name == "hybrid":
                pool = top_k(candidates, total, MMR_POOL)
                where = {c: n for n, c in enumerate(candidates)}
                hybrid_pool = [(c, float(total[where[c]])) for c in pool]
            lists[name] = top_k(candidates, total, k)
        diversified = mmr(
            [(Candidate(key=c, kind="movie", title=c, skills=items[c].skills), s) for c, s in hybrid_pool],
            k,
            mmr_lambda,
        )
        lists["hybrid_mmr"] = [c.key for c, _ in diversified]
        for name, ranked in lists.items():
            overall[name].add(ranked, relevant, items)
            if is_cold:
                cold[name].add(ranked, relevant, items)
    per_user = (time.perf_counter() - start) / max(len(split.users), 1)
    size = len(split.catalogue)
    return (
        {n: overall[n].result(size) for n in names},
        {n: cold[n].result(size) for n in names},  # every model, even with no cold-start user (metrics null)
        per_user,
    )


# --- tuning on validation ----------------------------------------------------


def weight_grid(step: float = 0.1) -> list[Weights]:
    n = round(1 / step)
    grid = []
    for a, b, c in itertools.product(range(n + 1), repeat=3):
        d = n - a - b - c
        if d >= 0:
            grid.append(Weights(a * step, b * step, c * step, d * step))
    return grid


def tune(
    train: Sequence[Rating],
    items: Mapping[str, ItemFeatures],
    catalogue: list[str],
    plugins: Sequence[Plugin],
    base_settings: Mapping[str, Mapping[str, object]],
    tune_spec: Mapping[str, Mapping[str, list[str]]],
    split_kind: str,
    seed: int,
    k: int,
    log: Callable[[str], None],
    folds: int = 1,
) -> tuple[dict[str, dict[str, object]], tuple[Weights, dict[str, float]], dict]:
    """Choose plugin settings, family weights and in-family shares on validation splits of ``train`` only.

    With ``folds`` above 1 (user split only: the time split has a single one) every choice is judged on
    that many validation splits (per-user shuffles seeded ``seed``, ``seed + 1``, ...) together, which
    halves the noise of one split for twice the fitting.
    """
    splits = []
    for fold in range(max(folds, 1) if split_kind == "user" else 1):
        sub_train, validation = split_by_user(train, seed + fold) if split_kind == "user" else split_by_time(train)
        splits.append((Split(sub_train, validation, catalogue), training_data(sub_train, items)))
    settings = {name: dict(values) for name, values in base_settings.items()}
    report: dict = {
        "validation_folds": len(splits),
        "validation_users": sum(len(split.users) for split, _ in splits),
        "settings": {},
    }
    fitted_by_plugin: dict[str, list[list[Fitted]]] = {}  # per plugin, per fold
    for plugin in plugins:
        grid = tune_spec.get(plugin.name, {})
        combos = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())] or [{}]
        best: tuple[float, dict, list[list[Fitted]]] | None = None
        for combo in combos:
            trial = {**settings.get(plugin.name, {}), **combo}
            per_fold = [fit_all([plugin], {plugin.name: trial}, data) for _, data in splits]
            if len(combos) == 1:
                best = (0.0, combo, per_fold)
                break
            cards = {f.recommender.key: Scorecard(k) for f in per_fold[0]}
            for (split, _), fitted in zip(splits, per_fold, strict=True):
                for user, candidates, outputs in score_users(split, fitted):
                    for o in outputs:
                        cards[o.key].add(ranked_alone(candidates, o, k), split.relevant[user], items)
            value = max(c.result(len(catalogue))[f"precision@{k}"] or 0.0 for c in cards.values())
            log(f"  validation {plugin.name} {combo}: best P@{k} {value:.4f}")
            report["settings"].setdefault(plugin.name, []).append({"settings": combo, f"precision@{k}": value})
            if best is None or value > best[0]:
                best = (value, combo, per_fold)
        assert best is not None
        settings.setdefault(plugin.name, {}).update(best[1])
        fitted_by_plugin[plugin.name] = best[2]
    fitted = [f for p in plugins for f in fitted_by_plugin[p.name][0]]

    # Precompute every validation user's normalised parts once (every fold), then try each weight set.
    rows = []
    for fold, (split, _) in enumerate(splits):
        fold_fitted = [f for p in plugins for f in fitted_by_plugin[p.name][fold]]
        for user, candidates, outputs in score_users(split, fold_fitted):
            parts = normalised_parts(candidates, outputs)
            rows.append((candidates, outputs, parts, split.relevant[user]))
    speaking = {o.family for _, outputs, _, _ in rows for o in outputs if o.speaks}

    def validate(weights: Weights, shares: Mapping[str, float]) -> float:
        hits = 0.0
        for candidates, outputs, parts, relevant in rows:
            outputs = [replace(o, weight=shares.get(o.key, o.weight)) for o in outputs]
            total = hybrid_total(parts, outputs, weights, len(candidates))
            hits += precision_at_k(top_k(candidates, total, k), relevant, k)
        return hits / max(len(rows), 1)

    # Family weights on a 0.1 grid over the families that say anything (the others stay 0).
    best_weights, best_value = Weights(), -1.0
    for weights in weight_grid():
        if any(weights.of(f) > 0 for f in FAMILIES if f not in speaking):
            continue
        value = validate(weights, {})
        if value > best_value + 1e-12:
            best_weights, best_value = weights, value
    # Then each recommender's share within a family that has several.
    shares: dict[str, float] = {}
    for family in FAMILIES:
        members = [f.recommender for f in fitted if f.recommender.family == family]
        for rec in members[1:] if len(members) > 1 else []:
            for share in (0.0, 0.1, 0.25, 0.5, 1.0):
                trial = {**shares, rec.key: share * members[0].weight}
                value = validate(best_weights, trial)
                if value > best_value + 1e-12:
                    shares, best_value = trial, value
    report["weights"] = {f: best_weights.of(f) for f in FAMILIES}
    report["shares_within_family"] = {
        f.recommender.key: shares.get(f.recommender.key, f.recommender.weight) for f in fitted
    }
    report[f"validation_precision@{k}"] = best_value
    log(f"  validation hybrid weights {report['weights']}, shares {report['shares_within_family']}")
    log(f"  validation hybrid P@{k} {best_value:.4f}")
    return settings, (best_weights, shares), report


# --- command -----------------------------------------------------------------


def run(args: argparse.Namespace) -> dict:
    log = (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    started = time.perf_counter()
    data = load(args.ratings, args.items, args.tags)
    catalogue = list(data.items)
    train, test = split_by_user(data.ratings, args.seed) if args.split == "user" else split_by_time(data.ratings)
    log(f"{len(data.ratings)} ratings, {len(catalogue)} items; {len(train)} train / {len(test)} test ({args.split})")
    plugins = recommender_plugins()
    if args.only:
        plugins = [p for p in plugins if p.name in args.only]
    settings = {p: {s: v[0] for s, v in vals.items()} for p, vals in parse_settings(args.set).items()}
    tuning: dict = {}
    if args.no_tune:
        tuned_settings, tuned_weights = settings, (Weights(), {})
    else:
        log("tuning on a validation split of the training data...")
        tuned_settings, tuned_weights, tuning = tune(
            train,
            data.items,
            catalogue,
            plugins,
            settings,
            parse_settings(args.tune),
            args.split,
            args.seed,
            args.k,
            log,
            folds=args.tune_folds,
        )
    log("fitting on the training data...")
    fitted = fit_all(plugins, tuned_settings, training_data(train, data.items))
    split = Split(train, test, catalogue)
    log(f"evaluating {len(split.users)} users...")
    models, cold, per_user = evaluate(
        split,
        fitted,
        data.items,
        args.k,
        {"hybrid": tuned_weights, "hybrid_site_weights": (Weights(), {})},
        args.mmr_lambda,
    )
    return {
        "dataset": {
            "ratings": str(args.ratings),
            "n_ratings": len(data.ratings),
            "n_items": len(catalogue),
            "n_users": len({u for u, _, _, _ in data.ratings}),
        },
        "protocol": {
            "split": args.split,
            "seed": args.seed,
            "k": args.k,
            "train": len(train),
            "test": len(test),
            "evaluated_users": len(split.users),
            "cold_start_users": sum(1 for u in split.users if len(split.seen.get(u, ())) <= COLD_START_MAX),
            "mmr_lambda": args.mmr_lambda,
        },
        "models": models,
        "cold_start": cold,
        "tuning": tuning,
        "settings": {p: {s: str(v) for s, v in vals.items()} for p, vals in tuned_settings.items()},
        "fit_seconds": {f.recommender.key: round(f.fit_seconds, 3) for f in fitted},
        "seconds_per_user_all_models": round(per_user, 4),
        "seconds_total": round(time.perf_counter() - started, 1),
    }


def table(models: Mapping[str, Mapping[str, float]], k: int) -> str:
    cols = [f"precision@{k}", f"recall@{k}", f"ndcg@{k}", f"map@{k}", "coverage", "diversity"]
    base = models.get("most_popular", {}).get(f"precision@{k}") or 0.0
    head = f"{'model':<22}" + "".join(f"{c:>14}" for c in cols) + f"{'x most_pop':>12}{'users':>7}"
    lines = [head, "-" * len(head)]
    for name, m in models.items():
        ratio = (m[f"precision@{k}"] or 0.0) / base if base else float("nan")
        cells = "".join(f"{m[c]:>14.4f}" if m[c] is not None else f"{'-':>14}" for c in cols)
        lines.append(f"{name:<22}" + cells + f"{ratio:>12.2f}" + f"{int(m['users']):>7}")
    return "\n".join(lines)


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, got {raw!r}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.recommenders", description=__doc__.split("\n\n")[0])
    p.add_argument("--ratings", type=Path, help="ratings.csv: userId,movieId,rating,timestamp")
    p.add_argument("--items", type=Path, help="movies.csv: movieId,title,genres (genres are the items' skills)")
    p.add_argument("--tags", type=Path, help="tags.csv: userId,movieId,tag,timestamp (tags join the items' text)")
    p.add_argument("--split", choices=["user", "time"], default="user", help="per-user 75/25 or global time split")
    p.add_argument("--seed", type=int, default=42, help="seed of the per-user shuffle")
    p.add_argument("--k", type=_positive, default=10, help="list length the metrics are taken at")
    p.add_argument("--json", type=Path, help="write the results here")
    p.add_argument(
        "--movielens", type=Path, help="convenience: a folder with ratings.csv (and movies.csv, tags.csv if present)"
    )
    p.add_argument("--set", action="append", default=[], help="plugin.setting=value (entry-point name)")
    p.add_argument(
        "--tune",
        action="append",
        default=None,
        help=f"plugin.setting=v1,v2,... tried on validation (default: {' '.join(DEFAULT_TUNE)})",
    )
    p.add_argument(
        "--tune-folds",
        type=_positive,
        default=2,
        help="validation splits of the training data every tuning choice is judged on (user split; time has 1)",
    )
    p.add_argument("--no-tune", action="store_true", help="use plugin defaults and the site's default weights")
    p.add_argument("--only", action="append", help="evaluate only these plugins (entry-point names)")
    p.add_argument("--mmr-lambda", type=float, default=0.7)
    p.add_argument("--quiet", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> dict:
    args = parser().parse_args(argv)
    if args.tune is None:
        args.tune = list(DEFAULT_TUNE)
    if args.movielens is None and args.ratings is None:
        args.movielens = DEFAULT_DIR
    if args.movielens is not None:
        folder = args.movielens
        args.ratings = args.ratings or folder / "ratings.csv"
        args.items = args.items or (folder / "movies.csv" if (folder / "movies.csv").exists() else None)
        args.tags = args.tags or (folder / "tags.csv" if (folder / "tags.csv").exists() else None)
    for flag in ("ratings", "items", "tags"):
        path = getattr(args, flag)
        if path is not None and not path.is_file():
            raise SystemExit(f"--{flag} {path}: no such file (give --ratings PATH or --movielens DIR)")
    known = {p.name for p in recommender_plugins()}
    args.tune = [t for t in args.tune if t.split(".", 1)[0] in known or t not in DEFAULT_TUNE]
    result = run(args)
    print(table(result["models"], args.k))
    if result["protocol"]["cold_start_users"]:
        print(f"\ncold start (users with <= {COLD_START_MAX} training interactions):")
        print(table(result["cold_start"], args.k))
    else:
        print(f"\ncold start: no evaluated user has <= {COLD_START_MAX} training interactions with this split")
    if result["tuning"]:
        tuning = result["tuning"]
        print(f"\nhybrid weights chosen on validation: {tuning['weights']}")
        print(f"shares within families chosen on validation: {tuning['shares_within_family']}")
    print(f"fit seconds: {result['fit_seconds']}; total {result['seconds_total']} s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
