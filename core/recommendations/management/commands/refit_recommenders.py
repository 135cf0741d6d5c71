"""``manage.py refit_recommenders [--site ID]``: fit and store every enabled recommender now."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Site

from core.recommendations import store


class Command(BaseCommand):
    help = "Fit every enabled recommender on the current data and store the models (what the beat task does)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--site", type=int, help="Wagtail site id (default: every site)")

    def handle(self, *args, **options) -> None:
        if options["site"] is not None and not Site.objects.filter(pk=options["site"]).exists():
            raise CommandError(f"No site with id {options['site']}")
        site_ids = [options["site"]] if options["site"] is not None else list(Site.objects.values_list("pk", flat=True))
        failed = 0
        for site_id in site_ids:
            for outcome in store.refit(site_id):
                state = "fitted" if outcome.ok else f"FAILED ({outcome.error})"
                self.stdout.write(f"site {site_id} {outcome.key:<12} {state} in {outcome.seconds:.2f}s")
                failed += not outcome.ok
        if failed:
            raise CommandError(f"{failed} recommender(s) failed to fit; see the plugin errors in the admin")
