"""The "Recommender models" page of the Wagtail admin: what was fitted when, on what, and refit now."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Site

from core.plugins.models import PluginError

from . import families, store, tasks
from .models import Experiment, RecommendationEvent, RecommendationSettings, RecommenderModel

PERMISSION = "recommendations.change_recommendermodel"


class RecommenderModelsView(WagtailAdminTemplateMixin, TemplateView):
    page_title = gettext_lazy("Recommender models")
    header_icon = "pick"
    template_name = "recommendations/admin/index.html"

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        self.site = Site.find_for_request(request) or Site.objects.filter(is_default_site=True).first()
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        site_id = self.site.pk if self.site else None
        rows = {r.key: r for r in RecommenderModel.objects.filter(site_id=site_id)}
        available = store.recommenders(site_id)
        listed = []
        for plugin, rec in available:
            listed.append(
                {
                    "key": rec.key,
                    "plugin": plugin,
                    "family": rec.family,
                    "label": rec.label,
                    "row": rows.pop(rec.key, None),
                }
            )
        for key, row in sorted(rows.items()):  # fitted once, plugin now disabled or gone
            listed.append(
                {"key": key, "plugin": row.plugin, "family": row.family, "label": row.label, "row": row, "gone": True}
            )
        since = timezone.now() - timedelta(days=7)
        counts = dict(
            RecommendationEvent.objects.filter(created_at__gte=since)
            .values_list("kind")
            .annotate(n=Count("id"))
            .values_list("kind", "n")
        )
        context.update(
            site=self.site,
            models=listed,
            families=self._families(site_id),
            event_counts=[(label, counts.get(kind, 0)) for kind, label in RecommendationEvent.KIND_CHOICES],
            experiments=Experiment.objects.filter(site_id=site_id).prefetch_related("variants")[:20],
            recent_errors=PluginError.objects.filter(hook__regex=r"^(fit|load|score) ").order_by("-created_at")[:10],
        )
        return context

    def _families(self, site_id: int | None) -> list[dict]:
        """The site's active families with their weights and share of the total (built-in ones first)."""
        conf = RecommendationSettings.for_site(self.site) if self.site else RecommendationSettings()
        weights = conf.declared_weights().as_dict()
        total = sum(weights.values()) or 1.0
        return [
            {
                "name": f.name,
                "label": f.label,
                "description": f.description,
                "plugin": f.plugin,
                "weight": weights.get(f.name, 0.0),
                "share": 100.0 * weights.get(f.name, 0.0) / total,
            }
            for f in families.active(site_id)
        ]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        site_id = self.site.pk if self.site else None
        result = tasks.refit_recommenders.delay(site_id)
        if result.ready():
            outcomes = result.get()
            ok = [o["key"] for o in outcomes if o["ok"]]
            bad = [o["key"] for o in outcomes if not o["ok"]]
            if ok:
                messages.success(request, gettext("Refitted %(join)s.") % {"join": ", ".join(ok)})
            if bad:
                messages.error(
                    request,
                    gettext("Could not fit %(join)s; the previous models stay. See the errors.")
                    % {"join": ", ".join(bad)},
                )
            if not outcomes:
                messages.warning(request, gettext("No recommender plugin is enabled for this site."))
        else:
            messages.success(request, gettext("Refitting has started in the background; reload this page in a while."))
        return redirect(reverse("recommendations_admin:index"))


class ExperimentReportView(WagtailAdminTemplateMixin, TemplateView):
    """Per variant: the funnel impression -> click -> booking -> completed -> rating, with 95 % intervals."""

    header_icon = "pick"
    template_name = "recommendations/admin/experiment_report.html"

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        if not request.user.has_perm("recommendations.view_experiment") and not request.user.has_perm(
            "recommendations.change_experiment"
        ):
            raise PermissionDenied
        self.experiment = get_object_or_404(Experiment.objects.prefetch_related("variants"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return gettext("Experiment report: %(name)s") % {"name": self.experiment.name}

    def get_context_data(self, **kwargs):
        from . import experiments

        context = super().get_context_data(**kwargs)
        rows = experiments.funnel(self.experiment)
        context.update(
            experiment=self.experiment,
            variants={v.name: v for v in self.experiment.variants.all()},
            rows=rows,
        )
        return context
