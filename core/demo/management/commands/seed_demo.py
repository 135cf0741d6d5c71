"""``manage.py seed_demo``: an admin, mentors, learners, skills and pages. Safe to re-run."""

import os

from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from core.demo.seed import DEMO_PASSWORD, seed_all


class Command(BaseCommand):
    help = "Create (or refresh) the synthetic demo data. Idempotent."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--admin-email", default=os.environ.get("DEMO_ADMIN_EMAIL", "admin@peerlearn.local"))
        parser.add_argument("--admin-password", default=os.environ.get("DEMO_ADMIN_PASSWORD", "peerlearn-admin"))
        parser.add_argument("--mentors", type=int, default=30)
        parser.add_argument("--learners", type=int, default=30)

    def handle(self, *args, **options) -> None:
        # Demo bookings would send real invitations and reminders: seeding mails nobody.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            report = seed_all(
                options["admin_email"],
                options["admin_password"],
                mentors=options["mentors"],
                learners=options["learners"],
            )
        counts = ", ".join(f"{n} {what}" for what, n in report.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {counts}."))
        self.stdout.write(f"Admin login:  {report.admin_email} / {report.admin_password}  (/admin/)")
        self.stdout.write(
            f"Demo users:   mentor1@demo.peerlearn.local, learner1@demo.peerlearn.local / {DEMO_PASSWORD}"
        )
