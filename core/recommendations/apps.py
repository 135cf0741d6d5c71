from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecommendationsConfig(AppConfig):
    name = "core.recommendations"
    label = "recommendations"
    verbose_name = _("Recommendations")

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started
        from django.db.models.signals import post_delete, post_save

        from . import experiments, sources
        from .models import Experiment, ExperimentVariant, RecommendationSettings

        def _forget_experiment(sender, instance, **kwargs) -> None:
            """Every process re-reads the active experiment within seconds; this one at once."""
            experiment = instance if isinstance(instance, Experiment) else getattr(instance, "experiment", None)
            experiments.forget(getattr(experiment, "site_id", None))

        for model in (Experiment, ExperimentVariant):
            post_save.connect(
                _forget_experiment, sender=model, weak=False, dispatch_uid=f"recommendations-forget-{model.__name__}"
            )
            post_delete.connect(
                _forget_experiment,
                sender=model,
                weak=False,
                dispatch_uid=f"recommendations-forget-del-{model.__name__}",
            )

        request_started.connect(sources.new_request, dispatch_uid="recommendations-generation-per-request")
        request_finished.connect(sources.request_ended, dispatch_uid="recommendations-generation-request-ended")

        def _forget_snapshots(sender, **kwargs) -> None:
            """Saved ranking settings reach every process at once, not after the snapshot expires."""
            sources.forget_memo()

        post_save.connect(
            _forget_snapshots, sender=RecommendationSettings, weak=False, dispatch_uid="recommendations-settings"
        )
