"""``manage.py room_demo [--mentor EMAIL] [--learner EMAIL]``: a session whose room opens now."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.accounts.models import User
from core.scheduling.services.errors import SchedulingError

from ...demo import open_room_session


class Command(BaseCommand):
    help = "Book a free session starting in a few minutes so its mentor and learner can try the video room."

    def add_arguments(self, parser):
        parser.add_argument("--mentor", default="mentor1@demo.peerlearn.local")
        parser.add_argument("--learner", default="learner1@demo.peerlearn.local")
        parser.add_argument("--in-minutes", type=int, default=3, help="minutes until the start (default 3)")

    def handle(self, *args, **options):
        try:
            mentor = User.objects.get(email=options["mentor"])
            learner = User.objects.get(email=options["learner"])
        except User.DoesNotExist as exc:
            raise CommandError(f"{exc}. Run `manage.py seed_demo` first, or pass --mentor/--learner.") from None
        if not mentor.is_mentor:
            raise CommandError(f"{mentor.email} is not a mentor.")
        try:
            session = open_room_session(mentor, learner, starts_in_minutes=options["in_minutes"])
        except SchedulingError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"Session {session.pk} '{session.title}' starts at {session.starts_at:%H:%M} UTC.\n"
            f"Open {session.room_url} as {mentor.email} in one browser and as {learner.email} in another."
        )
