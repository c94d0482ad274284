"""The engagement log (issue 8): events, the organisations that took part and the positions
they informed. Written by hand from makemigrations' output."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("engagement", "0002_consultations"),
        ("groups", "0003_positions_and_votes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="EngagementEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("local_event", "Local event"),
                            ("work_shadowing", "Work shadowing"),
                            ("coaching", "Coaching session"),
                            ("patient_group", "Meeting with a patient group"),
                            ("other", "Other"),
                        ],
                        max_length=20,
                    ),
                ),
                ("title", models.CharField(max_length=200)),
                ("happened_on", models.DateField(verbose_name="date")),
                (
                    "people_count",
                    models.PositiveIntegerField(verbose_name="how many people took part"),
                ),
                ("outcome", models.TextField(verbose_name="what came of it")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "ics",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="engagement_events",
                        to="groups.ics",
                    ),
                ),
                (
                    "organisations",
                    models.ManyToManyField(
                        blank=True, related_name="engagement_events", to="engagement.organisation"
                    ),
                ),
                (
                    "place",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="engagement_events",
                        to="groups.place",
                    ),
                ),
                (
                    "positions",
                    models.ManyToManyField(
                        blank=True, related_name="engagement_events", to="groups.position"
                    ),
                ),
            ],
            options={
                "ordering": ["-happened_on", "-id"],
                "indexes": [
                    models.Index(fields=["ics", "happened_on"], name="engagement_event_ics_day")
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("people_count__gte", 1)),
                        name="engagement_engagementevent_people",
                    )
                ],
            },
        ),
    ]
