"""Terms of reference pages through the client: who sees and does what, what a bad request
changes (nothing), and query counts that do not grow with the number of versions."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from groups import services
from groups.models import TERMS_FIELDS, TermsOfReference, Vote
from icsvoice.models import AuditEvent
from tests import factories as f
from tests.helpers import page, sign_in, title, url

State = TermsOfReference.State
NEW_PURPOSE = "To give general practice one organised, evidenced voice on the ICB board."


def in_force(cast) -> TermsOfReference:
    return cast.group.terms.get(state=State.IN_FORCE)


def propose(cast, **changes) -> TermsOfReference:
    changes.setdefault("purpose", NEW_PURPOSE)
    return services.terms_propose(group=cast.group, actor=cast.chair, **changes)


def form_data(terms: TermsOfReference, **changes) -> dict:
    """What the propose form posts, starting from a version's values."""
    data = {name: getattr(terms, name) for name in TERMS_FIELDS if name != "review_date"}
    data["results_hidden_until_close"] = str(terms.results_hidden_until_close)
    review = changes.pop("review_date", terms.review_date)
    data.update(
        {
            "review_date[day]": review.day,
            "review_date[month]": review.month,
            "review_date[year]": review.year,
        }
    )
    data.update(changes)
    return data


def closing(day: str, month: str, year: str, time: str = "") -> dict:
    return {
        "closes_on[day]": day,
        "closes_on[month]": month,
        "closes_on[year]": year,
        "closes_at_time": time,
    }


@pytest.fixture
def ten_versions(cast):
    """Versions 2 to 9 superseded, version 10 proposed; each proposed by someone else."""
    for number in range(2, 10):
        f.TermsOfReferenceFactory(
            group=cast.group,
            version=number,
            state=State.SUPERSEDED,
            purpose=f"Purpose, as worded in version {number}.",
            proposed_by=f.UserFactory(),
        )
    return f.TermsOfReferenceFactory(
        group=cast.group,
        version=10,
        state=State.PROPOSED,
        adopted_at=None,
        purpose="Purpose, as proposed in version 10.",
        quorum_value=75,
        proposed_by=cast.chair,
    )


# --- List ------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["gp_lead", "chair", "reviewer"])
def test_readers_see_every_version(client, cast, person):
    propose(cast)
    sign_in(client, getattr(cast, person))
    body = page(client.get(url("terms-list", cast.group.pk)))
    assert url("terms-detail", cast.group.pk, 1) in body
    assert url("terms-detail", cast.group.pk, 2) in body
    assert "In force" in body and "Proposed" in body
    assert f"{url('terms-compare', cast.group.pk)}?from=1&amp;to=2" in body


def test_only_the_chair_is_offered_a_new_version(client, cast):
    propose_url = url("terms-propose", cast.group.pk)
    sign_in(client, cast.gp_lead)
    assert propose_url not in page(client.get(url("terms-list", cast.group.pk)))
    sign_in(client, cast.chair)
    assert propose_url in page(client.get(url("terms-list", cast.group.pk)))
    propose(cast)
    body = page(client.get(url("terms-list", cast.group.pk)))
    assert propose_url not in body
    assert "Version 2 is proposed" in body


def test_reading_pages_are_refused_outside_the_group(client, cast):
    propose(cast)
    pages = [
        url("terms-list", cast.group.pk),
        url("terms-detail", cast.group.pk, 1),
        url("terms-compare", cast.group.pk),
    ]
    sign_in(client, cast.outsider)
    for address in pages:
        assert client.get(address).status_code == 404
    sign_in(client, cast.secretary)  # in the ICS, but neither member nor reviewer
    for address in pages:
        assert client.get(address).status_code == 403
    client.logout()
    assert client.get(pages[0]).status_code == 302  # to sign in


