"""Personal links: long random tokens for people without an account (a practice's contact
answering a consultation, a GP leaving a role). Only a token's SHA-256 is stored; a token
is for one purpose, expires, and its page says nothing about why a link does not work.

Pages that take a token call `throttled()` first and `missed()` when the token finds
nothing: guessing is rate-limited per address. Only misses count, so the practices behind one
NHS network address, each opening its own good link, are never turned away.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# 32 random bytes: 43 URL-safe characters, 256 bits.
TOKEN_BYTES = 32


def new_token() -> tuple[str, str]:
    """(the token for the link, its digest for the database)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def looks_like_token(token: str) -> bool:
    """A cheap check before any query: the right length and alphabet."""
    return 40 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


# A link is minted as *pending* when its email is built, and becomes the current one when the
# mail server accepts that email: an email that fails never costs its reader the link they
# already have. A model holding links has `token_hash` and `pending_token_hash`.


def opens(token: str) -> Q:
    """The rows this token opens: the current link, or one whose email is on its way."""
    hashed = digest(token)
    return Q(token_hash=hashed) | Q(pending_token_hash=hashed)


def promote(rows: QuerySet, **also: object) -> int:
    """The pending link's email was accepted: it replaces the current link (and `also` is
    written with it, such as when it was sent)."""
    return rows.exclude(pending_token_hash="").update(
        token_hash=F("pending_token_hash"), pending_token_hash="", **also
    )


def _key(request: HttpRequest, scope: str) -> str:
    from icsvoice.adapters import client_ip

    return f"icsvoice:links:{scope}:{client_ip(request) or 'unknown'}"


def throttled(request: HttpRequest, scope: str) -> bool:
    """True when this address (the visitor's, behind ICSVOICE_PROXY_COUNT trusted proxies)
    has opened ICSVOICE_LINK_RATE links of `scope` that did not work in the last
    ICSVOICE_LINK_WINDOW_SECONDS."""
    return (cache.get(_key(request, scope)) or 0) >= settings.ICSVOICE_LINK_RATE


def missed(request: HttpRequest, scope: str) -> None:
    """Counts a link of `scope` that found nothing, against this address."""
    key = _key(request, scope)
    window = settings.ICSVOICE_LINK_WINDOW_SECONDS
    cache.add(key, 0, timeout=window)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)


def link_not_working(request: HttpRequest) -> HttpResponse:
    """The one page for a link that is wrong, expired, replaced or used up: it says what a
    person can do, and nothing about which of those it was."""
    return render(request, "pages/link_not_working.html", status=404)


def too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/link_too_many.html", status=429)
