# Learning reviews (issue 8), written by hand from makemigrations' output.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("engagement", "0004_exit_interviews"),
        ("boards", "0005_meeting_packs"),
        ("groups", "0003_positions_and_votes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="LearningReview",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("due_on", models.DateField()),
                ("look_at", models.TextField()),
                (
                    "state",
                    models.CharField(
                        choices=[("open", "Due"), ("done", "Recorded"), ("cancelled", "Cancelled")],
                        default="open",
                        max_length=10,
                    ),
                ),
                ("flagged_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "outcome",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("worked", "Worked"),
                            ("partly_worked", "Partly worked"),
                            ("did_not_work", "Did not work"),
                            ("too_early", "Too early to tell"),
                        ],
                        max_length=16,
                    ),
                ),
                ("what_happened", models.TextField(blank=True)),
                ("learned", models.TextField(blank=True)),
                ("next_steps", models.TextField(blank=True)),
                ("recorded_at", models.DateTimeField(blank=True, null=True)),
                ("cancel_reason", models.TextField(blank=True)),
                ("cancelled_at", models.DateTimeField(blank=True, null=True)),
                (
                    "action",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="learning_reviews",
                        to="boards.action",
                    ),
                ),
                (
                    "board",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="learning_reviews",
                        to="boards.board",
                    ),
                ),
                (
                    "cancelled_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "flagged_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "follows",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="followed_by",
                        to="engagement.learningreview",
                    ),
                ),
                (
                    "group",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="learning_reviews",
                        to="groups.leadershipgroup",
                    ),
                ),
                (
                    "ics",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="learning_reviews",
                        to="groups.ics",
                    ),
                ),
                (
                    "position",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="learning_reviews",
                        to="groups.position",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["due_on", "id"],
            },
        ),
        migrations.AddIndex(
            model_name="learningreview",
            index=models.Index(
                fields=["ics", "state", "due_on"], name="engagement_learning_ics_due"
            ),
        ),
        migrations.AddIndex(
            model_name="learningreview",
            index=models.Index(fields=["ics", "recorded_at"], name="engagement_learning_ics_done"),
        ),
        migrations.AddConstraint(
            model_name="learningreview",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("action__isnull", True),
                        ("board__isnull", True),
                        ("group__isnull", False),
                        ("position__isnull", False),
                    ),
                    models.Q(
                        ("action__isnull", False),
                        ("board__isnull", False),
                        ("group__isnull", True),
                        ("position__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="engagement_learningreview_one_subject",
            ),
        ),
        migrations.AddConstraint(
            model_name="learningreview",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("state", "done"), _negated=True),
                    models.Q(
                        ("recorded_at__isnull", False),
                        models.Q(("outcome", ""), _negated=True),
                        models.Q(("learned", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="engagement_learningreview_recorded_complete",
            ),
        ),
        migrations.AddConstraint(
            model_name="learningreview",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("state", "cancelled"), _negated=True),
                    models.Q(
                        ("cancelled_at__isnull", False),
                        models.Q(("cancel_reason", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="engagement_learningreview_cancelled_has_reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="learningreview",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "open")),
                fields=("position",),
                name="engagement_learningreview_one_open_per_position",
            ),
        ),
        migrations.AddConstraint(
            model_name="learningreview",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "open")),
                fields=("action",),
                name="engagement_learningreview_one_open_per_action",
            ),
        ),
    ]
