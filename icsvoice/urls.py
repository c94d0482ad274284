"""The one place that wires every app in."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from boards.urls import public_urlpatterns
from engagement.urls import api_urlpatterns
from icsvoice import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("health", views.health, name="health"),
    path("settings/notifications/", views.notification_settings, name="notification_settings"),
    path(
        "accessibility/",
        TemplateView.as_view(template_name="pages/accessibility.html"),
        name="accessibility",
    ),
    path("privacy/", TemplateView.as_view(template_name="pages/privacy.html"), name="privacy"),
    # Email addresses are managed by administrators: changing one's own address would be a
    # route to taking over an account, so allauth's self-service page is closed.
    path("accounts/email/", views.not_found, name="account_email_closed"),
    path("", include("groups.urls")),
    path("", include("boards.urls")),
    path("", include("engagement.urls")),
    *api_urlpatterns,
    *public_urlpatterns,
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

# Django's own handlers render templates/403.html, 404.html and 500.html (the last with an
# empty context, so it stands alone); CSRF failures render templates/403_csrf.html.
