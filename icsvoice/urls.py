"""The one place that wires every app in."""

from django.contrib import admin
from django.urls import include, path

from icsvoice import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
