"""The analytics pages of the Wagtail admin: the dashboard (and its CSV), learners at risk, the models."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.scheduling.currency import to_decimal

from . import tasks
from .forms import ReportFilterForm
from .models import AnalyticsSettings, PredictionModel
from .permissions import can_view_dashboard, can_view_learner_risk
from .services import churn, store
from .services.export import report_csv
from .services.live import live_tiles
from .services.metrics import BY_GRANULARITY, LABELS, ReportError, cached_report, parse_request

REFIT_PERMISSION = "analytics.change_predictionmodel"


class _Guarded(WagtailAdminTemplateMixin, TemplateView):
    header_icon = "table"
    check = staticmethod(can_view_dashboard)

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        if not self.check(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("analytics_admin:dashboard"), "label": _("Analytics")},
            {"url": "", "label": self.page_title},
        ]


def _money_rows(values: dict[str, list[int | None]]) -> list[dict[str, Any]]:
    return [
        {"currency": c, "values": [None if v is None else float(to_decimal(v, c)) for v in series]}
        for c, series in values.items()
    ]


def _chart_data(report) -> dict[str, Any]:
    s = report.series
    return {
        "labels": [p.label for p in report.periods],
        "counts": {k: s[k] for k in ("bookings", "confirmed", "new_users", "searches")},
        "rates": {
            k: s[k]
            for k in (
                "completion_rate",
                "cancellation_rate",
                "no_show_rate",
                "utilisation",
                "search_conversion",
                "growth_rate",
            )
        },
        "rating": s["rating_average"],
        "money": {k: _money_rows(v) for k, v in report.money.items()},
        "labelsByMetric": {key: gettext(label) for key, label in LABELS.items()},
    }


class DashboardView(_Guarded):
    page_title = _("Analytics")
    template_name = "analytics/admin/dashboard.html"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = ReportFilterForm(request.GET or None)
        try:
            req = parse_request(request.GET)
        except ReportError as exc:
            form.show_errors(exc.field, exc.message)
            context = self.get_context_data(form=form, error=exc, report=None, tiles=live_tiles())
            return self.render_to_response(context, status=400)
        report = cached_report(req)
        form = ReportFilterForm(
            initial={
                "start": req.start,
                "end": req.end,
                "granularity": req.granularity,
                "skill": req.skill.slug if req.skill else "",
            }
        )
        return self.render_to_response(
            self.get_context_data(
                form=form,
                report=report,
                req=req,
                by_period=BY_GRANULARITY[req.granularity],
                chart_data=_chart_data(report),
                tiles=live_tiles(),
                query=request.GET.urlencode(),
                rows=list(zip(report.periods, *(report.series[k] for k in TABLE_KEYS), strict=True)),
                table_keys=TABLE_KEYS,
                money_table=_money_table(report),
            )
        )


TABLE_KEYS = (
    "bookings",
    "confirmed",
    "booked_hours",
    "offered_hours",
    "utilisation",
    "completion_rate",
    "cancellation_rate",
    "no_show_rate",
    "rating_average",
    "searches",
    "search_conversion",
    "new_users",
    "growth_rate",
)


def _money_table(report) -> list[dict[str, Any]]:
    rows = []
    for currency in report.currencies:
        rows.append(
            {
                "currency": currency,
                "revenue": report.totals["revenue"].get(currency, 0),
                "commission": report.totals["commission"].get(currency, 0),
                "avg_session_value": report.totals["avg_session_value"].get(currency),
                "by_period": list(
                    zip(
                        report.periods,
                        report.money["revenue"].get(currency, []),
                        report.money["commission"].get(currency, []),
                        report.money["avg_session_value"].get(currency, []),
                        strict=True,
                    )
                ),
            }
        )
    return rows


class ExportView(_Guarded):
    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            req = parse_request(request.GET)
        except ReportError as exc:
            return HttpResponse(f"{exc.field}: {exc.message}\n", status=400, content_type="text/plain; charset=utf-8")
        report = cached_report(req)
        skill = f"-{req.skill.slug}" if req.skill else ""
        name = f"peerlearn-metrics-{req.start:%Y%m%d}-{req.end:%Y%m%d}-{req.granularity}{skill}.csv"
        response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class AtRiskView(_Guarded):
    page_title = _("Learners at risk")
    header_icon = "warning"
    template_name = "analytics/admin/at_risk.html"
    check = staticmethod(can_view_learner_risk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        conf = AnalyticsSettings.load()
        context.update(
            scores=list(churn.at_risk()),
            threshold=conf.at_risk_threshold,
            horizon=conf.churn_horizon_days,
            model=store.current(PredictionModel.CHURN),
            attempt=store.latest_attempt(PredictionModel.CHURN),
        )
        return context


class ModelsView(_Guarded):
    page_title = _("Prediction models")
    header_icon = "cogs"
    template_name = "analytics/admin/models.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = []
        for kind, label in PredictionModel.KIND_CHOICES:
            rows.append(
                {
                    "kind": kind,
                    "label": label,
                    "serving": store.current(kind),
                    "attempts": list(PredictionModel.objects.filter(kind=kind).order_by("-created_at", "-id")[:5]),
                }
            )
        context.update(rows=rows, can_refit=self.request.user.has_perm(REFIT_PERMISSION), now=timezone.now())
        return context

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(REFIT_PERMISSION):
            raise PermissionDenied
        result = tasks.refit_models.delay()
        if result.ready():
            outcome = result.get()
            kinds, statuses = dict(PredictionModel.KIND_CHOICES), dict(PredictionModel.STATUS_CHOICES)
            fitted = ", ".join(
                f"{kinds.get(k, k)}: {statuses.get(v, v)}" for k, v in outcome.items() if k != "churn_scored"
            )
            scored = int(outcome.get("churn_scored", 0))
            messages.success(
                request,
                ngettext(
                    "Refitted: %(models)s; %(count)d learner scored.",
                    "Refitted: %(models)s; %(count)d learners scored.",
                    scored,
                )
                % {"models": fitted, "count": scored},
            )
        else:
            messages.success(request, gettext("Refitting has started in the background; reload this page in a while."))
        return redirect(reverse("analytics_admin:models"))
