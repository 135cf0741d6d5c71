"""Optimal pricing: a suggested price range for a mentor's session, with the reasoning behind it.

The demand model (:mod:`core.analytics.ml.pricing`) is fitted per currency
(prices are never compared across currencies) on observations "this mentor
offered H hours in a four-week window at this hourly price and B of them were
booked", for each skill they teach, over the last six windows. Offered and
booked hours come from availability and sessions, exactly as the dashboard's
utilisation; the hourly price is the mean of the mentor's priced sessions in
the window, else their page's hourly rate.

``suggest_price(mentor_user, skills, duration_minutes)`` is the one entry
point (the session form calls it through ``GET /api/analytics/price-suggestion/``).
Without a fitted model for the skills it falls back to what other mentors of
those skills charge, and says so.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from core.catalogue.models import MentorPage, default_currency
from core.catalogue.services import live_mentor_pages
from core.scheduling.currency import exponent, format_amount, to_decimal
from core.scheduling.models import Session
from core.taxonomy.models import Skill

from ..ml.pricing import MIN_SLOPE, DemandModel, Observation
from ..models import Event, PredictionModel
from . import store
from .metrics import Period, mentor_hours, utilisation_hours

WINDOW = timedelta(days=28)
WINDOWS = 6
DEMAND_DAYS = 30
MIN_DURATION, MAX_DURATION = 15, 480


class PricingError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class SkillDemand:
    skill: str
    slug: str
    searches: int  # in the last 30 days
    views: int  # mentor pages of the skill viewed, last 30 days
    bookings: int  # last 30 days
    mentors: int  # live mentors teaching it in this currency
    median_rate_minor: int | None  # their median hourly rate
    utilisation: float | None  # booked / offered hours of its mentors, last 90 days


@dataclass
class PriceSuggestion:
    currency: str
    duration_minutes: int
    skills: list[str]
    basis: str  # "demand_model", "peer_prices" or "none"
    low_minor: int | None
    suggested_minor: int | None
    high_minor: int | None
    per_hour_minor: int | None
    current_minor: int | None  # the mentor's hourly rate applied to this duration
    booking_probability: float | None = None
    reasoning: list[str] = field(default_factory=list)
    demand: list[SkillDemand] = field(default_factory=list)
    model_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("low_minor", "suggested_minor", "high_minor", "per_hour_minor", "current_minor"):
            value = data[key]
            data[key.replace("_minor", "")] = str(to_decimal(value, self.currency)) if value is not None else None
        return data


def _money(minor: int | float, currency: str) -> str:
    return format_amount(int(round(minor)), currency)


def _round_major(minor: float, currency: str) -> int:
    """Round half up to whole major units (1.00 EUR, 1 JPY...): prices people read at a glance."""
    step = 10 ** exponent(currency)
    units = Decimal(str(minor / step)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(step, int(units) * step)


def mentor_currency(user) -> str:
    page = MentorPage.objects.filter(user=user).values_list("currency", flat=True).first()
    if page:
        return page
    last = Session.objects.filter(mentor=user).order_by("-created_at").values_list("currency", flat=True).first()
    return last or default_currency()


def mentor_hourly_rate(user, currency: str) -> int | None:
    rate = (
        MentorPage.objects.filter(user=user, currency=currency, hourly_rate_minor__gt=0)
        .values_list("hourly_rate_minor", flat=True)
        .first()
    )
    return int(rate) if rate else None


def _mentor_skills() -> dict[int, set[str]]:
    skills: dict[int, set[str]] = defaultdict(set)
    for user_id, slug in MentorPage.objects.filter(user__isnull=False).values_list("user_id", "skills__slug"):
        if slug:
            skills[user_id].add(slug)
    from core.accounts.models import User

    for user_id, slug in User.objects.filter(is_mentor=True).values_list("pk", "skills__slug"):
        if slug:
            skills[user_id].add(slug)
    return skills


def observations(now: datetime | None = None) -> dict[str, list[Observation]]:
    """Per currency, one observation per mentor, skill and four-week window (past windows only)."""
    now = now or timezone.now()
    items = [Period(now - (WINDOWS - k) * WINDOW, now - (WINDOWS - k - 1) * WINDOW) for k in range(WINDOWS)]
    skills = _mentor_skills()
    hours = mentor_hours(items, mentor_ids=list(skills))
    pages = {
        user_id: (currency, rate)
        for user_id, currency, rate in MentorPage.objects.filter(user_id__in=list(skills)).values_list(
            "user_id", "currency", "hourly_rate_minor"
        )
    }
    session_prices: dict[tuple[int, int], list[float]] = defaultdict(list)
    session_currency: dict[int, str] = {}
    for mentor_id, starts_at, ends_at, price, currency in (
        Session.objects.filter(
            mentor_id__in=list(skills), price_minor__gt=0, starts_at__gte=items[0].start, starts_at__lt=now
        )
        .exclude(status=Session.CANCELLED)
        .values_list("mentor_id", "starts_at", "ends_at", "price_minor", "currency")
    ):
        index = int((starts_at - items[0].start) / WINDOW)
        minutes = (ends_at - starts_at).total_seconds() / 60
        if 0 <= index < WINDOWS and minutes > 0:
            session_currency.setdefault(mentor_id, currency)
            if currency == session_currency[mentor_id]:
                session_prices[(mentor_id, index)].append(price * 60 / minutes)
    out: dict[str, list[Observation]] = defaultdict(list)
    for mentor_id, (booked, offered) in hours.items():
        page_currency, page_rate = pages.get(mentor_id, (None, 0))
        currency = page_currency or session_currency.get(mentor_id)
        if currency is None:
            continue
        for index in range(WINDOWS):
            prices = session_prices.get((mentor_id, index)) if session_currency.get(mentor_id) == currency else None
            price = statistics.fmean(prices) if prices else (page_rate or 0)
            if price <= 0 or offered[index] <= 0:
                continue
            for slug in skills[mentor_id]:
                out[currency].append(Observation(slug, str(mentor_id), float(price), offered[index], booked[index]))
    return out


def fit_pricing(now: datetime | None = None) -> PredictionModel:
    started = time.perf_counter()
    per_currency = observations(now)
    models = {currency: DemandModel.fit(obs) for currency, obs in per_currency.items() if obs}
    n = sum(len(obs) for obs in per_currency.values())
    if not models:
        return store.save(
            PredictionModel.PRICING,
            status=PredictionModel.INSUFFICIENT,
            message="No mentor has offered priced hours in the last 24 weeks yet.",
            fit_seconds=time.perf_counter() - started,
        )
    metrics = {
        currency: {
            "observations": model.n_observations,
            "skills": len(model.reference),
            "price_sensitivity": round(model.slope, 3),
            "sensitivity_measured": model.sensitivity_measured,
        }
        for currency, model in models.items()
    }
    return store.save(
        PredictionModel.PRICING,
        status=PredictionModel.READY,
        payload={"currencies": {c: m.to_dict() for c, m in models.items()}},
        metrics=metrics,
        n_samples=n,
        fit_seconds=time.perf_counter() - started,
    )


def _load(payload: dict[str, Any]) -> dict[str, DemandModel]:
    return {c: DemandModel.from_dict(d) for c, d in payload.get("currencies", {}).items()}


def resolve_skills(values: Iterable[Any]) -> list[Skill]:
    """Skills from instances, ids or slugs; :class:`PricingError` names the first unknown one."""
    out: list[Skill] = []
    for value in values:
        if isinstance(value, Skill):
            out.append(value)
            continue
        text = str(value).strip()
        if not text:
            continue
        skill = Skill.objects.filter(Q(slug=text) | Q(pk=int(text)) if text.isdigit() else Q(slug=text)).first()
        if skill is None:
            raise PricingError("skills", gettext("There is no skill “%(name)s”.") % {"name": text})
        if skill not in out:
            out.append(skill)
    return out


def skill_demand(skill: Skill, currency: str, now: datetime) -> SkillDemand:
    since = now - timedelta(days=DEMAND_DAYS)
    counts = defaultdict(int)
    for name, skill_ids in Event.objects.filter(
        name__in=["search.performed", "mentor.viewed", "booking.created"], occurred_at__gte=since
    ).values_list("name", "skill_ids"):
        if skill.pk in (skill_ids or ()):
            counts[name] += 1
    rates = sorted(
        live_mentor_pages()
        .filter(skills=skill, currency=currency, hourly_rate_minor__gt=0)
        .values_list("hourly_rate_minor", flat=True)
    )
    mentors = live_mentor_pages().filter(skills=skill, currency=currency).count()
    booked, offered = utilisation_hours([Period(now - timedelta(days=90), now)], skill)
    return SkillDemand(
        skill=skill.name,
        slug=skill.slug,
        searches=counts["search.performed"],
        views=counts["mentor.viewed"],
        bookings=counts["booking.created"],
        mentors=mentors,
        median_rate_minor=int(statistics.median(rates)) if rates else None,
        utilisation=(booked[0] / offered[0]) if offered and offered[0] else None,
    )


def _times(n: int) -> str:
    return ngettext("%(count)d time", "%(count)d times", n) % {"count": n}


def _demand_sentence(d: SkillDemand, currency: str) -> str:
    """One plain sentence on a skill's market: interest, competition and how busy its mentors are."""
    if d.searches or d.views or d.bookings:
        interest = gettext(
            "learners searched for it %(searches)s, opened its mentors' pages %(views)s and booked %(bookings)s "
            "in the last %(days)d days"
        ) % {
            "searches": _times(d.searches),
            "views": _times(d.views),
            "bookings": ngettext("%(count)d session", "%(count)d sessions", d.bookings) % {"count": d.bookings},
            "days": DEMAND_DAYS,
        }
    else:
        interest = gettext("nobody has searched for it or booked it in the last %(days)d days yet") % {
            "days": DEMAND_DAYS
        }
    if d.mentors and d.median_rate_minor:
        others = ngettext(
            "%(count)d other mentor teaches it in %(currency)s, who charges %(rate)s an hour",
            "%(count)d other mentors teach it in %(currency)s, who charge %(rate)s an hour in the middle",
            d.mentors,
        ) % {"count": d.mentors, "currency": currency, "rate": _money(d.median_rate_minor, currency)}
    elif d.mentors:
        others = ngettext(
            "%(count)d other mentor teaches it in %(currency)s",
            "%(count)d other mentors teach it in %(currency)s",
            d.mentors,
        ) % {"count": d.mentors, "currency": currency}
    else:
        others = gettext("you would be the only mentor teaching it in %(currency)s") % {"currency": currency}
    sentence = gettext("%(skill)s: %(interest)s; %(others)s.") % {
        "skill": d.skill,
        "interest": interest,
        "others": others,
    }
    if d.utilisation is not None:
        if d.utilisation == 0:
            sentence += " " + gettext("None of the hours its mentors offered were booked over the last 90 days.")
        else:
            sentence += " " + gettext(
                "About %(share)s of the hours its mentors offered were booked in the last 90 days."
            ) % {"share": f"{d.utilisation:.0%}"}
    return sentence


