"""Plugin secrets encrypted at rest: the field becomes EncryptedSecretsField and stored values are sealed.

The column type does not change (still JSON); the data migration seals every
value written in plain text before. Reversing it writes them back in plain text
(a value no configured key opens stays as it is).
"""

from django.db import migrations, models
from django.db.models import ExpressionWrapper, F, Value

import core.plugins.models
from core.plugins import encryption


def _stored(configuration_model):
    """(pk, decrypted secrets, secrets exactly as stored) for every configuration."""
    raw = ExpressionWrapper(F("secrets"), output_field=models.JSONField())
    for row in configuration_model.objects.annotate(stored_secrets=raw).only("pk", "secrets"):
        yield row.pk, row.secrets, row.stored_secrets or {}


def seal_plain_values(apps, schema_editor):
    configuration_model = apps.get_model("plugins", "PluginConfiguration")
    for pk, secrets, stored in _stored(configuration_model):
        if any(not encryption.is_encrypted(value) for value in stored.values()):
            # ``update`` leaves updated_at alone; the field encrypts what it writes.
            configuration_model.objects.filter(pk=pk).update(secrets=secrets)


def write_plain_values(apps, schema_editor):
    configuration_model = apps.get_model("plugins", "PluginConfiguration")
    for pk, secrets, stored in _stored(configuration_model):
        if stored:
            plain = {name: str(value) if isinstance(value, str) else value for name, value in secrets.items()}
            configuration_model.objects.filter(pk=pk).update(secrets=Value(plain, output_field=models.JSONField()))


class Migration(migrations.Migration):
    dependencies = [
        ("plugins", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="pluginconfiguration",
            name="secrets",
            field=core.plugins.models.EncryptedSecretsField(blank=True, default=dict, editable=False),
        ),
        migrations.RunPython(seal_plain_values, write_plain_values),
    ]
