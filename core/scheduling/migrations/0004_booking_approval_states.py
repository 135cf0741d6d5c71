"""Bookings that wait for their mentor's approval (``pending_approval``, core.intake) hold a seat,
and one the mentor declined is ``declined``: the one-active-seat rule and, on PostgreSQL, the
learner's no-overlap exclusion constraint (0002) count ``pending_approval`` as active."""

from django.conf import settings
from django.db import migrations, models

ACTIVE_BEFORE = "status IN ('pending_payment', 'confirmed')"
ACTIVE_NOW = "status IN ('pending_approval', 'pending_payment', 'confirmed')"
ELEMENTS = "learner_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&"


def _replace_exclusion(condition: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("ALTER TABLE scheduling_booking DROP CONSTRAINT IF EXISTS booking_learner_no_overlap")
        schema_editor.execute(
            "ALTER TABLE scheduling_booking ADD CONSTRAINT booking_learner_no_overlap "
            f"EXCLUDE USING gist ({ELEMENTS}) WHERE ({condition})"
        )

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0003_booking_series"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="booking",
            name="booking_one_active_seat_per_learner",
        ),
        migrations.AlterField(
            model_name="booking",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending_approval", "Awaiting the mentor's approval"),
                    ("pending_payment", "Pending payment"),
                    ("confirmed", "Confirmed"),
                    ("completed", "Completed"),
                    ("cancelled", "Cancelled"),
                    ("expired", "Expired"),
                    ("no_show", "No-show"),
                    ("refunded", "Refunded"),
                    ("declined", "Declined by the mentor"),
                ],
                db_index=True,
                default="pending_payment",
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="booking",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["pending_approval", "pending_payment", "confirmed"])),
                fields=("session", "learner"),
                name="booking_one_active_seat_per_learner",
            ),
        ),
        migrations.RunPython(_replace_exclusion(ACTIVE_NOW), _replace_exclusion(ACTIVE_BEFORE), elidable=False),
    ]
