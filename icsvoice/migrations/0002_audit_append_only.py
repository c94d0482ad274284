"""The database itself refuses to change or remove audit events."""

from django.db import migrations

from icsvoice.audit import install_triggers, remove_triggers


def forwards(apps, schema_editor):
    install_triggers(schema_editor)


def backwards(apps, schema_editor):
    remove_triggers(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("icsvoice", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
