"""The API's addresses, under /api/ (namespace `api`): `<name>-list` and `<name>-detail` for
each kind of thing, and the OpenAPI schema at /api/schema/.

A detail address takes any path segment as its id, so a word where an id belongs is a JSON
404 from the API rather than the site's HTML one."""

from __future__ import annotations

from django.urls import URLPattern, path, re_path
from drf_spectacular.views import SpectacularAPIView

from engagement.api import views

ENDPOINTS: tuple[tuple[str, str, type[views.ReadOnlyEndpoint]], ...] = (
    ("positions", "position", views.PositionViewSet),
    ("votes", "vote", views.VoteViewSet),
    ("briefs", "brief", views.BriefViewSet),
    ("responses", "response", views.BoardResponseViewSet),
    ("meetings", "meeting", views.MeetingViewSet),
    ("agendas", "agenda", views.AgendaViewSet),
    ("audit-events", "audit-event", views.AuditEventViewSet),
)

urlpatterns: list[URLPattern] = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
for prefix, name, viewset in ENDPOINTS:
    urlpatterns += [
        path(f"{prefix}/", viewset.as_view({"get": "list"}), name=f"{name}-list"),
        re_path(
            rf"^{prefix}/(?P<pk>[^/]+)/$",
            viewset.as_view({"get": "retrieve"}),
            name=f"{name}-detail",
        ),
    ]
