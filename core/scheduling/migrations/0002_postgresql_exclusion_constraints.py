"""PostgreSQL only: the database itself refuses overlapping active sessions of one
mentor and overlapping active bookings of one learner (btree_gist exclusion
constraints on tstzrange). Other databases rely on the services' row locks and
serialised writers; this migration does nothing there.
"""

from django.db import migrations

CONSTRAINTS = [
    (
        "scheduling_session",
        "session_mentor_no_overlap",
        "mentor_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&",
        "status IN ('scheduled', 'in_progress')",
    ),
    (
        "scheduling_booking",
        "booking_learner_no_overlap",
        "learner_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&",
        "status IN ('pending_payment', 'confirmed')",
    ),
]


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for table, name, elements, condition in CONSTRAINTS:
        schema_editor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} EXCLUDE USING gist ({elements}) WHERE ({condition})"
        )


def drop_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, _elements, _condition in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(add_constraints, drop_constraints, elidable=False)]
