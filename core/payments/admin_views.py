"""Editors' pages in the Wagtail admin: payment actions, payouts to make, revenue, reconciliation.

Each action is a POST that calls a service; a refusal is shown as a message
and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Site

from core.api.inputs import clamp_date
from core.scheduling.currency import MoneyError, format_money, to_minor

from .errors import PaymentError
from .models import LedgerEntry, Payment, Refund
from .services import events, payouts, reconcile, refunds

CHANGE_PAYMENT = "payments.change_payment"
ADD_PAYOUT = "payments.add_payout"
VIEW_LEDGER = "payments.view_ledgerentry"


def _site_id(request: HttpRequest) -> int | None:
    site = Site.find_for_request(request) or Site.objects.filter(is_default_site=True).first()
    return site.pk if site else None


class PermissionMixin:
    """Refuses people without ``permission``; gives Wagtail admin pages their breadcrumbs."""

    permission = CHANGE_PAYMENT

    def get_breadcrumbs_items(self):
        return [
            *super().get_breadcrumbs_items(),
            {"url": reverse("payments_payment:index"), "label": gettext_lazy("Payments")},
            {"url": "", "label": self.get_page_title()},
        ]

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        if not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next") or ""
    if not target.startswith("/admin/"):
        target = fallback
    return redirect(target)


class ConfirmActionView(PermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """GET asks "are you sure?"; POST does it. Subclasses say what and how."""

    template_name = "payments/admin/confirm.html"
    header_icon = "resubmit"
    action = ""
    question = ""
    button = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(question=self.question_for(), button=self.button, next=self.request.GET.get("next", ""))
        return context

    def question_for(self) -> str:
        return self.question


class PaymentActionView(ConfirmActionView):
    """Mark a bank-transfer payment paid, or clear its review flag."""

    def setup(self, request: HttpRequest, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        self.payment = get_object_or_404(Payment.objects.select_related("booking__session"), pk=kwargs["pk"])
        self.page_title = gettext("Payment %(reference)s") % {"reference": self.payment.reference or self.payment.pk}

    def question_for(self) -> str:
        amount = format_money(self.payment.amount_minor, self.payment.currency)
        if self.action == "mark_paid":
            if self.payment.booking_id is None:
                return gettext(
                    "Has the transfer of %(amount)s with reference %(reference)s arrived? "
                    "The learner's package purchase %(purchase)s gets its credits."
                ) % {"amount": amount, "reference": self.payment.reference, "purchase": self.payment.purchase_id}
            return gettext(
                "Has the transfer of %(amount)s with reference %(reference)s arrived? "
                "Booking %(booking)s (%(title)s) will be confirmed."
            ) % {
                "amount": amount,
                "reference": self.payment.reference,
                "booking": self.payment.booking_id,
                "title": self.payment.booking.session.title,
            }
        return gettext("Clear the review flag of this payment of %(amount)s? Reason recorded: %(reason)s") % {
            "amount": amount,
            "reason": self.payment.review_reason,
        }

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            if self.action == "mark_paid":
                outcome = events.mark_paid(self.payment, request.user, site_id=_site_id(request))
                level = messages.success if outcome.status == "processed" else messages.warning
                level(
                    request,
                    gettext("Payment %(reference)s: %(message)s")
                    % {"reference": self.payment.reference, "message": outcome.message},
                )
            elif self.action == "reviewed":
                Payment.objects.filter(pk=self.payment.pk).update(needs_review=False)
                messages.success(
                    request,
                    gettext("Payment %(pk)s marked as reviewed.") % {"pk": self.payment.reference or self.payment.pk},
                )
        except PaymentError as exc:
            messages.error(request, exc.message)
        return _back(request, reverse("payments_payment:index"))


class RefundActionView(ConfirmActionView):
    """A pending bank-transfer refund was sent, or retry a refund the gateway did not answer."""

    def setup(self, request: HttpRequest, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        self.refund = get_object_or_404(Refund.objects.select_related("payment"), pk=kwargs["pk"])
        self.page_title = gettext("Refund %(reference)s") % {"reference": self.refund.reference or self.refund.pk}

    def question_for(self) -> str:
        amount = format_money(self.refund.amount_minor, self.refund.currency)
        if self.action == "sent":
            return gettext("Have you sent %(amount)s back to the learner (refund %(reference)s)?") % {
                "amount": amount,
                "reference": self.refund.reference,
            }
        return gettext(
            "Ask the gateway again about the refund of %(amount)s (same idempotency key, never a second refund)?"
        ) % {"amount": amount}

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            if self.action == "sent":
                outcome = events.mark_refund_sent(self.refund, request.user, site_id=_site_id(request))
                messages.success(
                    request,
                    gettext("Refund %(reference)s: %(message)s")
                    % {"reference": self.refund.reference, "message": outcome.message},
                )
            elif self.action == "retry":
                refund = refunds.retry_refund(self.refund, by=request.user, site_id=_site_id(request))
                messages.success(
                    request,
                    gettext("Refund %(pk)s is %(get_status_display)s.")
                    % {"pk": refund.pk, "get_status_display": refund.get_status_display().lower()},
                )
        except PaymentError as exc:
            messages.error(request, exc.message)
        return _back(request, reverse("payments_refund:index"))


class RefundForm(forms.Form):
    amount = forms.CharField(
        required=False,
        max_length=24,
        help_text=gettext_lazy("Leave empty to refund everything left, or give e.g. 12.50."),
    )
    note = forms.CharField(required=False, max_length=255)


class RefundPaymentView(PermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """A staff refund of all or part of a payment, through its gateway."""

    template_name = "payments/admin/refund.html"
    header_icon = "resubmit"

    def setup(self, request: HttpRequest, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        self.payment = get_object_or_404(Payment.objects.select_related("booking__session"), pk=kwargs["pk"])

    def get_page_title(self) -> str:
        return gettext("Refund payment %(reference)s") % {"reference": self.payment.reference or self.payment.pk}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        from .services.ledger import committed_refunds_minor

        left = self.payment.amount_minor - committed_refunds_minor(self.payment)
        context.update(
            payment=self.payment,
            left_display=format_money(left, self.payment.currency) if left else "nothing",
            form=kwargs.get("form") or RefundForm(),
        )
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = RefundForm(request.POST)
        amount_minor = None
        if form.is_valid() and form.cleaned_data["amount"].strip():
            try:
                amount_minor = to_minor(form.cleaned_data["amount"], self.payment.currency)
            except MoneyError as exc:
                form.add_error("amount", exc.message)
        if not form.errors:
            try:
                refund = refunds.refund_payment(
                    self.payment,
                    amount_minor,
                    by=request.user,
                    note=form.cleaned_data.get("note", ""),
                    site_id=_site_id(request),
                )
            except PaymentError as exc:
                form.add_error("amount" if exc.field == "amount" else None, exc.message)
            else:
                messages.success(
                    request,
                    gettext("Refund of %(format_money)s: %(get_status_display)s.")
                    % {
                        "format_money": format_money(refund.amount_minor, refund.currency),
                        "get_status_display": refund.get_status_display().lower(),
                    },
                )
                return redirect("payments_payment:index")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PayoutForm(forms.Form):
    mentor = forms.IntegerField(widget=forms.HiddenInput)
    currency = forms.CharField(max_length=3, widget=forms.HiddenInput)
    reference = forms.CharField(
        required=False, max_length=255, help_text=gettext_lazy("Your bank transfer's reference.")
    )


class PayoutsView(PermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """Mentors with money available, and a button per mentor that records the payout (mark paid)."""

    permission = ADD_PAYOUT
    template_name = "payments/admin/payouts.html"
    page_title = gettext_lazy("Payouts to make")
    header_icon = "user"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = [
            {"mentor": mentor, "currency": currency, "available": amount, "display": format_money(amount, currency)}
            for mentor, currency, amount in payouts.available_balances()
        ]
        context.update(rows=rows)
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        from django.contrib.auth import get_user_model

        form = PayoutForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("That payout could not be read; nothing was recorded."))
            return redirect("payments_admin:payouts")
        mentor = get_object_or_404(get_user_model(), pk=form.cleaned_data["mentor"])
        try:
            payout = payouts.record_payout(
                mentor,
                form.cleaned_data["currency"],
                by=request.user,
                reference=form.cleaned_data["reference"],
            )
        except PaymentError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                gettext("Payout of %(format_money)s to %(mentor)s recorded.")
                % {"format_money": format_money(payout.amount_minor, payout.currency), "mentor": mentor},
            )
        return redirect("payments_admin:payouts")


def _month(value: str | None) -> datetime | None:
    """The first of a ``YYYY-MM`` month, kept within the sane range (``9999-12`` cannot overflow)."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        return None
    day = clamp_date(day, timezone.now().date()).replace(day=1)
    return datetime(day.year, day.month, 1, tzinfo=UTC)


