# Consultations (issue 8): written by hand from makemigrations' output for these models only.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("engagement", "0001_register")]

    operations = [
        migrations.CreateModel(
            name="Consultation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[("open", "Open"), ("closed", "Closed")],
                        default="open",
                        max_length=10,
                    ),
                ),
                ("closes_on", models.DateField(verbose_name="closing date")),
                (
                    "closes_at",
                    models.DateTimeField(help_text="The end of the closing day, UK time."),
                ),
                ("all_practices", models.BooleanField(default=False)),
                ("stakeholder_kinds", models.JSONField(blank=True, default=list)),
                ("opened_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "closed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "group",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="consultations",
                        to="groups.leadershipgroup",
                    ),
                ),
                (
                    "opened_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("pcns", models.ManyToManyField(blank=True, related_name="+", to="groups.pcn")),
                (
                    "places",
                    models.ManyToManyField(blank=True, related_name="+", to="groups.place"),
                ),
                (
                    "position",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="consultations",
                        to="groups.position",
                    ),
                ),
                (
                    "version",
                    models.ForeignKey(
                        help_text="The version of the position when the consultation opened.",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="groups.positionversion",
                    ),
                ),
            ],
            options={
                "ordering": ["-opened_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="ConsultationInvitation",
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
                            ("practice", "GP practice"),
                            ("pcn", "Primary care network"),
                            ("lmc", "Local medical committee"),
                            ("pharmacy", "Community pharmacy"),
                            ("dental", "Dental practice"),
                            ("optometry", "Optometry practice"),
                            ("patient_group", "Patient group"),
                            ("community", "Community organisation"),
                            ("other", "Other organisation"),
                        ],
                        max_length=20,
                    ),
                ),
                ("token_hash", models.CharField(blank=True, max_length=64)),
                ("token_sent_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "consultation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="invitations",
                        to="engagement.consultation",
                    ),
                ),
                (
                    "contact",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="engagement.contact",
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="engagement.organisation",
                    ),
                ),
                (
                    "pcn",
                    models.ForeignKey(
                        blank=True,
                        help_text="The PCN itself, or the practice's PCN when the consultation "
                        "opened.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="groups.pcn",
                    ),
                ),
                (
                    "place",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="groups.place",
                    ),
                ),
            ],
            options={
                "ordering": ["consultation", "id"],
            },
        ),
        migrations.CreateModel(
            name="ConsultationAnswer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "stance",
                    models.CharField(
                        choices=[
                            ("support", "Support"),
                            ("changes", "Support with changes"),
                            ("concerns", "Concerns"),
                        ],
                        max_length=10,
                    ),
                ),
                ("text", models.TextField(blank=True, max_length=5000)),
                ("answered_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("changed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "consultation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="answers",
                        to="engagement.consultation",
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="engagement.organisation",
                    ),
                ),
                (
                    "invitation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="answer",
                        to="engagement.consultationinvitation",
                    ),
                ),
            ],
            options={
                "ordering": ["answered_at", "id"],
            },
        ),
        migrations.AddConstraint(
            model_name="consultation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "open")),
                fields=("position",),
                name="engagement_consultation_one_open_per_position",
            ),
        ),
        migrations.AddConstraint(
            model_name="consultation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("closed_at__isnull", True), ("state", "open")),
                    models.Q(("closed_at__isnull", False), ("state", "closed")),
                    _connector="OR",
                ),
                name="engagement_consultation_closed_has_time",
            ),
        ),
        migrations.AddConstraint(
            model_name="consultationinvitation",
            constraint=models.UniqueConstraint(
                fields=("consultation", "contact"),
                name="engagement_consultationinvitation_one_per_contact",
            ),
        ),
        migrations.AddConstraint(
            model_name="consultationinvitation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("token_hash", ""), _negated=True),
                fields=("token_hash",),
                name="engagement_consultationinvitation_unique_token",
            ),
        ),
        migrations.AddConstraint(
            model_name="consultationanswer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("stance", "support"), models.Q(("text", ""), _negated=True), _connector="OR"
                ),
                name="engagement_consultationanswer_text_unless_support",
            ),
        ),
    ]
