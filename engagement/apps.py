from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "engagement"
    verbose_name = "Engagement and review"

    def ready(self) -> None:
        from engagement import cards
        from engagement.hooks import consultations, interviews, learning, log

        cards.register()
        for part in (consultations, log, interviews, learning):
            part.register()