def test_list_queries_do_not_grow_with_versions(
    client, cast, ten_versions, django_assert_max_num_queries
):
    sign_in(client, cast.chair)
    with django_assert_max_num_queries(13):
        body = page(client.get(url("terms-list", cast.group.pk)))
    assert len(re.findall(r'<td><a href="/groups/\d+/terms/\d+/">Version \d+</a>', body)) == 10
    assert body.count("with version 1</a>") == 9  # every other version compares with 1


# --- Detail ----------------------------------------------------------------------------------


def test_a_version_reads_in_plain_words(client, cast):
    TermsOfReference.objects.filter(pk=in_force(cast).pk).update(
        membership_composition="One GP lead from each PCN.\nThe LMC chair.",
        voting_window_hours=48,
        results_hidden_until_close=False,
        review_date=dt.date(2031, 3, 31),
    )
    sign_in(client, cast.reviewer)
    body = page(client.get(url("terms-detail", cast.group.pk, 1)))
    for text in (
        "Terms of reference, version 1",
        "In force",
        "One GP lead from each PCN.<br>The LMC chair.",
        "A percentage of eligible members",
        "50% of eligible members",
        "Simple majority",
        "Count towards quorum, not towards the result",
        "48 hours (2 days)",
        "Named",
        "31 March 2031",
    ):
        assert text in body
    assert "Put this version to a vote" not in body


def test_an_unknown_version_is_not_found(client, cast):
    sign_in(client, cast.chair)
    assert client.get(url("terms-detail", cast.group.pk, 99)).status_code == 404
    assert client.get(url("terms-detail", cast.other_group.pk, 1)).status_code == 404


def test_the_chair_sees_how_to_put_a_proposal_to_a_vote_or_withdraw_it(client, cast):
    proposal = propose(cast)
    detail = url("terms-detail", cast.group.pk, proposal.version)
    sign_in(client, cast.gp_lead)
    body = page(client.get(detail))
    assert "Put this version to a vote" not in body
    assert url("terms-withdraw", cast.group.pk, 2) not in body

    sign_in(client, cast.chair)
    body = page(client.get(detail))
    assert f'action="{url("terms-vote-open", cast.group.pk, 2)}"' in body
    assert f'action="{url("terms-withdraw", cast.group.pk, 2)}"' in body
    when = timezone.localtime() + dt.timedelta(hours=in_force(cast).voting_window_hours)
    assert f'name="closes_on[year]" type="text" value="{when.year}"' in body
    assert "168 hours (7 days) from now" in body


def test_a_proposal_with_an_open_vote_links_to_it_and_offers_no_buttons(client, cast):
    proposal = propose(cast)
    vote = services.vote_open_on_terms(proposal=proposal, actor=cast.chair)
    sign_in(client, cast.chair)
    body = page(client.get(url("terms-detail", cast.group.pk, 2)))
    assert url("vote-detail", vote.pk) in body
    assert "A vote on this version is open" in body
    assert "Put this version to a vote" not in body
    assert url("terms-withdraw", cast.group.pk, 2) not in body


def test_detail_queries_do_not_grow_with_rounds(client, cast, django_assert_max_num_queries):
    proposal = propose(cast)
    for _ in range(5):  # five inquorate rounds
        vote = services.vote_open_on_terms(proposal=proposal, actor=cast.chair)
        Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))
        services.votes_close_due()
    sign_in(client, cast.chair)
    with django_assert_max_num_queries(15):
        body = page(client.get(url("terms-detail", cast.group.pk, 2)))
    assert body.count("Inquorate") == 5
    assert "Put this version to a vote" in body


# --- Compare ---------------------------------------------------------------------------------


