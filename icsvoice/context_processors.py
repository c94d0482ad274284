from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from icsvoice.registry import is_site_admin, roles_for

if TYPE_CHECKING:
    from icsvoice.models import User

SERVICE_NAME = "icsvoice"

# Not a role anyone is granted in an ICS: site administrators (registry.is_site_admin).
SITE_ADMIN = "site_admin"
EVERYONE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class NavEntry:
    """One destination in the header navigation, shown to people holding any of `roles`
    (everyone signed in when empty)."""

    label: str
    url_name: str
    roles: frozenset[str] = EVERYONE


# The header navigation, in order. A feature adds its destination here; an entry whose URL
# name does not exist yet is left out, so an entry can land before its view.
NAVIGATION: tuple[NavEntry, ...] = (
    NavEntry("Home", "home"),
    NavEntry(
        "Positions", "groups:group-list", frozenset({"group_member", "group_chair", "ics_reviewer"})
    ),
    NavEntry(
        "Boards",
        "boards:board-list",
        frozenset(
            {
                "board_chair",
                "board_member",
                "board_gp_representative",
                "board_secretary",
                "ics_reviewer",
            }
        ),
    ),
    NavEntry("Review", "engagement:review-home", frozenset({"ics_reviewer"})),
    NavEntry("Admin", "admin:index", frozenset({SITE_ADMIN})),
)


def role_codes(user: User) -> set[str]:
    codes = {grant.code for grant in roles_for(user)}
    if is_site_admin(user):
        codes.add(SITE_ADMIN)
    return codes


def navigation_for(request: HttpRequest) -> list[dict[str, object]]:
    """The header navigation items a person may use, marking the one they are in."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    codes = role_codes(user)
    items = []
    for entry in NAVIGATION:
        if entry.roles and not entry.roles & codes:
            continue
        try:
            href = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        current = request.path == href
        active = current or (href != "/" and request.path.startswith(href))
        items.append({"label": entry.label, "href": href, "current": current, "active": active})
    return items


def service(request: HttpRequest) -> dict[str, object]:
    return {
        "service_name": SERVICE_NAME,
        "navigation": navigation_for(request),
    }
