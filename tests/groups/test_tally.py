"""The vote rules, with each expected outcome worked out by hand."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groups.models import TermsOfReference
from groups.tally import Count, Outcome, Rules, quorum_needed, tally

Q = TermsOfReference.QuorumKind
R = TermsOfReference.DecisionRule
A = TermsOfReference.Abstentions


def rules(rule=R.SIMPLE_MAJORITY, quorum=(Q.PERCENT, 50), abstentions=A.COUNT_FOR_QUORUM_ONLY):
    return Rules(quorum[0], quorum[1], rule, abstentions)


@pytest.mark.parametrize(
    ("kind", "value", "eligible", "needed"),
    [
        (Q.PERCENT, 50, 12, 6),
        (Q.PERCENT, 50, 11, 6),  # 5.5 rounds up: half of 11 members is not 5
        (Q.PERCENT, 66, 10, 7),  # 6.6 rounds up
        (Q.PERCENT, 100, 7, 7),
        (Q.COUNT, 4, 12, 4),
        (Q.COUNT, 4, 3, 4),  # a count larger than the eligible members can never be met
    ],
)
def test_quorum(kind, value, eligible, needed):
    assert (
        quorum_needed(Rules(kind, value, R.SIMPLE_MAJORITY, A.COUNT_FOR_QUORUM_ONLY), eligible)
        == needed
    )


@pytest.mark.parametrize(
    ("count", "outcome"),
    [
        (Count(eligible=12, in_favour=4, against=1, abstain=0), Outcome.INQUORATE),  # 5 < 6
        (Count(eligible=12, in_favour=3, against=2, abstain=1), Outcome.AGREED),  # 3 of 5 weighed
        (Count(eligible=12, in_favour=3, against=3, abstain=0), Outcome.NOT_AGREED),  # a tie fails
        (
            Count(eligible=12, in_favour=1, against=0, abstain=5),
            Outcome.AGREED,
        ),  # abstentions aside
        (
            Count(eligible=12, in_favour=0, against=0, abstain=6),
            Outcome.NOT_AGREED,
        ),  # nothing weighed
    ],
)
def test_simple_majority_with_abstentions_counting_for_quorum_only(count, outcome):
    assert tally(rules(), count).outcome == outcome


def test_abstentions_counted_as_cast_weigh_against():
    count = Count(eligible=12, in_favour=3, against=1, abstain=3)
    assert tally(rules(), count).outcome == Outcome.AGREED  # 3 of 4
    assert tally(rules(abstentions=A.COUNT_AS_CAST), count).outcome == Outcome.NOT_AGREED  # 3 of 7


@pytest.mark.parametrize(
    ("in_favour", "against", "outcome"),
    [
        (6, 3, Outcome.AGREED),
        (5, 3, Outcome.NOT_AGREED),
        (8, 4, Outcome.AGREED),
        (7, 4, Outcome.NOT_AGREED),
    ],
)
def test_two_thirds_means_at_least_two_thirds(in_favour, against, outcome):
    count = Count(eligible=12, in_favour=in_favour, against=against, abstain=0)
    assert tally(rules(R.TWO_THIRDS), count).outcome == outcome


def test_consensus_fails_on_a_single_objection():
    one_objection = Count(eligible=12, in_favour=9, against=1, abstain=0)
    result = tally(rules(R.CONSENSUS), one_objection)
    assert result.outcome == Outcome.NOT_AGREED
    assert result.explanation == "Not agreed: 1 objection under consensus."
    assert tally(rules(R.CONSENSUS), Count(12, 6, 0, 4)).outcome == Outcome.AGREED
    assert tally(rules(R.CONSENSUS), Count(12, 0, 0, 7)).outcome == Outcome.NOT_AGREED


def test_explanations_read_as_plain_english():
    assert (
        tally(rules(), Count(12, 4, 1, 0)).explanation
        == "Inquorate: 5 of 12 eligible members voted; 6 needed."
    )
    assert (
        tally(rules(R.TWO_THIRDS), Count(12, 6, 3, 1)).explanation
        == "Agreed: 6 for out of 9 counted votes; at least two-thirds needed."
    )


def test_more_ballots_than_voters_is_refused():
    with pytest.raises(ValueError, match="More ballots"):
        tally(rules(), Count(eligible=3, in_favour=2, against=2, abstain=0))


@given(
    eligible=st.integers(min_value=1, max_value=60),
    data=st.data(),
    rule=st.sampled_from(list(R)),
    abstentions=st.sampled_from(list(A)),
    quorum=st.one_of(
        st.tuples(st.just(Q.PERCENT), st.integers(min_value=1, max_value=100)),
        st.tuples(st.just(Q.COUNT), st.integers(min_value=1, max_value=60)),
    ),
)
def test_invariants(eligible, data, rule, abstentions, quorum):
    in_favour = data.draw(st.integers(0, eligible))
    against = data.draw(st.integers(0, eligible - in_favour))
    abstain = data.draw(st.integers(0, eligible - in_favour - against))
    r = rules(rule, quorum, abstentions)
    result = tally(r, Count(eligible, in_favour, against, abstain))
    cast = in_favour + against + abstain
    # Inquorate exactly when turnout is short of quorum (or nobody voted).
    assert (result.outcome == Outcome.INQUORATE) == (cast < quorum_needed(r, eligible) or cast == 0)
    if result.outcome == Outcome.AGREED:
        assert in_favour > 0
        if rule == R.CONSENSUS:
            assert against == 0
        else:
            assert in_favour > against
    # One more vote in favour, in place of an objection, never turns agreed into not agreed.
    if result.outcome == Outcome.AGREED and against == 0 and abstain > 0:
        better = tally(r, Count(eligible, in_favour + 1, against, abstain - 1))
        assert better.outcome == Outcome.AGREED
