"""What consultations register with the kernel when the app starts: where their objects'
group is (for the audit trail), the step on a position's page, and the personal link minted
into each invitation and reminder as it is sent."""

from __future__ import annotations


def register() -> None:
    from engagement.models.consultations import (
        Consultation,
        ConsultationAnswer,
        ConsultationInvitation,
    )
    from engagement.services.consultations import (
        INVITATION_KIND,
        REMINDER_KIND,
        link_sent,
        mint_link,
        position_journey_steps,
    )
    from icsvoice.audit import register_scope
    from icsvoice.registry import register_link_minter, register_position_journey

    register_scope(Consultation, group="group_id")
    register_scope(ConsultationInvitation, group="consultation__group_id")
    register_scope(ConsultationAnswer, group="consultation__group_id")
    register_position_journey(position_journey_steps)
    register_link_minter(INVITATION_KIND, mint_link, delivered=link_sent)
    register_link_minter(REMINDER_KIND, mint_link, delivered=link_sent)