def test_compare_shows_the_proposal_against_the_version_in_force(client, cast):
    propose(cast, decision_rule="two_thirds", voting_window_hours=72)
    sign_in(client, cast.gp_lead)
    body = page(client.get(url("terms-compare", cast.group.pk)))
    assert "Compare version 1 with version 2" in body
    assert '<ins class="icsvoice-diff-ins">' in body and "evidenced" in body
    assert (
        "Changed from <strong>Simple majority</strong> to <strong>Two-thirds majority</strong>"
        in body
    )
    assert (
        "Changed from <strong>168 hours (7 days)</strong> to <strong>72 hours (3 days)</strong>"
        in body
    )
    assert "Unchanged: Membership, How quorum is set, Quorum" in body


def test_compare_any_two_versions_chosen_in_the_form(client, cast, ten_versions):
    sign_in(client, cast.reviewer)
    body = page(client.get(url("terms-compare", cast.group.pk), {"from": 3, "to": 10}))
    assert "Compare version 3 with version 10" in body
    assert "Changed from <strong>50% of eligible members</strong> to <strong>75%" in body
    assert '<option value="3" selected>Version 3</option>' in body


def test_comparing_equal_versions_says_no_differences(client, cast):
    sign_in(client, cast.gp_lead)
    body = page(client.get(url("terms-compare", cast.group.pk), {"from": 1, "to": 1}))
    assert "No differences" in body
    assert "What changed" not in body


@pytest.mark.parametrize("query", [{"from": "99"}, {"to": "x"}, {"from": "<script>"}])
def test_compare_with_a_bad_choice_shows_the_error_summary(client, cast, query):
    sign_in(client, cast.gp_lead)
    response = client.get(url("terms-compare", cast.group.pk), query)
    assert response.status_code == 200
    body = page(response)
    assert "There is a problem" in body
    assert "Choose a version from the list" in body
    assert title(body).startswith("Error: ")
    assert "What changed" not in body


def test_compare_queries_do_not_grow_with_versions(
    client, cast, ten_versions, django_assert_max_num_queries
):
    sign_in(client, cast.gp_lead)
    with django_assert_max_num_queries(12):
        body = page(client.get(url("terms-compare", cast.group.pk), {"from": 1, "to": 10}))
    assert body.count("<option") == 20


# --- Propose ---------------------------------------------------------------------------------


def test_the_chair_proposes_a_version_prefilled_from_the_one_in_force(client, cast):
    current = in_force(cast)
    sign_in(client, cast.chair)
    body = page(client.get(url("terms-propose", cast.group.pk)))
    assert current.purpose in body
    assert 'name="quorum_value" type="text" value="50"' in body
    assert 'name="ballot" type="radio" value="named" checked' in body
    assert f'name="review_date[year]" type="text" value="{current.review_date.year}"' in body

    review = timezone.localdate() + dt.timedelta(days=400)
    response = client.post(
        url("terms-propose", cast.group.pk),
        form_data(
            current,
            purpose=NEW_PURPOSE,
            ballot="secret",
            results_hidden_until_close="True",
            quorum_kind="count",
            quorum_value=4,
            review_date=review,
        ),
    )
    assert response.status_code == 302
    assert response.url == url("terms-detail", cast.group.pk, 2)
    proposal = cast.group.terms.get(version=2)
    assert proposal.state == State.PROPOSED
    assert (proposal.ballot, proposal.results_hidden_until_close) == ("secret", True)
    assert (proposal.quorum_kind, proposal.quorum_value) == ("count", 4)
    assert proposal.review_date == review
    assert proposal.purpose == NEW_PURPOSE
    body = page(client.get(response.url))
    assert "Version 2 has been proposed" in body


