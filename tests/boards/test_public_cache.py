"""The public pages kept in the cache for visitors who are not signed in
(boards/public_cache.py): a second visit costs no query; an audited change to a board's
business shows at once, and only once committed; signed-in people and anyone with a message
waiting are served fresh; and a cache that is down serves every page fresh."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from boards.services import meetings as services
from tests.boards import public_fixtures as pf
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.ICSVOICE_PUBLIC_CACHE_SECONDS = 60


@pytest.fixture
def meeting(cast):
    m = pf.meeting(cast.board, cast.secretary, days=14, title="Board meeting in public")
    version = pf.version(m, cast.secretary, state="published")
    pf.item(version, 1, "Finance report", duration_minutes=30)
    return m


def _get(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_a_second_visit_costs_no_query_and_shows_the_same_page(client, meeting):
    path = reverse("public:meeting-detail", args=[meeting.pk])
    first, fresh_queries = _get(client, path)
    again, kept_queries = _get(client, path)
    assert fresh_queries > 0 and kept_queries == 0
    assert again == first and "Finance report" in again
    # Each page is kept on its own.
    board, _ = _get(client, reverse("public:board-detail", args=[meeting.board.slug]))
    assert "Finance report" not in board


def test_an_audited_change_shows_at_once_once_committed(
    client, cast, meeting, django_capture_on_commit_callbacks
):
    path = reverse("public:meeting-detail", args=[meeting.pk])
    before, _ = _get(client, path)
    assert "This meeting has been cancelled." not in before
    try:
        with transaction.atomic():
            services.meeting_cancel(
                meeting=meeting, reason="The chair is unwell.", actor=cast.secretary
            )
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert _get(client, path)[1] == 0  # nothing changed: still the kept page
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_cancel(
            meeting=meeting, reason="The chair is unwell.", actor=cast.secretary
        )
    after, queries = _get(client, path)
    assert queries > 0 and "This meeting has been cancelled." in after


def test_signed_in_people_and_waiting_messages_are_served_fresh(client, cast, meeting):
    path = reverse("public:meeting-detail", args=[meeting.pk])
    _get(client, path)  # kept for visitors
    client.cookies["messages"] = "anything"
    assert _get(client, path)[1] > 0
    del client.cookies["messages"]
    sign_in(client, cast.outsider)
    body, queries = _get(client, path)
    assert queries > 0 and "Sign out" in body


def test_with_the_cache_down_every_page_is_served_fresh(client, meeting, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    path = reverse("public:meeting-detail", args=[meeting.pk])
    for _ in range(2):
        body, queries = _get(client, path)
        assert queries > 0 and "Finance report" in body