def suggest_price(
    mentor_user, skills: Iterable[Any], duration_minutes: int, *, now: datetime | None = None
) -> PriceSuggestion:
    """A price range for a session of ``mentor_user`` teaching ``skills`` for ``duration_minutes``.

    ``skills`` may be Skill objects, ids or slugs (empty: the mentor's own skills).
    Raises :class:`PricingError` for an unknown skill or a duration out of range.
    """
    now = now or timezone.now()
    if not isinstance(duration_minutes, int) or not MIN_DURATION <= duration_minutes <= MAX_DURATION:
        raise PricingError(
            "duration_minutes",
            gettext("A session lasts %(min)d to %(max)d minutes.") % {"min": MIN_DURATION, "max": MAX_DURATION},
        )
    chosen = resolve_skills(skills)
    if not chosen:
        chosen = list(Skill.objects.filter(Q(mentor_pages__user=mentor_user) | Q(skilled_users=mentor_user)).distinct())
    currency = mentor_currency(mentor_user)
    hourly = mentor_hourly_rate(mentor_user, currency)
    hours = duration_minutes / 60
    current = round(hourly * hours) if hourly else None
    demand = [skill_demand(skill, currency, now) for skill in chosen]
    reasoning = [_demand_sentence(d, currency) for d in demand]
    suggestion = PriceSuggestion(
        currency=currency,
        duration_minutes=duration_minutes,
        skills=[s.name for s in chosen],
        basis="none",
        low_minor=None,
        suggested_minor=None,
        high_minor=None,
        per_hour_minor=None,
        current_minor=current,
        reasoning=reasoning,
        demand=demand,
    )
    row, models = store.loaded(PredictionModel.PRICING, _load)
    model = (models or {}).get(currency)
    known = [s for s in chosen if model is not None and model.knows(s.slug)]
    unmeasured = [s for s in known if not (model.sensitivity_measured and model.slope_of(s.slug) < MIN_SLOPE)]
    if unmeasured:
        # Without a measured fall in bookings as prices rise, the curve would push prices up
        # for ever: say so, and fall back to what peers charge.
        reasoning.append(
            gettext(
                "Bookings in %(skills)s have not yet been seen to change with price "
                "(too few bookings at different prices), so demand cannot price it yet."
            )
            % {"skills": ", ".join(s.name for s in unmeasured)}
        )
        known = [s for s in known if s not in unmeasured]
    if known:
        picks = [model.suggest(s.slug, mentor=str(mentor_user.pk), current=hourly) for s in known]
        low = statistics.fmean(p.low for p in picks)
        best = statistics.fmean(p.best for p in picks)
        high = statistics.fmean(p.high for p in picks)
        probability = statistics.fmean(p.booking_probability for p in picks)
        suggestion.basis = "demand_model"
        suggestion.model_id = row.pk
        suggestion.booking_probability = round(probability, 3)
        suggestion.per_hour_minor = _round_major(best, currency)
        suggestion.low_minor = _round_major(low * hours, currency)
        suggestion.suggested_minor = _round_major(best * hours, currency)
        suggestion.high_minor = _round_major(high * hours, currency)
        first = known[0].slug
        up = model.probability(first, best * 1.1, str(mentor_user.pk))
        at_best = model.probability(first, best, str(mentor_user.pk))
        values = {"rate": _money(best, currency), "share": f"{probability:.0%}"}
        if at_best > 0:
            values["fewer"] = f"{1 - up / at_best:.0%}"
            reasoning.append(
                gettext(
                    "At %(rate)s/h about %(share)s of the hours you offer are expected to be booked; "
                    "10%% more on the price books about %(fewer)s fewer hours."
                )
                % values
            )
        else:
            reasoning.append(
                gettext("At %(rate)s/h about %(share)s of the hours you offer are expected to be booked.") % values
            )
        if hourly:
            gain = statistics.fmean(p.revenue_gain for p in picks)
            if abs(best - hourly) / hourly < 0.02:
                reasoning.append(
                    gettext("Your rate of %(rate)s/h is already about right.") % {"rate": _money(hourly, currency)}
                )
            else:
                change = {"rate": _money(hourly, currency), "gain": f"{gain - 1:+.0%}"}
                if best > hourly:
                    text = gettext(
                        "Your rate is %(rate)s/h: raising it to the suggestion is expected to earn about %(gain)s "
                        "per hour you offer."
                    )
                else:
                    text = gettext(
                        "Your rate is %(rate)s/h: lowering it to the suggestion is expected to earn about %(gain)s "
                        "per hour you offer."
                    )
                reasoning.append(text % change)
            reasoning.append(
                gettext(
                    "A suggestion moves at most 25%% from your current rate: demand is only known near prices "
                    "that have been tried, so prices are best changed step by step."
                )
                % {}
            )
        unknown = [s.name for s in chosen if s not in known]
        if unknown:
            reasoning.append(
                gettext("Not part of this estimate: %(skills)s (no measured demand in %(currency)s yet).")
                % {"skills": ", ".join(unknown), "currency": currency}
            )
        return suggestion
    peers = sorted(
        rate
        for _pk, rate in live_mentor_pages()
        .filter(skills__in=chosen, currency=currency, hourly_rate_minor__gt=0)
        .exclude(user=mentor_user)
        .values_list("pk", "hourly_rate_minor")
        .distinct()
    )
    if peers:
        q1, median, q3 = statistics.quantiles(peers, n=4, method="inclusive") if len(peers) > 1 else [peers[0]] * 3
        suggestion.basis = "peer_prices"
        suggestion.per_hour_minor = _round_major(median, currency)
        suggestion.low_minor = _round_major(q1 * hours, currency)
        suggestion.suggested_minor = _round_major(median * hours, currency)
        suggestion.high_minor = _round_major(q3 * hours, currency)
        reasoning.append(
            ngettext(
                "There are not yet enough bookings at different prices to measure demand, so the suggestion follows "
                "what %(count)d other mentor of these skills charges in %(currency)s: between %(low)s and %(high)s "
                "an hour, %(median)s in the middle.",
                "There are not yet enough bookings at different prices to measure demand, so the suggestion follows "
                "what %(count)d other mentors of these skills charge in %(currency)s: most ask between %(low)s and "
                "%(high)s an hour, and %(median)s in the middle.",
                len(peers),
            )
            % {
                "count": len(peers),
                "currency": currency,
                "low": _money(q1, currency),
                "high": _money(q3, currency),
                "median": _money(median, currency),
            }
        )
        return suggestion
    reasoning.append(
        gettext(
            "No mentor has priced these skills in %(currency)s yet and there is no booking history to learn from: "
            "no suggestion can be made. Any price you choose sets the first reference."
        )
        % {"currency": currency}
    )
    return suggestion