def test_proposing_is_for_the_chair_only(client, cast):
    data = form_data(in_force(cast), purpose=NEW_PURPOSE)
    address = url("terms-propose", cast.group.pk)
    for person in (cast.gp_lead, cast.reviewer):
        sign_in(client, person)
        assert client.get(address).status_code == 403
        assert client.post(address, data).status_code == 403
    sign_in(client, cast.outsider)
    assert client.get(address).status_code == 404
    assert client.post(address, data).status_code == 404
    assert cast.group.terms.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"purpose": ""}, "Enter the group&#x27;s purpose"),
        (
            {"quorum_kind": "percent", "quorum_value": 150},
            "Quorum as a percentage must be 100 or less",
        ),
        ({"quorum_value": "half"}, "Enter the quorum as a whole number, 1 or more"),
        ({"voting_window_hours": 0}, "Enter the voting window in hours, from 1 to 1440"),
        ({"decision_rule": "chair_decides"}, "Choose a decision rule"),
        ({"results_hidden_until_close": "maybe"}, "Choose whether the count is hidden"),
        ({"review_date": dt.date(2020, 1, 1)}, "The review date must be in the future"),
        ({"review_date[month]": "13"}, "Review date must be a real date"),
        ({"purpose": "<script>alert('x')</script>"}, "This must be plain text"),
        ({"membership_composition": "<b>All</b> GP leads"}, "This must be plain text"),
        ({}, "This is the same as the version in force: change something first."),
    ],
)
def test_bad_proposals_show_the_error_summary_and_change_nothing(client, cast, changes, message):
    sign_in(client, cast.chair)
    response = client.post(
        url("terms-propose", cast.group.pk), form_data(in_force(cast), **changes)
    )
    assert response.status_code == 200
    body = page(response)
    assert "There is a problem" in body
    assert message in body
    assert title(body).startswith("Error: ")
    assert "<script>alert" not in body
    assert cast.group.terms.count() == 1
    assert not AuditEvent.objects.filter(event="terms.proposed").exists()


def test_a_second_proposal_is_refused_with_a_message(client, cast):
    propose(cast)
    sign_in(client, cast.chair)
    body = page(client.get(url("terms-propose", cast.group.pk)))
    assert "Version 2 is already proposed" in body
    response = client.post(
        url("terms-propose", cast.group.pk), form_data(in_force(cast), purpose="Another purpose.")
    )
    assert "Another version is already proposed" in page(response)
    assert cast.group.terms.count() == 2


# --- Open a vote -----------------------------------------------------------------------------


def test_the_chair_opens_a_vote_with_the_default_window(client, cast):
    propose(cast)
    sign_in(client, cast.chair)
    before = timezone.now()
    response = client.post(
        url("terms-vote-open", cast.group.pk, 2), {"closes_on[day]": "", "closes_at_time": ""}
    )
    vote = Vote.objects.get(terms_proposal__version=2)
    assert response.status_code == 302
    assert response.url == url("vote-detail", vote.pk)
    assert vote.terms == in_force(cast)
    expected = before + dt.timedelta(hours=168)
    assert abs((vote.closes_at - expected).total_seconds()) < 60


def test_the_chair_opens_a_vote_closing_when_they_choose(client, cast):
    propose(cast)
    when = timezone.localtime() + dt.timedelta(days=3)
    sign_in(client, cast.chair)
    response = client.post(
        url("terms-vote-open", cast.group.pk, 2),
        {
            "closes_on[day]": when.day,
            "closes_on[month]": when.month,
            "closes_on[year]": when.year,
            "closes_at_time": "17:30",
        },
    )
    assert response.status_code == 302
    vote = Vote.objects.get(terms_proposal__version=2)
    closes = timezone.localtime(vote.closes_at)
    assert (closes.date(), closes.hour, closes.minute) == (when.date(), 17, 30)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (closing("1", "1", "2020", "12:00"), "The closing time must be at least an hour from now."),
        (closing("31", "2", "2030", "12:00"), "Closing date must be a real date"),
        ({"closes_at_time": "teatime"}, "Enter the closing time in 24-hour form"),
        ({"closes_at_time": "17:00"}, "Enter the closing date, or clear the closing time"),
        (closing("1", "1", "2099"), "Enter the closing time, or clear the closing date"),
    ],
)  # fmt: skip
def test_a_bad_closing_time_shows_the_error_summary_and_opens_nothing(client, cast, data, message):
    propose(cast)
    sign_in(client, cast.chair)
    response = client.post(url("terms-vote-open", cast.group.pk, 2), data)
    assert response.status_code == 200
    body = page(response)
    assert "There is a problem" in body
    assert message in body
    assert title(body).startswith("Error: ")
    assert not Vote.objects.exists()


