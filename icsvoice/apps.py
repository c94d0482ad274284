from django.apps import AppConfig


class IcsvoiceConfig(AppConfig):
    name = "icsvoice"
    verbose_name = "icsvoice kernel"

    def ready(self) -> None:
        from icsvoice import signals  # noqa: F401  (connects sign-in auditing)
