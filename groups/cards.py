"""The primary care side's home page cards."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from groups.models import GroupMembership, Position, TermsOfReference, Vote, today
from icsvoice.models import User
from icsvoice.registry import CardItem, HomeCard, register_home_card

MEMBERS = frozenset({"group_member", "group_chair"})
REVIEW_NOTICE_DAYS = 30


def _vote_label(vote: Vote) -> str:
    if vote.version is not None:
        return vote.version.title
    assert vote.terms_proposal is not None
    return f"Terms of reference version {vote.terms_proposal.version}"


def votes_awaiting_me(user: User) -> list[CardItem]:
    """Open votes the person is eligible for (not recused) and has not voted in."""
    votes = (
        Vote.objects.filter(
            state=Vote.State.OPEN,
            closes_at__gt=timezone.now(),
            eligibility__member=user,
            eligibility__recused=False,
        )
        .exclude(participations__voter=user)
        .select_related("version", "terms_proposal", "group")
        .order_by("closes_at")
    )
    soon = timezone.now() + dt.timedelta(hours=24)
    return [
        CardItem(
            label=_vote_label(vote),
            url=reverse("groups:vote-detail", args=[vote.pk]),
            detail=f"{vote.group.name}: closes "
            f"{timezone.localtime(vote.closes_at):%-d %B %Y at %H:%M}",
            urgent=vote.closes_at <= soon,
            urgent_label="Closes soon",
        )
        for vote in votes
    ]


def drafts_i_coauthor(user: User) -> list[CardItem]:
    """Draft positions the person started or co-authors, in groups they still belong to."""
    groups = GroupMembership.objects.current().filter(user=user).values("group")
    drafts = (
        Position.objects.filter(state=Position.State.DRAFT, group__in=groups)
        .filter(Q(created_by=user) | Q(coauthors=user))
        .distinct()
        .select_related("current_version", "group")
        .order_by("-updated_at")
    )
    return [
        CardItem(
            label=position.title,
            url=reverse("groups:position-detail", args=[position.pk]),
            detail=f"{position.group.name}: version {position.current_version.number}, "
            f"updated {timezone.localtime(position.updated_at):%-d %B %Y}",
        )
        for position in drafts
        if position.current_version
    ]


def terms_due_for_review(user: User) -> list[CardItem]:
    """Terms of reference in force, in groups the person chairs, due within 30 days."""
    chaired = GroupMembership.objects.current().filter(user=user, role=GroupMembership.Role.CHAIR)
    due = (
        TermsOfReference.objects.filter(
            state=TermsOfReference.State.IN_FORCE,
            group__in=chaired.values("group"),
            review_date__lte=today() + dt.timedelta(days=REVIEW_NOTICE_DAYS),
        )
        .select_related("group")
        .order_by("review_date")
    )
    return [
        CardItem(
            label=f"{terms.group.name}: terms of reference version {terms.version}",
            detail=f"Review due {terms.review_date:%-d %B %Y}",
            urgent=terms.review_date < today(),
        )
        for terms in due
    ]


def register() -> None:
    register_home_card(
        HomeCard(
            key="votes_awaiting_me",
            title="Votes waiting for your ballot",
            for_roles=MEMBERS,
            items=votes_awaiting_me,
            order=10,
            empty="No votes are waiting for you. When your chair opens a vote, it appears here.",
        )
    )
    register_home_card(
        HomeCard(
            key="drafts_i_coauthor",
            title="Drafts you co-author",
            for_roles=MEMBERS,
            items=drafts_i_coauthor,
            order=20,
            empty="You are not co-authoring any draft positions.",
        )
    )
    register_home_card(
        HomeCard(
            key="terms_due_for_review",
            title="Terms of reference due for review",
            for_roles=frozenset({"group_chair"}),
            items=terms_due_for_review,
            order=60,
            empty="No terms of reference are due for review in the next 30 days.",
        )
    )
