"""Board pages: briefs. (Filled in as the part lands.)"""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
