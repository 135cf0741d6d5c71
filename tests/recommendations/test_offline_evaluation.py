"""The offline evaluation protocol (bench/recommenders.py) on tiny data with hand-computed answers.

Generated here: a clone has no ../shared/ (and MovieLens stays out of the test fixtures).
"""

from __future__ import annotations

import json
import math

import pytest

from bench import recommenders as bench


def test_metrics_by_hand():
    ranked = ["a", "b", "c", "d"]
    relevant = {"b", "d", "z"}
    assert bench.precision_at_k(ranked, relevant, 4) == pytest.approx(2 / 4)
    assert bench.recall_at_k(ranked, relevant, 4) == pytest.approx(2 / 3)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert bench.ndcg_at_k(ranked, relevant, 4) == pytest.approx(dcg / ideal)
    assert bench.map_at_k(ranked, relevant, 4) == pytest.approx((1 / 2 + 2 / 4) / 3)
    assert bench.precision_at_k([], relevant, 10) == 0.0  # an empty list is a miss, not skipped


def test_diversity_is_one_minus_mean_pairwise_jaccard():
    from core.plugins import ItemFeatures

    items = {
        "a": ItemFeatures("a", frozenset({"x", "y"})),
        "b": ItemFeatures("b", frozenset({"x"})),
        "c": ItemFeatures("c", frozenset({"z"})),
    }
    # pairs: (a,b) 1/2, (a,c) 0, (b,c) 0 -> mean 1/6
    assert bench.intra_list_diversity(["a", "b", "c"], items) == pytest.approx(1 - 1 / 6)


def test_user_split_takes_the_first_three_quarters_of_each_users_shuffled_ratings():
    ratings = [(u, f"movie:{i}", 4.0, 1000 + i) for u in (1, 2) for i in range(8)] + [(3, "movie:1", 5.0, 1)]
    train, test = bench.split_by_user(ratings, seed=42)
    per_user = {u: sum(1 for r in train if r[0] == u) for u in (1, 2, 3)}
    assert per_user == {1: 6, 2: 6, 3: 0}  # floor(0.75 * 8) = 6, floor(0.75 * 1) = 0
    assert sorted(train + test) == sorted(ratings)
    assert bench.split_by_user(ratings, seed=42) == (train, test)  # the seed makes it repeatable
    assert bench.split_by_user(ratings, seed=7) != (train, test)


def test_time_split_trains_on_the_earliest_ratings():
    ratings = [(1, "movie:1", 4.0, 30), (1, "movie:2", 4.0, 10), (2, "movie:1", 4.0, 20), (2, "movie:3", 4.0, 40)]
    train, test = bench.split_by_time(ratings)
    assert [r[3] for r in train] == [10, 20, 30] and [r[3] for r in test] == [40]


def _write(tmp_path):
    """Two taste groups of users: items 1-4 (Drama) and items 5-8 (Comedy)."""
    rows = ["userId,movieId,rating,timestamp"]
    t = 1_500_000_000
    for user in range(1, 21):
        group = range(1, 5) if user % 2 else range(5, 9)
        for n, item in enumerate(group):
            rows.append(f"{user},{item},{4 + (n % 2)}.0,{t + user * 100 + n}")
        rows.append(f"{user},9,3.0,{t + user * 100 + 9}")  # one item everybody rated
    (tmp_path / "ratings.csv").write_text("\r\n".join(rows) + "\r\n")  # CRLF, as MovieLens ships
    movies = ["movieId,title,genres"] + [f"{i},Drama {i} (2001),Drama" for i in range(1, 5)]
    movies += [f"{i},Comedy {i} (2002),Comedy" for i in range(5, 9)] + ["9,Everyone (2003),(no genres listed)"]
    (tmp_path / "movies.csv").write_text("\n".join(movies) + "\n")
    (tmp_path / "tags.csv").write_text("userId,movieId,tag,timestamp\n1,1,sad ending,1\n")
    return tmp_path