class RevenueView(PermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """Revenue, commission, mentors' earnings and payouts per month; the ledger as CSV."""

    permission = VIEW_LEDGER
    template_name = "payments/admin/revenue.html"
    page_title = gettext_lazy("Revenue and commission")
    header_icon = "table"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        start, end = _month(request.GET.get("from")), _month(request.GET.get("to"))
        if end is not None:
            end = end.replace(year=end.year + (end.month == 12), month=end.month % 12 + 1)
        if request.GET.get("format") == "csv":
            entries = LedgerEntry.objects.all()
            if start is not None:
                entries = entries.filter(created_at__gte=start)
            if end is not None:
                entries = entries.filter(created_at__lt=end)
            response = HttpResponse(payouts.ledger_csv(entries), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="peerlearn-ledger.csv"'
            return response
        context = self.get_context_data(
            periods=payouts.revenue_by_month(start, end),
            start=request.GET.get("from", ""),
            end=request.GET.get("to", ""),
        )
        return self.render_to_response(context)


class ReconcileView(PermissionMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        report = reconcile.reconcile(site_id=_site_id(request))
        counts = {"checked": report.checked, "recovered": len(report.recovered), "flagged": len(report.flagged)}
        if report.errors:
            text = gettext(
                "Checked %(checked)d payments at their gateways: %(recovered)d paid without a webhook recorded "
                "now, "
                "%(flagged)d flagged for review, %(errors)d could not be checked (%(first)s)."
            ) % {**counts, "errors": len(report.errors), "first": report.errors[0]}
        else:
            text = (
                gettext(
                    "Checked %(checked)d payments at their gateways: %(recovered)d paid without a webhook recorded "
                    "now, "
                    "%(flagged)d flagged for review."
                )
                % counts
            )
        (messages.warning if report.flagged or report.errors else messages.success)(request, text)
        return redirect("payments_payment:index")
