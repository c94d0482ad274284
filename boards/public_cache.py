"""The public pages, kept ready for visitors who are not signed in.

Anyone may read a board's public pages, and on a meeting day many do at once. For a visitor
without a session, a page is kept in the cache (Redis in production) for
ICSVOICE_PUBLIC_CACHE_SECONDS. Every audited change to a board's business clears every public
page at once: the audit trail records each change with its board (`icsvoice.audit`), and
each such event, once committed, starts a new generation: a page is kept with the generation
it was drawn in and served only in that one, so generation and page come back in a single
round trip to the cache. Anything changed without an event (an ODS import renaming an ICS)
shows within the lifetime.

Signed-in people, anyone with a message waiting, and every answer but a 200 are served
fresh. If the cache is down, pages are served fresh: the cache is never needed.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

GENERATION = "boards:public:generation"
View = Callable[..., HttpResponse]


def changed() -> None:
    """Every public page is out of date: the next visitor to each gets it fresh."""
    try:
        cache.set(GENERATION, uuid.uuid4().hex, timeout=None)
    except Exception:  # the cache is down: its pages expire by themselves
        logger.warning("Could not clear the public pages' cache", exc_info=True)


def board_event_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """post_save of an audit event: a change to a board's business clears the pages once
    it is committed (a rolled-back change clears nothing, and nothing is read too early)."""
    if created and instance.board_id is not None:
        transaction.on_commit(changed)


def _generation() -> str:
    """The current generation, started here if there is none yet (the cache was emptied)."""
    generation = uuid.uuid4().hex
    if not cache.add(GENERATION, generation, timeout=None):
        generation = cache.get(GENERATION) or generation
    return generation


def _key(request: HttpRequest) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"boards:public:page:{path}"


def for_visitors(view: View) -> View:
    """Serves the view's page from the cache to visitors who are not signed in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        seconds = settings.ICSVOICE_PUBLIC_CACHE_SECONDS
        if (
            not seconds
            or request.method != "GET"
            or "messages" in request.COOKIES
            or request.user.is_authenticated
        ):
            return view(request, *args, **kwargs)
        key = _key(request)
        try:
            # One round trip: the generation and the page, which is kept with the generation
            # it was drawn in and served only while that is still the current one.
            found = cache.get_many([GENERATION, key])
            generation = found.get(GENERATION) or _generation()
        except Exception:
            logger.warning("The public pages' cache is not answering", exc_info=True)
            return view(request, *args, **kwargs)
        kept = found.get(key)
        if kept is not None and kept[0] == generation:
            _, content_type, content = kept
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            try:
                cache.set(
                    key, (generation, response["Content-Type"], response.content), timeout=seconds
                )
            except Exception:
                logger.warning("Could not keep a public page", exc_info=True)
        return response

    return wrapper
