"""How a closed vote comes out, under the terms of reference in force when it opened.

A pure function, so the rules can be tested exhaustively and stay the same wherever a vote
is counted (the close service, the results page, the influence report).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from groups.models import TermsOfReference

Rule = TermsOfReference.DecisionRule
Abstentions = TermsOfReference.Abstentions


class Outcome(StrEnum):
    AGREED = "agreed"
    NOT_AGREED = "not_agreed"
    INQUORATE = "inquorate"


@dataclass(frozen=True)
class Rules:
    """The parts of a terms-of-reference version that decide a vote."""

    quorum_kind: str
    quorum_value: int
    decision_rule: str
    abstentions: str

    @classmethod
    def of(cls, terms: TermsOfReference) -> Rules:
        return cls(terms.quorum_kind, terms.quorum_value, terms.decision_rule, terms.abstentions)


@dataclass(frozen=True)
class Count:
    """Ballots cast by eligible (not recused) members. Under consensus, `in_favour` counts
    "agree" and `against` counts "object"."""

    eligible: int
    in_favour: int
    against: int
    abstain: int

    @property
    def cast(self) -> int:
        return self.in_favour + self.against + self.abstain


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    quorum_needed: int
    turnout: int
    explanation: str


def quorum_needed(rules: Rules, eligible: int) -> int:
    if rules.quorum_kind == TermsOfReference.QuorumKind.COUNT:
        return rules.quorum_value
    return math.ceil(eligible * rules.quorum_value / 100)


def tally(rules: Rules, count: Count) -> Result:
    """Quorum first (every ballot counts towards it, abstentions included), then the rule."""
    if count.cast > count.eligible:
        raise ValueError("More ballots than eligible voters.")
    needed = quorum_needed(rules, count.eligible)
    if count.cast < needed or count.cast == 0:
        return Result(
            Outcome.INQUORATE,
            needed,
            count.cast,
            f"Inquorate: {count.cast} of {count.eligible} eligible members voted; {needed} needed.",
        )
    if rules.decision_rule == Rule.CONSENSUS:
        if count.against:
            objections = "objection" if count.against == 1 else "objections"
            return Result(
                Outcome.NOT_AGREED,
                needed,
                count.cast,
                f"Not agreed: {count.against} {objections} under consensus.",
            )
        if not count.in_favour:
            return Result(Outcome.NOT_AGREED, needed, count.cast, "Not agreed: nobody agreed.")
        return Result(Outcome.AGREED, needed, count.cast, "Agreed by consensus: no objection.")

    weighed = count.in_favour + count.against
    if rules.abstentions == Abstentions.COUNT_AS_CAST:
        weighed += count.abstain
    if rules.decision_rule == Rule.TWO_THIRDS:
        agreed = weighed > 0 and 3 * count.in_favour >= 2 * weighed
        threshold = "at least two-thirds"
    else:
        agreed = 2 * count.in_favour > weighed
        threshold = "more than half"
    verdict = "Agreed" if agreed else "Not agreed"
    return Result(
        Outcome.AGREED if agreed else Outcome.NOT_AGREED,
        needed,
        count.cast,
        f"{verdict}: {count.in_favour} for out of {weighed} counted votes; {threshold} needed.",
    )