def test_loading_movielens_layout(tmp_path):
    data = bench.load(_write(tmp_path) / "ratings.csv", tmp_path / "movies.csv", tmp_path / "tags.csv")
    assert len(data.ratings) == 100 and len(data.items) == 9
    assert data.items["movie:1"].skills == {"Drama"} and "sad ending" in data.items["movie:1"].text
    assert data.items["movie:9"].skills == frozenset()


def test_the_benchmark_runs_end_to_end_and_beats_most_popular_on_clustered_tastes(tmp_path, capsys):
    folder = _write(tmp_path)
    out = tmp_path / "result.json"
    bench.main(
        [
            "--movielens",
            str(folder),
            "--json",
            str(out),
            "--quiet",
            "--k",
            "3",
            "--tune",
            "recommender_collaborative.ease_lambda=1,10",
        ]
    )
    result = json.loads(out.read_text())
    models = result["models"]
    assert {"most_popular", "hybrid", "hybrid_site_weights", "ease", "svd", "content", "popularity", "trending"} <= set(
        models
    )
    for metrics in models.values():
        assert {"precision@3", "recall@3", "ndcg@3", "map@3", "coverage", "diversity"} <= set(metrics)
    # A user's held-out items are in their own taste group: item-item and content models rank them
    # above the other group's, which popularity alone cannot tell apart.
    assert models["ease"]["ndcg@3"] > models["most_popular"]["ndcg@3"]
    assert models["content"]["ndcg@3"] > models["most_popular"]["ndcg@3"]
    assert models["hybrid"]["precision@3"] > models["most_popular"]["precision@3"]
    assert result["protocol"]["split"] == "user" and result["protocol"]["evaluated_users"] == 20
    assert "most_popular" in capsys.readouterr().out


METRICS_AT_3 = {"precision@3", "recall@3", "ndcg@3", "map@3", "coverage", "diversity"}


def test_the_issue_cli_flags_and_json_shape(tmp_path, capsys):
    """``--ratings --items --tags --split --seed --k --json`` exactly as the issue spells them."""
    folder = _write(tmp_path)
    out = tmp_path / "time.json"
    argv = ["--ratings", str(folder / "ratings.csv"), "--items", str(folder / "movies.csv")]
    argv += ["--tags", str(folder / "tags.csv"), "--split", "time", "--seed", "7", "--k", "3", "--json", str(out)]
    bench.main([*argv, "--no-tune", "--quiet"])
    result = json.loads(out.read_text())
    assert set(result) >= {"models", "cold_start"}
    for section in ("models", "cold_start"):
        assert {"most_popular", "hybrid"} <= set(result[section]), section
        for name, metrics in result[section].items():
            assert METRICS_AT_3 <= set(metrics), (section, name)
    assert result["protocol"] == result["protocol"] | {"split": "time", "seed": 7, "k": 3}
    for metrics in result["models"].values():
        assert all(isinstance(metrics[m], float) for m in METRICS_AT_3)
    # every user has 5 ratings; the time split leaves the latest users with few in training
    cold_users = result["protocol"]["cold_start_users"]
    for metrics in result["cold_start"].values():
        assert metrics["users"] == cold_users
        assert (metrics["precision@3"] is None) == (cold_users == 0)
    assert "precision@3" in capsys.readouterr().out


def test_cli_refuses_missing_files_and_bad_k(tmp_path):
    folder = _write(tmp_path)
    with pytest.raises(SystemExit, match="--items"):
        bench.main(["--ratings", str(folder / "ratings.csv"), "--items", str(folder / "nope.csv")])
    with pytest.raises(SystemExit, match="--ratings"):
        bench.main(["--ratings", str(folder / "missing.csv")])
    with pytest.raises(SystemExit):
        bench.main(["--ratings", str(folder / "ratings.csv"), "--k", "0"])
    with pytest.raises(SystemExit):
        bench.main(["--ratings", str(folder / "ratings.csv"), "--split", "random"])
