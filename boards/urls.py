"""The board side's pages, one list per part; the public pages have their own namespace."""

from django.urls import include, path

from boards.views import boards, briefs, conduct, meetings, public, seats

app_name = "boards"

urlpatterns = [
    *boards.urlpatterns,
    *seats.urlpatterns,
    *briefs.urlpatterns,
    *meetings.urlpatterns,
    *conduct.urlpatterns,
]

public_urlpatterns = [path("public/", include((public.urlpatterns, "public")))]
