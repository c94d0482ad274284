# Exit interviews (issue 8): written by hand from makemigrations' output.

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("engagement", "0003_engagement_log"),
        ("groups", "0003_positions_and_votes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ExitInterview",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("leaver_name", models.CharField(blank=True, max_length=150)),
                ("leaver_email", models.EmailField(blank=True, max_length=254)),
                (
                    "role_left",
                    models.CharField(max_length=200, verbose_name="role they are leaving"),
                ),
                (
                    "role_kind",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("gp_partner", "GP partner"),
                            ("salaried_gp", "Salaried GP"),
                            ("locum_gp", "Locum GP"),
                            ("clinical_director", "PCN clinical director"),
                            ("system_role", "ICS, place or LMC role"),
                            ("training_role", "GP trainer or educator"),
                            ("other", "Other role"),
                        ],
                        max_length=30,
                    ),
                ),
                ("leaving_on", models.DateField()),
                ("closes_on", models.DateField()),
                ("invited_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "state",
                    models.CharField(
                        choices=[("invited", "Invited"), ("answered", "Answered")],
                        default="invited",
                        max_length=10,
                    ),
                ),
                ("token_hash", models.CharField(blank=True, max_length=64)),
                ("link_sent_at", models.DateTimeField(blank=True, null=True)),
                ("saved_at", models.DateTimeField(blank=True, null=True)),
                ("answered_at", models.DateTimeField(blank=True, null=True)),
                ("themes_tagged_at", models.DateTimeField(blank=True, null=True)),
                ("erased_at", models.DateTimeField(blank=True, null=True)),
                (
                    "ics",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="exit_interviews",
                        to="groups.ics",
                    ),
                ),
                (
                    "invited_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "readers",
                    models.ManyToManyField(
                        related_name="exit_interviews_to_read", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["-invited_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="InterviewQuestion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("text", models.CharField(max_length=500)),
                ("order", models.PositiveIntegerField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("retired_at", models.DateTimeField(blank=True, null=True)),
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
                        related_name="interview_questions",
                        to="groups.ics",
                    ),
                ),
            ],
            options={
                "ordering": ["ics", "order"],
            },
        ),
        migrations.CreateModel(
            name="InterviewAnswer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("order", models.PositiveIntegerField()),
                ("wording", models.CharField(max_length=500)),
                ("text", models.TextField(blank=True)),
                (
                    "interview",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="answers",
                        to="engagement.exitinterview",
                    ),
                ),
                (
                    "question",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="engagement.interviewquestion",
                    ),
                ),
            ],
            options={
                "ordering": ["interview", "order"],
            },
        ),
        migrations.CreateModel(
            name="InterviewTheme",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=60)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
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
                        related_name="interview_themes",
                        to="groups.ics",
                    ),
                ),
            ],
            options={
                "ordering": ["ics", "name"],
            },
        ),
        migrations.AddField(
            model_name="exitinterview",
            name="themes",
            field=models.ManyToManyField(
                blank=True, related_name="interviews", to="engagement.interviewtheme"
            ),
        ),
        migrations.AddConstraint(
            model_name="interviewquestion",
            constraint=models.UniqueConstraint(
                fields=("ics", "order"), name="engagement_interviewquestion_one_per_place"
            ),
        ),
        migrations.AddConstraint(
            model_name="interviewanswer",
            constraint=models.UniqueConstraint(
                fields=("interview", "order"), name="engagement_interviewanswer_one_per_place"
            ),
        ),
        migrations.AddConstraint(
            model_name="interviewtheme",
            constraint=models.UniqueConstraint(
                models.F("ics"),
                django.db.models.functions.text.Lower("name"),
                name="engagement_interviewtheme_unique_name",
            ),
        ),
        migrations.AddIndex(
            model_name="exitinterview",
            index=models.Index(fields=["ics", "answered_at"], name="engagement_exitint_answered"),
        ),
        migrations.AddConstraint(
            model_name="exitinterview",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("state", "invited"), ("answered_at__isnull", True)),
                    models.Q(("state", "answered"), ("answered_at__isnull", False)),
                    _connector="OR",
                ),
                name="engagement_exitinterview_answered_when",
            ),
        ),
        migrations.AddConstraint(
            model_name="exitinterview",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("erased_at__isnull", True),
                    models.Q(("leaver_name", ""), ("leaver_email", ""), ("token_hash", "")),
                    _connector="OR",
                ),
                name="engagement_exitinterview_erased_is_blank",
            ),
        ),
        migrations.AddConstraint(
            model_name="exitinterview",
            constraint=models.UniqueConstraint(
                condition=models.Q(("token_hash", ""), _negated=True),
                fields=("token_hash",),
                name="engagement_exitinterview_one_link",
            ),
        ),
    ]
