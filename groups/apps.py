from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = "Primary care"

    def ready(self) -> None:
        from groups import audit_scopes, cards
        from groups.selectors import role_grants
        from icsvoice.registry import register_role_provider

        register_role_provider(role_grants)
        cards.register()
        audit_scopes.register()
