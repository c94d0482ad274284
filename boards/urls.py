"""The board side's pages, one list per part; the public pages have their own namespace."""

from django.urls import include, path

from boards.views import boards, briefs, conduct, meetings, packs, public, seats

app_name = "boards"

urlpatterns = [
    *boards.urlpatterns,
    *seats.urlpatterns,
    *briefs.urlpatterns,
    *meetings.urlpatterns,
    *conduct.urlpatterns,
    *packs.urlpatterns,
]

public_urlpatterns = [
    path("public/", include(([*public.urlpatterns, *packs.public_urlpatterns], "public")))
]
