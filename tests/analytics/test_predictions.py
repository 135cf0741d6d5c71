"""The four predictions fitted from the platform's own data, on tiny histories with a known ordering."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.analytics.models import ChurnScore, PredictionModel
from core.analytics.services import churn, paths, pricing, success
from core.analytics.services.pricing import PricingError, observations, suggest_price
from tests.analytics.conftest import at

NOW = at("2026-11-25", "12:00")  # a Wednesday


def past(days: float, hour: int = 10):
    return (NOW - timedelta(days=days)).replace(hour=hour, minute=0)


@pytest.fixture
def history(db, user_factory, mentor, make_session, make_booking):
    """Regular learners book every 10 days all year; drop-outs book three times and stop."""

    def closed(learner, start, status="completed", created_days_before=3):
        session = make_session(start)
        return make_booking(
            session,
            learner,
            status=status,
            created_at=start - timedelta(days=created_days_before),
            confirmed_at=start - timedelta(days=created_days_before),
            closed_at=start + timedelta(hours=1),
            cancelled_by=learner if status == "cancelled" else None,
        )

    regulars = [user_factory(display_name=f"Regular {i}") for i in range(6)]
    dropouts = [user_factory(display_name=f"Dropout {i}") for i in range(6)]
    for i, learner in enumerate(regulars):
        for day in range(360 - i, 4, -10):
            closed(learner, past(day, hour=8 + i))
        upcoming = make_session(NOW + timedelta(days=3, hours=i))
        make_booking(upcoming, learner, created_at=NOW - timedelta(days=2), confirmed_at=NOW - timedelta(days=2))
    for i, learner in enumerate(dropouts):
        first = 350 - 40 * i
        for n in range(3):
            status = "no_show" if n == 2 else "completed"
            closed(learner, past(first - 10 * n, hour=15 + i), status=status, created_days_before=0.2)
    return {"regulars": regulars, "dropouts": dropouts}


# --- churn --------------------------------------------------------------------------------


def test_churn_ranks_drop_outs_above_regulars_with_reasons(history):
    model = churn.fit_churn(now=NOW)
    assert model.status == PredictionModel.READY, model.message
    assert model.metrics["rows"] >= 20 and 0 < model.metrics["base_rate"] < 1
    assert churn.score_churn(now=NOW) == 12
    scores = {s.learner_id: s for s in ChurnScore.objects.all()}
    worst_regular = max(scores[u.pk].probability for u in history["regulars"])
    best_dropout = min(scores[u.pk].probability for u in history["dropouts"])
    assert worst_regular < best_dropout
    listed = {s.learner_id for s in churn.at_risk(threshold=0.5)}
    assert listed == {u.pk for u in history["dropouts"]}
    reasons = scores[history["dropouts"][0].pk].reasons
    assert reasons and any("No booking for" in r or "Nothing booked ahead" in r for r in reasons)
    one = churn.predict_churn(history["dropouts"][0], now=NOW)
    assert one.probability == pytest.approx(scores[history["dropouts"][0].pk].probability)


def test_churn_without_enough_history_says_why(db, user_factory):
    model = churn.fit_churn(now=NOW)
    assert model.status == PredictionModel.INSUFFICIENT
    assert "Need at least" in model.message
    assert churn.score_churn(now=NOW) == 0
    assert churn.predict_churn(user_factory(), now=NOW) is None


# --- session success ---------------------------------------------------------------------------


@pytest.fixture
def reliability(db, user_factory, mentor, make_session, make_booking):
    """Reliable learners complete every session; unreliable ones miss or cancel two in three."""
    reliable = [user_factory(display_name=f"Reliable {i}") for i in range(5)]
    unreliable = [user_factory(display_name=f"Unreliable {i}") for i in range(5)]
    for n in range(6):
        for i, learner in enumerate(reliable + unreliable):
            start = past(200 - 20 * n, hour=6 + i)
            bad = learner in unreliable and n % 3 != 0
            status = ("no_show" if n % 2 else "cancelled") if bad else "completed"
            make_booking(
                make_session(start),
                learner,
                status=status,
                created_at=start - timedelta(days=2),
                confirmed_at=start - timedelta(days=2),
                closed_at=start + timedelta(hours=1),
                cancelled_by=learner if status == "cancelled" else None,
            )
    return reliable, unreliable


def test_session_success_prefers_learners_who_turn_up(reliability, make_session, make_booking, mentor):
    reliable, unreliable = reliability
    assert success.success_probability  # the API exists before a model does
    model = success.fit_success()
    assert model.status == PredictionModel.READY, model.message
    assert model.metrics["rows"] == 60
    upcoming = make_session(NOW + timedelta(days=30))
    good = make_booking(upcoming, reliable[0], created_at=NOW, confirmed_at=NOW)
    other = make_session(NOW + timedelta(days=31))
    risky = make_booking(other, unreliable[0], created_at=NOW, confirmed_at=NOW)
    predictions = success.success_for_bookings([good, risky])
    assert predictions[good.pk].probability > predictions[risky.pk].probability
    assert any("cancel" in text or "missed" in text for text in predictions[risky.pk].hurts)
    ranked = success.success_probabilities(reliable[1], [upcoming, other])
    assert set(ranked) == {upcoming.pk, other.pk} and all(0 < p < 1 for p in ranked.values())
    assert success.success_probabilities(unreliable[1], [upcoming])[upcoming.pk] < ranked[upcoming.pk]


def test_session_success_without_a_model(db, mentor, user_factory, make_session, make_booking):
    booking = make_booking(make_session(NOW + timedelta(days=2)), user_factory())
    assert success.fit_success().status == PredictionModel.INSUFFICIENT
    assert success.success_probability(booking) is None
    assert success.success_probabilities(booking.learner, [booking.session]) == {}


# --- pricing -----------------------------------------------------------------------------------------


@pytest.fixture
def market(db, user_factory, skills, mentor_page, make_session, make_booking):
    """Three python mentors (30, 50, 80 EUR/h), each offering Monday 09-11: booked 4, 2 and 0 h per 4 weeks."""
    from core.scheduling.models import WeeklyRule

    learner = user_factory(display_name="Learner")
    mentors = {}
    for name, rate, booked_mondays in (("Cheap", 3000, "all"), ("Middle", 5000, "even"), ("Dear", 8000, "none")):
        user = user_factory(display_name=name, is_mentor=True)
        mentor_page(user, skills=[skills["python"]], rate=rate)
        WeeklyRule.objects.create(mentor=user, weekday=0, start_time="09:00", end_time="11:00")
        monday = NOW - timedelta(days=168)
        monday = monday + timedelta(days=(7 - monday.weekday()) % 7)
        week = 0
        while monday < NOW:
            if booked_mondays == "all" or (booked_mondays == "even" and week % 2 == 0):
                session = make_session(monday.replace(hour=9, minute=0), 120, who=user, price_minor=rate * 2)
                make_booking(session, learner, status="completed")
            monday += timedelta(days=7)
            week += 1
        mentors[name] = user
    return mentors


def test_observations_are_offered_and_booked_hours_at_a_price(market):
    obs = observations(NOW)["EUR"]
    by_mentor = {}
    for o in obs:
        by_mentor.setdefault(o.mentor, []).append(o)
    cheap = by_mentor[str(market["Cheap"].pk)]
    assert len(cheap) == 6 and {o.skill for o in cheap} == {"python"}
    assert all((o.price, o.offered, o.booked) == (3000.0, 8.0, 8.0) for o in cheap)
    assert sorted({o.booked for o in by_mentor[str(market["Middle"].pk)]}) == [4.0]
    dear = by_mentor[str(market["Dear"].pk)]
    assert all((o.price, o.booked) == (8000.0, 0.0) for o in dear)  # no priced session: the page's rate


def test_suggested_price_from_the_demand_model(market, skills):
    model = pricing.fit_pricing(now=NOW)
    assert model.status == PredictionModel.READY
    assert model.metrics["EUR"]["sensitivity_measured"] is True
    suggestion = suggest_price(market["Dear"], ["python"], 60, now=NOW)
    assert suggestion.basis == "demand_model" and suggestion.currency == "EUR"
    # nobody books the dear mentor: lower, by at most a quarter
    assert 6000 <= suggestion.suggested_minor < 8000
    assert suggestion.low_minor <= suggestion.suggested_minor <= suggestion.high_minor
    assert suggestion.suggested_minor % 100 == 0
    assert suggestion.current_minor == 8000
    text = " ".join(suggestion.reasoning)
    assert "Python:" in text and "lowering" in text and "step by step" in text
    half_hour = suggest_price(market["Dear"], [skills["python"].pk], 30, now=NOW)
    assert half_hour.suggested_minor == pytest.approx(suggestion.suggested_minor / 2, abs=100)
    data = suggestion.as_dict()
    assert data["suggested"] == f"{suggestion.suggested_minor / 100:.2f}"


def test_suggested_price_from_peers_then_nothing(db, user_factory, skills, mentor_page):
    me = user_factory(display_name="Me", is_mentor=True)
    mentor_page(me, skills=[skills["sql"]], rate=9900)
    for n, rate in enumerate((2000, 3000, 4000, 5000)):
        mentor_page(user_factory(display_name=f"Peer {n}", is_mentor=True), skills=[skills["sql"]], rate=rate)
    suggestion = suggest_price(me, ["sql"], 60, now=NOW)
    assert suggestion.basis == "peer_prices"
    assert (suggestion.low_minor, suggestion.suggested_minor, suggestion.high_minor) == (2800, 3500, 4300)
    assert "4 other mentors of these skills charge" in suggestion.reasoning[-1]
    assert not any("(s)" in line for line in suggestion.reasoning)
    nothing = suggest_price(me, ["guitar"], 45, now=NOW)
    assert nothing.basis == "none" and nothing.suggested_minor is None
    assert "no suggestion can be made" in nothing.reasoning[-1]


def test_bad_pricing_input(db, user_factory):
    me = user_factory(is_mentor=True)
    with pytest.raises(PricingError) as info:
        suggest_price(me, ["no-such-skill"], 60)
    assert info.value.field == "skills"
    with pytest.raises(PricingError) as info:
        suggest_price(me, [], 5)
    assert info.value.field == "duration_minutes"


# --- learning path ----------------------------------------------------------------------------------


@pytest.fixture
def progressions(db, user_factory, skills, mentor, make_session, make_booking):
    from core.taxonomy.models import Skill

    deploy = Skill.objects.create(name="Deployment")
    order = [skills["python"], skills["sql"], deploy]
    for i in range(3):
        learner = user_factory(display_name=f"Graduate {i}")
        for n, skill in enumerate(order):
            start = past(100 - 10 * n, hour=8 + i)
            make_booking(make_session(start, skills=[skill]), learner, status="completed")
    beginner = user_factory(display_name="Beginner")
    make_booking(make_session(past(30, hour=14), skills=[skills["python"]]), beginner, status="completed")
    return {"deploy": deploy, "beginner": beginner}


def test_learning_path_follows_how_learners_progressed(
    progressions, skills, user_factory, mentor, mentor_page, make_session
):
    model = paths.fit_learning_path()
    assert model.status == PredictionModel.READY and model.metrics["learners"] == 4
    mentor_page(mentor, skills=[skills["sql"]], rate=3000)
    upcoming = make_session(NOW + timedelta(days=400), skills=[skills["sql"]])
    newcomer = user_factory(display_name="Newcomer")
    plan = paths.learning_path(newcomer, progressions["deploy"], now=NOW)
    assert plan.basis == "platform" and plan.learners_reached == 3
    assert [s.skill.name for s in plan.steps] == ["Python", "SQL", "Deployment"]
    assert plan.steps[-1].is_goal and plan.steps[0].share == 1.0
    sql_step = plan.steps[1]
    assert [p.user_id for p in sql_step.mentors] == [mentor.pk]
    assert [s.pk for s in sql_step.sessions] == [upcoming.pk]
    # what the beginner already did is left out, and the next step is suggested from the history
    plan = paths.learning_path(progressions["beginner"], progressions["deploy"], now=NOW)
    assert [s.skill.name for s in plan.steps] == ["SQL", "Deployment"]
    assert [s.name for s in plan.known] == ["Python"]
    assert plan.next_skills[0].name == "SQL"


def test_learning_path_for_a_goal_nobody_reached(progressions, skills, user_factory):
    paths.fit_learning_path()
    plan = paths.learning_path(user_factory(), skills["guitar"], now=NOW)
    assert plan.basis == "no_history" and [s.skill.name for s in plan.steps] == ["Guitar"]
    assert "No learner" in plan.message
