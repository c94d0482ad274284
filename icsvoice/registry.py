"""Where apps plug into the kernel without the kernel importing them.

Each app registers, in its AppConfig.ready(), a function that lists the roles a person
holds in it. The kernel only calls what was registered: that is how the home page and
the ICS scoping know about groups and boards while importing neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from icsvoice.models import User


@dataclass(frozen=True, order=True)
class RoleGrant:
    """One role a person holds now, scoped to one ICS and, within it, a group or board."""

    ics_id: int
    ics_name: str
    code: str  # stable: group_member, group_chair, board_gp_representative, ...
    label: str  # for people: "Chair"
    scope: str  # what it is scoped to: "North Tees Primary Care Leadership Group"


RoleProvider = Callable[["User"], Iterable[RoleGrant]]
_role_providers: list[RoleProvider] = []


def register_role_provider(provider: RoleProvider) -> None:
    if provider not in _role_providers:
        _role_providers.append(provider)


def roles_for(user: User | AnonymousUser) -> list[RoleGrant]:
    """Every current role of a person, cached on the user object for the request."""
    if not user.is_authenticated:
        return []
    cached: list[RoleGrant] | None = getattr(user, "_icsvoice_roles", None)
    if cached is None:
        cached = sorted(grant for provider in _role_providers for grant in provider(user))
        user._icsvoice_roles = cached  # type: ignore[attr-defined]
    return cached


def is_site_admin(user: User | AnonymousUser) -> bool:
    """Site administrators run the whole installation (the admin site); not an ICS role."""
    return bool(user.is_authenticated and user.is_superuser)


def ics_ids_for(user: User | AnonymousUser) -> set[int]:
    """The ICSs a person may see anything of: those they hold a role in."""
    return {grant.ics_id for grant in roles_for(user)}


def has_role(user: User | AnonymousUser, code: str, *, ics_id: int | None = None) -> bool:
    return any(
        grant.code == code and (ics_id is None or grant.ics_id == ics_id)
        for grant in roles_for(user)
    )


# --- Home page cards: "what needs me" --------------------------------------------------------


@dataclass(frozen=True)
class CardItem:
    label: str
    url: str = ""
    detail: str = ""
    urgent: bool = False
    urgent_label: str = "Overdue"  # the red tag shown when urgent


@dataclass(frozen=True)
class HomeCard:
    """One card on the home page. `for_roles` names the role codes that see it; `items`
    is a selector returning what needs the person, in one or two queries however many."""

    key: str
    title: str
    for_roles: frozenset[str]
    items: Callable[[User], list[CardItem]]
    empty: str
    order: int = 100


_home_cards: dict[str, HomeCard] = {}


def register_home_card(card: HomeCard) -> None:
    _home_cards[card.key] = card


def home_cards_for(user: User | AnonymousUser) -> list[tuple[HomeCard, list[CardItem]]]:
    if not user.is_authenticated:
        return []
    codes = {grant.code for grant in roles_for(user)}
    return [
        (card, card.items(user))
        for card in sorted(_home_cards.values(), key=lambda c: (c.order, c.key))
        if card.for_roles & codes
    ]


# --- A position's journey beyond its group ----------------------------------------------------


@dataclass(frozen=True)
class JourneyStep:
    """One thing that happened to an agreed position outside its group (routed to a board,
    the representative's account, the board's response), for the position's page."""

    label: str
    when: dt.date | dt.datetime | None
    text: str = ""
    url: str = ""


JourneyProvider = Callable[[Any], list[JourneyStep]]
_journey_providers: list[JourneyProvider] = []


def register_position_journey(provider: JourneyProvider) -> None:
    if provider not in _journey_providers:
        _journey_providers.append(provider)


def position_journey(position: Any) -> list[JourneyStep]:
    """Every registered app's steps for a position, in the order the apps registered; each
    provider returns its own steps oldest first, in a query or two however many."""
    return [step for provider in _journey_providers for step in provider(position)]


# --- Personal links in emails -----------------------------------------------------------------

# A personal link (a consultation's answer page, an exit interview) is a secret that is
# stored only hashed. So an email that carries one does not keep it in the outbox: the app
# that owns the email's kind registers a function that mints the link when the email is built
# to be sent. It may also register a function the mailer calls once the server has accepted
# the email: a link minted for an email that then failed must not replace one that arrived.
LinkMinter = Callable[[Any], str]
LinkDelivered = Callable[[Any], None]
_link_minters: dict[str, LinkMinter] = {}
_links_delivered: dict[str, LinkDelivered] = {}


def register_link_minter(
    kind: str, minter: LinkMinter, *, delivered: LinkDelivered | None = None
) -> None:
    _link_minters[kind] = minter
    if delivered is not None:
        _links_delivered[kind] = delivered


def link_minter(kind: str) -> LinkMinter | None:
    return _link_minters.get(kind)


def link_delivered(kind: str) -> LinkDelivered | None:
    return _links_delivered.get(kind)
