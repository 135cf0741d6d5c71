from django.core.management.base import BaseCommand

from core.analytics.services.backfill import backfill


class Command(BaseCommand):
    help = "Write the event-log entries missing for existing users, bookings, payments and reviews (idempotent)."

    def handle(self, *args, **options):
        counts = backfill()
        if not counts:
            self.stdout.write("The event log already covers everything.")
        for name, count in sorted(counts.items()):
            self.stdout.write(f"{name}: {count}")
