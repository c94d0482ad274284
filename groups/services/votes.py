"""Writes on votes: opening a round, casting, closing and tallying.

Casting locks the vote's row, so a cast and a close cannot interleave: a ballot either
lands before the count or is refused as late. The database's unique constraints decide
races between two casts by the same person.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone

from groups.models import (
    Ballot,
    Choice,
    LeadershipGroup,
    Position,
    SecretBallot,
    TermsOfReference,
    Vote,
    VoteEligibility,
    VoteParticipation,
)
from groups.services.common import (
    VoteError,
    member_ids,
    membership_of,
    require_chair,
    role_code,
)
from groups.services.positions import _move
from groups.services.terms import terms_put_in_force, terms_reject
from groups.tally import Count as TallyCount
from groups.tally import Rules, tally
from icsvoice import audit
from icsvoice.errors import DomainError
from icsvoice.models import User
from icsvoice.notifications import notify
from icsvoice.text import check_plain

logger = logging.getLogger(__name__)

MAX_WINDOW = dt.timedelta(days=60)
MIN_WINDOW = dt.timedelta(hours=1)


def terms_in_force(group: LeadershipGroup) -> TermsOfReference:
    terms = group.terms.filter(state=TermsOfReference.State.IN_FORCE).first()
    if terms is None:
        raise VoteError("This group has no terms of reference in force, so it cannot vote yet.")
    return terms


def vote_url(vote: Vote) -> str:
    return reverse("groups:vote-detail", args=[vote.pk])


def _closing_time(terms: TermsOfReference, closes_at: dt.datetime | None) -> dt.datetime:
    now = timezone.now()
    if closes_at is None:
        return now + dt.timedelta(hours=terms.voting_window_hours)
    if closes_at < now + MIN_WINDOW:
        raise VoteError("The closing time must be at least an hour from now.")
    if closes_at > now + MAX_WINDOW:
        raise VoteError("The closing time must be within 60 days.")
    return closes_at


def _open(
    *,
    group: LeadershipGroup,
    actor: User,
    closes_at: dt.datetime | None,
    recused_ids: set[int],
    **subject: object,
) -> Vote:
    terms = terms_in_force(group)
    members = set(member_ids(group))
    eligible = members - recused_ids
    if not eligible:
        raise VoteError("Nobody would be eligible to vote: every member has declared an interest.")
    vote = Vote.objects.create(
        group=group,
        terms=terms,
        ballot=terms.ballot,
        results_hidden_until_close=terms.results_hidden_until_close,
        opened_by=actor,
        closes_at=_closing_time(terms, closes_at),
        eligible_count=len(eligible),
        **subject,
    )
    now = timezone.now()
    VoteEligibility.objects.bulk_create(
        VoteEligibility(
            vote=vote,
            member_id=member_id,
            recused=member_id in recused_ids,
            recused_at=now if member_id in recused_ids else None,
        )
        for member_id in sorted(members)
    )
    return vote


@transaction.atomic
def vote_open(*, position: Position, actor: User, closes_at: dt.datetime | None = None) -> Vote:
    """The chair opens a round on the position's current version. A new round after one
    that was not agreed or inquorate needs a revised version first."""
    membership = require_chair(position.group, actor)
    position = (
        Position.objects.select_for_update(of=("self",))
        .select_related("current_version")
        .get(pk=position.pk)
    )
    version = position.current_version
    assert version is not None
    last = position.votes.order_by("-round").first()
    if position.state == Position.State.VOTING:
        raise VoteError("A vote on this position is already open.")
    if position.state in (Position.State.AGREED, Position.State.WITHDRAWN):
        raise VoteError(
            f"This position is {position.get_state_display().lower()}, "
            "so it cannot be put to a vote."
        )
    if last is not None and last.version_id == version.pk:
        raise VoteError(
            "This version has already been voted on. Revise the position before a new round."
        )
    _move(position, Position.State.VOTING)
    recused = set(position.declarations.values_list("member_id", flat=True))
    vote = _open(
        group=position.group,
        actor=actor,
        closes_at=closes_at,
        recused_ids=recused,
        position=position,
        version=version,
        round=(last.round + 1) if last else 1,
    )
    audit.record(
        event="vote.opened",
        actor=actor,
        role=role_code(membership),
        obj=vote,
        ics_id=position.group.ics_id,
        payload={
            "position": position.pk,
            "version": version.number,
            "round": vote.round,
            "terms_version": vote.terms.version,
            "ballot": vote.ballot,
            "closes_at": vote.closes_at,
            "eligible": vote.eligible_count,
            "recused": sorted(recused & set(member_ids(position.group))),
        },
    )
    notify(
        kind="vote.opened",
        obj=vote,
        recipients=VoteEligibility.objects.filter(vote=vote, recused=False).values_list(
            "member_id", flat=True
        ),
        subject=f"Vote open: “{version.title}”",
        body=(
            f"{actor} opened round {vote.round} of the vote. It closes "
            f"{timezone.localtime(vote.closes_at):%-d %B %Y at %H:%M}."
        ),
        url=vote_url(vote),
        exclude=actor,
    )
    return vote


@transaction.atomic
def vote_open_on_terms(
    *, proposal: TermsOfReference, actor: User, closes_at: dt.datetime | None = None
) -> Vote:
    """The chair puts proposed terms of reference to the group, under those in force."""
    group = proposal.group
    membership = require_chair(group, actor)
    proposal = TermsOfReference.objects.select_for_update().get(pk=proposal.pk)
    if proposal.state != TermsOfReference.State.PROPOSED:
        raise VoteError("Only proposed terms of reference can be put to a vote.")
    if proposal.adoption_votes.filter(state=Vote.State.OPEN).exists():
        raise VoteError("A vote on these terms of reference is already open.")
    last_round = proposal.adoption_votes.order_by("-round").values_list("round", flat=True).first()
    try:
        with transaction.atomic():
            vote = _open(
                group=group,
                actor=actor,
                closes_at=closes_at,
                recused_ids=set(),
                terms_proposal=proposal,
                round=(last_round or 0) + 1,
            )
    except IntegrityError:
        raise VoteError("A vote on these terms of reference is already open.") from None
    audit.record(
        event="vote.opened",
        actor=actor,
        role=role_code(membership),
        obj=vote,
        ics_id=group.ics_id,
        payload={
            "terms_proposal": proposal.pk,
            "proposed_version": proposal.version,
            "terms_version": vote.terms.version,
            "ballot": vote.ballot,
            "closes_at": vote.closes_at,
            "eligible": vote.eligible_count,
        },
    )
    notify(
        kind="vote.opened",
        obj=vote,
        recipients=member_ids(group),
        subject=f"Vote open: terms of reference version {proposal.version}",
        body=(
            f"{actor} asks the group to adopt version {proposal.version} of its terms of reference."
        ),
        url=vote_url(vote),
        exclude=actor,
    )
    return vote


@dataclass(frozen=True)
class CastResult:
    changed: bool  # a named vote that replaced an earlier choice
    unchanged: bool  # the same ballot sent again: nothing was written
    message: str


@transaction.atomic
def vote_cast(*, vote: Vote, voter: User, choice: str, reason: str = "") -> CastResult:
    """Records one eligible member's ballot. Named ballots may be changed until the close;
    a secret ballot is final, and who voted is stored apart from how."""
    vote = Vote.objects.select_for_update(of=("self",)).select_related("terms").get(pk=vote.pk)
    if vote.state != Vote.State.OPEN or vote.closes_at <= timezone.now():
        raise VoteError("This vote has closed, so no more votes can be cast.")
    if choice not in Choice.values:
        raise VoteError("Choose how you vote.")
    reason = reason.strip()
    if vote.is_secret and reason:
        raise VoteError("Secret ballots carry no reason, so that it cannot identify you.")
    check_plain({"Your reason": reason})
    eligibility = VoteEligibility.objects.filter(vote=vote, member=voter).first()
    if eligibility is None:
        raise VoteError(
            "You are not eligible to vote in this round: you were not a member when it opened."
        )
    if eligibility.recused:
        raise VoteError(
            "You declared an interest in this position, so you are recused from this vote."
        )
    label = vote.choice_label(choice)
    membership = membership_of(vote.group, voter)
    voter_role = role_code(membership) if membership else "group_member"
    try:
        with transaction.atomic():
            VoteParticipation.objects.create(vote=vote, voter=voter)
    except IntegrityError:
        if vote.is_secret:
            raise VoteError(
                "You have already voted in this secret ballot. Secret votes cannot be changed."
            ) from None
        return _change(vote, voter, choice, reason, label, voter_role)
    if vote.is_secret:
        SecretBallot.objects.create(vote=vote, choice=choice)
        audit.record(
            event="vote.participated",
            actor=voter,
            role=voter_role,
            obj=vote,
            ics_id=vote.group.ics_id,
            payload={"ballot": "secret"},
        )
        return CastResult(False, False, "Your secret vote has been recorded.")
    Ballot.objects.create(vote=vote, voter=voter, choice=choice, reason=reason)
    audit.record(
        event="vote.cast",
        actor=voter,
        role=voter_role,
        obj=vote,
        ics_id=vote.group.ics_id,
        payload={"choice": choice, "reason": reason},
    )
    return CastResult(False, False, f"Your vote ({label}) has been recorded.")


def _change(
    vote: Vote, voter: User, choice: str, reason: str, label: str, voter_role: str
) -> CastResult:
    ballot = Ballot.objects.select_for_update().get(vote=vote, voter=voter)
    if ballot.choice == choice and ballot.reason == reason:
        return CastResult(False, True, f"You had already voted {label}; your vote stands.")
    previous = ballot.choice
    Ballot.objects.filter(pk=ballot.pk).update(
        choice=choice, reason=reason, changed_at=timezone.now()
    )
    audit.record(
        event="vote.changed",
        actor=voter,
        role=voter_role,
        obj=vote,
        ics_id=vote.group.ics_id,
        payload={"from": previous, "choice": choice, "reason": reason},
    )
    return CastResult(True, False, f"Your vote has been changed to {label}.")


def count_of(vote: Vote) -> TallyCount:
    """The ballots of members eligible and not recused, by choice."""
    rows: QuerySet[SecretBallot] | QuerySet[Ballot]
    if vote.is_secret:
        rows = SecretBallot.objects.filter(vote=vote)
    else:
        rows = Ballot.objects.filter(
            vote=vote,
            voter__in=VoteEligibility.objects.filter(vote=vote, recused=False).values("member"),
        )
    by_choice = dict(rows.values_list("choice").annotate(n=Count("pk")).order_by())
    return TallyCount(
        eligible=vote.eligible_count,
        in_favour=by_choice.get(Choice.FOR, 0),
        against=by_choice.get(Choice.AGAINST, 0),
        abstain=by_choice.get(Choice.ABSTAIN, 0),
    )


def turnout(vote: Vote) -> int:
    return VoteParticipation.objects.filter(vote=vote).count()


@transaction.atomic
def vote_close(*, vote: Vote, actor: User | None = None) -> Vote:
    """Closes a vote and applies its terms of reference. With an actor it is the chair
    closing early, allowed once every eligible member has voted; without one it is the
    deadline job, allowed once the closing time has passed."""
    vote = (
        Vote.objects.select_for_update(of=("self",))
        .select_related("terms", "group")
        .get(pk=vote.pk)
    )
    if vote.state != Vote.State.OPEN:
        raise VoteError("This vote has already closed.")
    role = audit.SYSTEM_ROLE
    if actor is not None:
        role = role_code(require_chair(vote.group, actor))
        if turnout(vote) < vote.eligible_count:
            raise VoteError(
                "Not everyone eligible has voted yet, so the vote stays open until "
                f"{timezone.localtime(vote.closes_at):%-d %B %Y at %H:%M}."
            )
    elif vote.closes_at > timezone.now():
        raise VoteError("This vote is not due to close yet.")
    count = count_of(vote)
    result = tally(Rules.of(vote.terms), count)
    now = timezone.now()
    moved = Vote.objects.filter(pk=vote.pk, state=Vote.State.OPEN).update(
        state=Vote.State.CLOSED,
        closed_at=now,
        closed_by=actor,
        outcome=result.outcome.value,
        eligible_count=count.eligible,
        in_favour=count.in_favour,
        against=count.against,
        abstain=count.abstain,
        quorum_needed=result.quorum_needed,
        explanation=result.explanation[:300],
    )
    if moved != 1:
        raise VoteError("This vote has already closed.")
    vote.refresh_from_db()
    if vote.is_secret:
        _reshuffle_secret_ballots(vote)
    subject_title = _settle_subject(vote, actor)
    audit.record(
        event="vote.closed",
        actor=actor,
        role=role,
        obj=vote,
        ics_id=vote.group.ics_id,
        payload={
            "outcome": vote.outcome,
            "early": actor is not None,
            "eligible": count.eligible,
            "for": count.in_favour,
            "against": count.against,
            "abstain": count.abstain,
            "quorum_needed": result.quorum_needed,
            "terms_version": vote.terms.version,
        },
    )
    notify(
        kind="vote.result",
        obj=vote,
        recipients=member_ids(vote.group),
        subject=f"Vote result: {subject_title}: {vote.get_outcome_display()}",
        body=vote.explanation,
        url=vote_url(vote),
    )
    return vote


def _reshuffle_secret_ballots(vote: Vote) -> None:
    """Rewrites a closed secret vote's ballots in random order with new keys, so that not
    even the rows' physical order or the transaction that wrote them (which a database
    administrator could read) lines up with who took part, and when."""
    choices = list(SecretBallot.objects.filter(vote=vote).values_list("choice", flat=True))
    secrets.SystemRandom().shuffle(choices)
    SecretBallot.objects.filter(vote=vote).delete()
    SecretBallot.objects.bulk_create(SecretBallot(vote=vote, choice=c) for c in choices)


def _settle_subject(vote: Vote, actor: User | None) -> str:
    """Moves the position, or adopts or rejects the proposed terms, as the vote came out."""
    if vote.position_id is not None:
        position = Position.objects.select_for_update().get(pk=vote.position_id)
        _move(position, vote.outcome)
        return position.title
    proposal = vote.terms_proposal
    assert proposal is not None
    if vote.outcome == Vote.Outcome.AGREED:
        terms_put_in_force(proposal=proposal, vote=vote)
    elif vote.outcome == Vote.Outcome.NOT_AGREED:
        terms_reject(proposal=proposal, actor=actor, reason="Not agreed by the group's vote.")
    # Inquorate: the proposal stays proposed and can be put to a new round.
    return f"terms of reference version {proposal.version}"


def votes_close_due() -> list[int]:
    """The deadline job: closes every open vote whose time has passed, each in its own
    transaction. Safe to run twice or on two workers at once."""
    closed = []
    due = Vote.objects.filter(state=Vote.State.OPEN, closes_at__lte=timezone.now()).values_list(
        "pk", flat=True
    )
    for vote_id in list(due):
        try:
            vote_close(vote=Vote(pk=vote_id))
        except VoteError:
            continue  # closed by someone else meanwhile
        except DomainError:
            logger.exception("Vote %s is due but could not be closed", vote_id)
            continue
        closed.append(vote_id)
    return closed
