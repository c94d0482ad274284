"""Votes: a round of voting on one version of a position, or on proposed terms of reference.

A vote follows the terms of reference in force when it opened (`terms`), whose rules never
change once adopted. Who may vote is fixed when it opens (`VoteEligibility`).

Named ballots say who voted how (`Ballot`). Secret ballots are stored apart from who took
part: `VoteParticipation` says who voted, `SecretBallot` says how, with a random key and no
person or time, so no row links the two.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from groups.models.core import LeadershipGroup, TermsOfReference
from groups.models.positions import Position, PositionVersion


class Choice(models.TextChoices):
    FOR = "for", "For"
    AGAINST = "against", "Against"
    ABSTAIN = "abstain", "Abstain"


CONSENSUS_LABELS = {Choice.FOR: "Agree", Choice.AGAINST: "Object", Choice.ABSTAIN: "Abstain"}


class Vote(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Outcome(models.TextChoices):
        AGREED = "agreed", "Agreed"
        NOT_AGREED = "not_agreed", "Not agreed"
        INQUORATE = "inquorate", "Inquorate"

    group = models.ForeignKey(LeadershipGroup, on_delete=models.PROTECT, related_name="votes")
    position = models.ForeignKey(
        Position, null=True, blank=True, on_delete=models.PROTECT, related_name="votes"
    )
    version = models.ForeignKey(
        PositionVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="votes"
    )
    terms_proposal = models.ForeignKey(
        TermsOfReference,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="adoption_votes",
    )
    terms = models.ForeignKey(
        TermsOfReference,
        on_delete=models.PROTECT,
        related_name="votes_governed",
        help_text="The terms of reference in force when the vote opened; their rules apply.",
    )
    round = models.PositiveIntegerField(default=1)
    ballot = models.CharField(max_length=10, choices=TermsOfReference.Ballot.choices)
    results_hidden_until_close = models.BooleanField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closes_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    eligible_count = models.PositiveIntegerField(default=0)
    in_favour = models.PositiveIntegerField(default=0)
    against = models.PositiveIntegerField(default=0)
    abstain = models.PositiveIntegerField(default=0)
    quorum_needed = models.PositiveIntegerField(default=0)
    explanation = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(position__isnull=False, version__isnull=False, terms_proposal=None))
                | (Q(position=None, version=None, terms_proposal__isnull=False)),
                name="groups_vote_one_subject",
            ),
            models.UniqueConstraint(
                fields=["position", "round"],
                condition=Q(position__isnull=False),
                name="groups_vote_unique_position_round",
            ),
            models.UniqueConstraint(
                fields=["position"],
                condition=Q(state="open", position__isnull=False),
                name="groups_vote_one_open_per_position",
            ),
            models.UniqueConstraint(
                fields=["terms_proposal"],
                condition=Q(state="open", terms_proposal__isnull=False),
                name="groups_vote_one_open_per_terms",
            ),
            models.CheckConstraint(
                condition=Q(state="open") | ~Q(outcome=""), name="groups_vote_closed_has_outcome"
            ),
        ]
        indexes = [models.Index(fields=["state", "closes_at"], name="groups_vote_due")]

    def __str__(self) -> str:
        subject = self.version or self.terms_proposal
        return f"Vote (round {self.round}) on {subject}"

    @property
    def is_secret(self) -> bool:
        return self.ballot == TermsOfReference.Ballot.SECRET

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    def choice_label(self, choice: str) -> str:
        if self.terms.decision_rule == TermsOfReference.DecisionRule.CONSENSUS:
            return CONSENSUS_LABELS[Choice(choice)]
        return Choice(choice).label


class VoteEligibility(models.Model):
    """Who could vote, fixed when the vote opened: every current member, with those who
    declared an interest marked recused (not eligible, not counted towards quorum)."""

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="eligibility")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recused = models.BooleanField(default=False)
    recused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["member__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "member"], name="groups_voteeligibility_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} on vote {self.vote_id}{' (recused)' if self.recused else ''}"


class VoteParticipation(models.Model):
    """That a person voted in a vote, and nothing about how. One per person per vote:
    the database refuses a second."""

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="participations")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vote", "voter"], name="groups_voteparticipation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.voter_id} voted in {self.vote_id}"


class Ballot(models.Model):
    """A named ballot: who voted how, changeable until the vote closes."""

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="ballots")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=10, choices=Choice.choices)
    reason = models.TextField(max_length=2000, blank=True)
    cast_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["voter__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "voter"], name="groups_ballot_one_per_voter"),
        ]

    def __str__(self) -> str:
        return f"{self.voter_id}: {self.choice}"


class SecretBallot(models.Model):
    """A secret ballot: how someone voted, with a random key and no person, reason or time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="secret_ballots")
    choice = models.CharField(max_length=10, choices=Choice.choices)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"secret ballot in {self.vote_id}"
