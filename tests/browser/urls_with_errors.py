"""The site's URLs plus one view that fails, to see the 500 page a person would get."""

from django.urls import path

from icsvoice.urls import urlpatterns as site_urlpatterns


def boom(request):
    raise RuntimeError("A deliberate failure for the 500 page test")


urlpatterns = [*site_urlpatterns, path("boom/", boom)]