def test_a_vote_on_terms_not_proposed_is_refused_on_the_page(client, cast):
    sign_in(client, cast.chair)
    response = client.post(url("terms-vote-open", cast.group.pk, 1), {})
    assert response.status_code == 200
    assert "Only proposed terms of reference can be put to a vote." in page(response)
    assert not Vote.objects.exists()


def test_opening_a_vote_is_post_only_and_for_the_chair(client, cast):
    propose(cast)
    address = url("terms-vote-open", cast.group.pk, 2)
    sign_in(client, cast.chair)
    assert client.get(address).status_code == 405
    for person in (cast.gp_lead, cast.reviewer):
        sign_in(client, person)
        assert client.post(address, {}).status_code == 403
    sign_in(client, cast.outsider)
    assert client.post(address, {}).status_code == 404
    sign_in(client, cast.chair)
    assert client.post(url("terms-vote-open", cast.group.pk, 99), {}).status_code == 404
    assert not Vote.objects.exists()


# --- Withdraw --------------------------------------------------------------------------------


def test_the_chair_withdraws_a_proposal(client, cast):
    propose(cast)
    sign_in(client, cast.chair)
    response = client.post(url("terms-withdraw", cast.group.pk, 2))
    assert response.status_code == 302
    assert response.url == url("terms-detail", cast.group.pk, 2)
    assert cast.group.terms.get(version=2).state == State.REJECTED
    body = page(client.get(response.url))
    assert "Version 2 has been withdrawn" in body
    assert "Not adopted" in body


def test_withdrawing_terms_in_force_says_why_and_changes_nothing(client, cast):
    sign_in(client, cast.chair)
    response = client.post(url("terms-withdraw", cast.group.pk, 1), follow=True)
    assert "These terms of reference are no longer proposed." in page(response)
    assert in_force(cast).version == 1
    assert not AuditEvent.objects.filter(event="terms.withdrawn").exists()


def test_withdrawing_is_post_only_and_for_the_chair(client, cast):
    propose(cast)
    address = url("terms-withdraw", cast.group.pk, 2)
    sign_in(client, cast.chair)
    assert client.get(address).status_code == 405
    for person in (cast.gp_lead, cast.reviewer):
        sign_in(client, person)
        assert client.post(address).status_code == 403
    sign_in(client, cast.outsider)
    assert client.post(address).status_code == 404
    assert cast.group.terms.get(version=2).state == State.PROPOSED


def test_secret_ballots_with_a_live_count_are_refused(client, cast):
    """A count that changes as people vote would show how each of them voted."""
    current = cast.group.terms.get()
    sign_in(client, cast.chair)
    response = client.post(
        url("terms-propose", cast.group.pk),
        form_data(
            current, purpose=NEW_PURPOSE, ballot="secret", results_hidden_until_close="False"
        ),
    )
    assert response.status_code == 200
    assert "With secret ballots the count must stay hidden until the vote closes" in page(response)
    assert cast.group.terms.count() == 1


@pytest.mark.parametrize("value", ["1001", "3000000000", "99999999999999999999"])
def test_a_huge_quorum_is_refused_with_a_message(client, cast, value):
    current = cast.group.terms.get()
    sign_in(client, cast.chair)
    response = client.post(
        url("terms-propose", cast.group.pk),
        form_data(current, purpose=NEW_PURPOSE, quorum_kind="count", quorum_value=value),
    )
    assert response.status_code == 200
    assert "There is a problem" in page(response)
    assert cast.group.terms.count() == 1
