# Placeholder: its part's models arrive here (written by hand from makemigrations' output).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("engagement", "0003_engagement_log")]

    operations: list = []
