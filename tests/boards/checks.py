"""The check that a refused write on the board side leaves nothing behind."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.apps import apps

from icsvoice.errors import DomainError
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


@contextmanager
def refused(match: str):
    """The block raises a refusal (a BoardError, or the plain-text check's DomainError)
    whose message matches, and nothing changed: no row of any board model, no audit event,
    no outbox row."""
    before = board_fingerprint()
    with pytest.raises(DomainError, match=match):
        yield
    assert board_fingerprint() == before
