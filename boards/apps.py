from django.apps import AppConfig


class BoardsConfig(AppConfig):
    name = "boards"
    verbose_name = "ICS boards"

    def ready(self) -> None:
        from boards import cards
        from boards.selectors import role_grants
        from icsvoice.registry import register_role_provider

        register_role_provider(role_grants)
        cards.register()
