"""Reads of the primary care side that depend on who asks."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from groups.models import (
    Amendment,
    Attachment,
    Ballot,
    Choice,
    Comment,
    GroupMembership,
    IcsReviewer,
    LeadershipGroup,
    Position,
    PositionDeclaration,
    PositionVersion,
    Vote,
    VoteEligibility,
)
from icsvoice.models import User
from icsvoice.registry import RoleGrant

ROLE_CODES = {
    GroupMembership.Role.MEMBER: "group_member",
    GroupMembership.Role.CHAIR: "group_chair",
}


def role_grants(user: User) -> list[RoleGrant]:
    grants = [
        RoleGrant(
            ics_id=m.group.ics_id,
            ics_name=m.group.ics.name,
            code=ROLE_CODES[GroupMembership.Role(m.role)],
            label=m.get_role_display(),
            scope=m.group.name,
        )
        for m in GroupMembership.objects.current().filter(user=user).select_related("group__ics")
    ]
    grants += [
        RoleGrant(
            ics_id=r.ics_id,
            ics_name=r.ics.name,
            code="ics_reviewer",
            label="ICS staff reviewer",
            scope=r.ics.name,
        )
        for r in IcsReviewer.objects.current().filter(user=user).select_related("ics")
    ]
    return grants


# --- Positions and votes ---------------------------------------------------------------------


def current_members(group: LeadershipGroup) -> QuerySet[User]:
    """The group's current members, by name: for choosing co-authors or whose interest."""
    current = GroupMembership.objects.current().filter(group=group).values("user")
    return User.objects.filter(pk__in=current).order_by("full_name")


def groups_for(user: User) -> list[LeadershipGroup]:
    """Groups a person belongs to, and every group in the ICSs they review."""
    member_of = GroupMembership.objects.current().filter(user=user).values("group")
    reviewed = IcsReviewer.objects.current().filter(user=user).values("ics")
    return list(
        LeadershipGroup.objects.filter(Q(pk__in=member_of) | Q(ics__in=reviewed))
        .select_related("ics")
        .order_by("ics__name", "name")
    )


def positions_of(group: LeadershipGroup) -> list[Position]:
    return list(
        group.positions.select_related("current_version", "created_by")
        .prefetch_related("coauthors")
        .order_by("-updated_at", "-id")
    )


def open_votes_of(group: LeadershipGroup) -> list[Vote]:
    return list(
        group.votes.filter(state=Vote.State.OPEN)
        .select_related("version", "terms_proposal")
        .order_by("closes_at")
    )


@dataclass
class PositionPage:
    """Everything the position page shows, in a fixed number of queries."""

    position: Position
    coauthors: list[User]
    versions: list[PositionVersion]
    comments: list[Comment]
    amendments: list[Amendment]
    declarations: list[PositionDeclaration]
    attachments: list[Attachment]
    votes: list[Vote]
    open_vote: Vote | None
    is_member: bool
    is_chair: bool
    is_author: bool
    declared: bool


def position_page(position: Position, user: User) -> PositionPage:
    membership = GroupMembership.objects.current().filter(group=position.group, user=user).first()
    coauthors = list(position.coauthors.all())
    versions = list(
        position.versions.select_related("created_by")
        .only(
            "number", "title", "change_note", "created_at", "position_id", "created_by__full_name"
        )
        .order_by("-number")
    )
    declarations = list(position.declarations.select_related("member", "recorded_by"))
    votes = list(position.votes.select_related("version", "terms", "closed_by").order_by("-round"))
    is_chair = membership is not None and membership.role == GroupMembership.Role.CHAIR
    is_author = membership is not None and (
        position.created_by_id == user.pk or any(u.pk == user.pk for u in coauthors)
    )
    return PositionPage(
        position=position,
        coauthors=coauthors,
        versions=versions,
        comments=list(position.comments.select_related("author", "version")),
        amendments=list(
            position.amendments.select_related("proposed_by", "decided_by", "base_version")
        ),
        declarations=declarations,
        attachments=list(position.attachments.select_related("uploaded_by")),
        votes=votes,
        open_vote=next((v for v in votes if v.state == Vote.State.OPEN), None),
        is_member=membership is not None,
        is_chair=is_chair,
        is_author=is_author or is_chair,
        declared=any(d.member_id == user.pk for d in declarations),
    )


@dataclass
class VotePage:
    vote: Vote
    eligibility: list[VoteEligibility]
    voted_ids: set[int]
    my_eligibility: VoteEligibility | None
    my_ballot: Ballot | None
    ballots: list[Ballot]
    count: dict[str, int] | None  # None while results are hidden
    turnout: int
    results_visible: bool


def vote_page(vote: Vote, user: User) -> VotePage:
    eligibility = list(vote.eligibility.select_related("member"))
    voted_ids = set(vote.participations.values_list("voter_id", flat=True))
    mine = next((e for e in eligibility if e.member_id == user.pk), None)
    # A live count of a secret ballot, read between casts, would show how each person voted.
    visible = not vote.is_open or not (vote.results_hidden_until_close or vote.is_secret)
    ballots: list[Ballot] = []
    my_ballot = None
    if not vote.is_secret:
        all_ballots = list(vote.ballots.select_related("voter"))
        my_ballot = next((b for b in all_ballots if b.voter_id == user.pk), None)
        ballots = all_ballots if visible else []
    count = None
    if visible:
        if vote.is_open:
            rows = vote.secret_ballots if vote.is_secret else vote.ballots
            by_choice = dict(rows.values_list("choice").annotate(n=Count("pk")).order_by())
            count = {c.value: by_choice.get(c.value, 0) for c in Choice}
        else:
            count = {
                Choice.FOR.value: vote.in_favour,
                Choice.AGAINST.value: vote.against,
                Choice.ABSTAIN.value: vote.abstain,
            }
    return VotePage(
        vote=vote,
        eligibility=eligibility,
        voted_ids=voted_ids,
        my_eligibility=mine,
        my_ballot=my_ballot,
        ballots=ballots,
        count=count,
        turnout=len(voted_ids),
        results_visible=visible,
    )
