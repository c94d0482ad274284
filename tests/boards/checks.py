"""The check that a refused write on the board side leaves nothing behind."""

from __future__ import annotations

from django.apps import apps

from icsvoice.models import AuditEvent, OutboxMessage


def board_fingerprint() -> dict:
    """Every row of every board model, plus the audit trail and the outbox."""
    snapshot: dict = {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_app_config("boards").get_models()
    }
    snapshot["audit"] = AuditEvent.objects.count()
    snapshot["outbox"] = OutboxMessage.objects.count()
    return snapshot
