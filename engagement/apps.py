from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "engagement"
    verbose_name = "Engagement and review"

    def ready(self) -> None:
        from engagement import cards

        cards.register()
