from django.apps import AppConfig


class BoardsConfig(AppConfig):
    name = "boards"
    verbose_name = "ICS boards"

    def ready(self) -> None:
        from boards import audit_scopes, cards
        from boards.selectors import role_grants
        from boards.selectors.briefs import position_journey_steps
        from icsvoice.registry import register_position_journey, register_role_provider

        register_role_provider(role_grants)
        register_position_journey(position_journey_steps)
        cards.register()
        audit_scopes.register()

        from django.db.models.signals import post_save

        from boards import public_cache
        from icsvoice.models import AuditEvent

        post_save.connect(
            public_cache.board_event_saved, sender=AuditEvent, dispatch_uid="boards-public-cache"
        )
