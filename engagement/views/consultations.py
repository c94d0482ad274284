"""Placeholder: filled in by issue 8."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
