"""Where each primary care object's leadership group is, for the audit trail's review."""

from __future__ import annotations

from groups.models import (
    Amendment,
    Attachment,
    Comment,
    GroupMembership,
    Interest,
    LeadershipGroup,
    Position,
    PositionDeclaration,
    PositionVersion,
    TermsOfReference,
    Vote,
)
from icsvoice.audit import register_scope


def register() -> None:
    register_scope(LeadershipGroup, group="pk")
    for model in (TermsOfReference, GroupMembership, Interest, Position, Vote):
        register_scope(model, group="group_id")
    for related in (PositionVersion, Comment, Amendment, Attachment, PositionDeclaration):
        register_scope(related, group="position__group_id")
