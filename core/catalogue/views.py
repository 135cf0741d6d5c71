"""Site pages of the catalogue: mentor search, the mentor's own profile editor, reviews.

Views parse input, call a service and render; the logic lives in ``search``, ``profiles`` and
``reviews``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods
from wagtail.models import Site

from core.pages.cache import cache_page_for_visitors
from core.sponsorship.placement import mark_uncacheable, place_search

from . import profiles, reviews
from .exchange import current_rates
from .forms import MentorProfileForm, MentorSearchForm, ReviewForm
from .models import MentorIndexPage, MentorPage, Review
from .search import FilterError, parse_filters, search_mentors, uncomparable_currencies

DEFAULT_PER_PAGE = 12
CURRENCY_COOKIE = "peerlearn_currency"


def _search_params(request: HttpRequest, rates: dict) -> Any:
    """The query, with the visitor's remembered price currency when the query names none."""
    params = request.GET.copy()
    remembered = request.COOKIES.get(CURRENCY_COOKIE, "")
    if not params.get("price_currency") and not params.get("currency") and remembered in rates:
        params["price_currency"] = remembered
    return params


def remember_price_currency(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Keep the currency a visitor compared prices in for their next search (one year)."""
    chosen = (request.GET.get("price_currency") or "").strip().upper()
    if chosen and chosen in current_rates() and request.COOKIES.get(CURRENCY_COOKIE) != chosen:
        response.set_cookie(CURRENCY_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def search_context(request: HttpRequest, index_page: MentorIndexPage | None = None) -> dict[str, Any]:
    """Everything the search template needs: the form, the filters' error if any, one page of results."""
    rates = current_rates()
    params = _search_params(request, rates)
    form = MentorSearchForm(params or None, currencies=sorted(rates))
    context: dict[str, Any] = {
        "search_form": form,
        "filter_error": None,
        "results": None,
        "filters": None,
        "price_rates": rates,
    }
    try:
        filters = parse_filters(params)
    except FilterError as exc:
        context["filter_error"] = exc
        return context
    per_page = index_page.per_page if index_page else DEFAULT_PER_PAGE
    paginator = Paginator(search_mentors(filters), per_page)
    results = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        {
            "filters": filters,
            "results": results,
            # A separate step after the (cacheable) search: sponsored slots are counted per view.
            "placed": place_search(results.object_list, filters, request.user),
            "paginator": paginator,
            "querystring": query.urlencode(),
            "uncomparable_currencies": uncomparable_currencies(filters),
        }
    )
    return context


def mentor_search(request: HttpRequest) -> HttpResponse:
    """``/mentors/``: served by the site's mentor index page, or rendered without one on a bare site."""
    site = Site.find_for_request(request)
    index = profiles.mentor_index(site)
    if index is not None:
        url = index.get_url(request)
        if url and url.rstrip("/") != request.path.rstrip("/"):
            query = request.META.get("QUERY_STRING")
            return redirect(f"{url}?{query}" if query else url)
        from wagtail.views import serve

        return serve(request, request.path)
    cache_page_for_visitors(request, "listings")
    context = {"page": None, **search_context(request)}
    response = TemplateResponse(request, "catalogue/mentor_index_page.html", context)
    return mark_uncacheable(remember_price_currency(request, response), context.get("placed") or [])


def mentor_by_user(request: HttpRequest, user_id: int) -> HttpResponse:
    """``/mentors/<user id>/``: the stable address of a mentor, redirecting to their live page."""
    page = get_object_or_404(MentorPage.objects.live(), user_id=user_id)
    return redirect(page.get_url(request))


def _require_mentor(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_mentor:
        return render(request, "catalogue/not_a_mentor.html", status=403)
    return None


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    """The mentor edits their own public page; saving submits it for an editor's approval."""
    denied = _require_mentor(request)
    if denied:
        return denied
    status = profiles.profile_status(request.user)
    initial = profiles.initial_profile(request.user)
    if request.method == "POST":
        form = MentorProfileForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            photo = profiles.store_photo(request.user, data["photo"]) if data.get("photo") else None
            profiles.submit_profile(
                request.user,
                headline=data["headline"],
                bio_text=data["bio"],
                skills=list(data["skills"]),
                languages=data["languages"],
                hourly_rate_minor=data["hourly_rate_minor"],
                currency=data["currency"],
                photo=photo,
                remove_photo=data["remove_photo"],
            )
            messages.success(
                request, gettext("Your changes were sent to the editors. Your public page shows them once approved.")
            )
            return redirect("catalogue:profile_edit")
        messages.error(request, gettext("Please correct the errors below; nothing was saved."))
    else:
        from core.scheduling.currency import to_decimal

        form = MentorProfileForm(
            initial={
                "headline": initial["headline"],
                "bio": initial["bio"],
                "skills": initial["skills"],
                "languages": initial["languages"],
                "hourly_rate": to_decimal(initial["hourly_rate_minor"], initial["currency"]),
                "currency": initial["currency"],
            }
        )
    context = {"form": form, "status": status, "current_photo": initial["photo"]}
    return render(request, "catalogue/profile_edit.html", context, status=400 if form.errors else 200)


@login_required
def profile_preview(request: HttpRequest) -> HttpResponse:
    """The mentor's latest draft, rendered as the public page will look once approved."""
    denied = _require_mentor(request)
    if denied:
        return denied
    status = profiles.profile_status(request.user)
    if status.draft is None:
        raise Http404(gettext("You have no profile page yet."))
    draft = status.draft
    context = draft.get_context(request)
    context.update({"is_preview": True, "status": status})
    return TemplateResponse(request, draft.get_template(request), context)


@login_required
def my_reviews(request: HttpRequest) -> HttpResponse:
    """The learner's completed sessions waiting for a review, and the reviews they wrote."""
    context = {
        "to_review": reviews.bookings_to_review(request.user)[:50],
        "written": Review.objects.filter(learner=request.user).select_related("mentor", "booking__session")[:50],
    }
    return render(request, "catalogue/my_reviews.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def review_new(request: HttpRequest, booking_id: int) -> HttpResponse:
    """Rate a completed booking (once). Anything but its learner and a completed, unreviewed booking is refused."""
    from core.scheduling.models import Booking

    booking = get_object_or_404(Booking.objects.select_related("session", "session__mentor"), pk=booking_id)
    blocked = reviews.review_block_reason(request.user, booking)
    if blocked is not None:
        return render(
            request, "catalogue/review_blocked.html", {"booking": booking, "reason": blocked}, status=blocked.status
        )
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reviews.submit_review(request.user, booking.pk, form.cleaned_data["rating"], form.cleaned_data["comment"])
        except reviews.ReviewError as exc:
            form.add_error(None if exc.field == "booking" else exc.field, exc.message)
        else:
            messages.success(request, gettext("Thank you! Your review will appear on the mentor's page once approved."))
            return redirect("catalogue:my_reviews")
    if request.method == "POST":
        messages.error(request, gettext("Please correct the errors below; nothing was saved."))
    return render(
        request,
        "catalogue/review_form.html",
        {"form": form, "booking": booking},
        status=400 if form.errors else 200,
    )
