from django.core.management.base import BaseCommand

from core.analytics.tasks import refit_models


class Command(BaseCommand):
    help = "Refit the four prediction models now (what Celery beat does nightly) and rescore churn."

    def handle(self, *args, **options):
        for kind, status in refit_models().items():
            self.stdout.write(f"{kind}: {status}")
