"""The review side's pages (engagement:) and the read-only API (api:)."""

from django.urls import include, path

from engagement.api import urls as api_urls
from engagement.views import (
    audit,
    consultations,
    home,
    interviews,
    journey,
    learning,
    log,
    reports,
    tokens,
)

app_name = "engagement"

urlpatterns = [
    *home.urlpatterns,
    *audit.urlpatterns,
    *journey.urlpatterns,
    *reports.urlpatterns,
    *tokens.urlpatterns,
    *consultations.urlpatterns,
    *log.urlpatterns,
    *interviews.urlpatterns,
    *learning.urlpatterns,
]

api_urlpatterns = [path("api/", include((api_urls.urlpatterns, "api")))]
