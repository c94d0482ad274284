"""The heart of the product in a real browser: a chair adopts terms of reference by vote,
a GP lead drafts a position, another member
amends it, a member declares an interest, the chair opens a vote, members vote, the chair
closes it and the outcome follows the rules; every step is in the audit trail. Every page
on the way passes axe at 320 and 1280 pixels."""

from __future__ import annotations

import pytest

from groups.models import Position, Vote
from icsvoice import audit
from icsvoice.models import AuditEvent
from tests import factories as f
from tests.browser.actions import follow, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_draft_amend_declare_vote_and_agree_in_the_browser(visitor, cast):
    page = visitor.page
    conflicted = f.UserFactory(email="conflicted@a.example.nhs.uk", full_name="Dr Cora Conflict")
    f.GroupMembershipFactory(group=cast.group, user=conflicted)

    # The chair proposes terms of reference requiring a two-thirds majority; the group
    # adopts them by a vote under the version in force.
    visitor.sign_in_as(cast.chair)
    visitor.goto(f"/groups/{cast.group.pk}/")
    follow(page.get_by_role("link", name="Terms of reference"))
    visitor.check("terms-list")
    follow(page.get_by_role("link", name="Propose a new version"))
    visitor.check("terms-propose")
    page.get_by_label("Two-thirds majority").check()
    submit(page, "Propose this version")
    visitor.wait_for_path(f"/groups/{cast.group.pk}/terms/2/")
    visitor.check("terms-proposed")
    submit(page, "Open the vote")
    terms_vote = Vote.objects.get()
    visitor.wait_for_path(f"/votes/{terms_vote.pk}/")
    for voter in (cast.chair, cast.gp_lead, cast.gp_rep, conflicted):
        visitor.sign_in_as(voter)
        visitor.goto(f"/votes/{terms_vote.pk}/")
        page.get_by_label("For", exact=True).check()
        submit(page, "Cast my vote")
    visitor.sign_in_as(cast.chair)
    visitor.goto(f"/votes/{terms_vote.pk}/")
    submit(page, "Close the vote now")
    assert "Result: Agreed" in page.content()
    visitor.goto(f"/groups/{cast.group.pk}/terms/compare/?from=1&to=2")
    assert "Two-thirds majority" in page.content()
    visitor.check("terms-compare")
    assert cast.group.terms.get(state="in_force").version == 2

    # A GP lead drafts a position, finding the group from the header navigation.
    visitor.sign_in_as(cast.gp_lead)
    visitor.goto("/")
    follow(page.get_by_role("link", name="Positions").first)
    visitor.check("group-list")
    follow(page.get_by_role("link", name=cast.group.name))
    visitor.check("group-detail-empty")
    follow(page.get_by_role("link", name="Draft a position"))
    visitor.check("position-create")
    submit(page, "Save draft")
    assert page.title().startswith("Error:")
    visitor.check("position-create-errors")
    page.get_by_label("Title").fill("Same-day access hubs in every place")
    page.get_by_label("Summary").fill("Pool same-day demand across PCNs in each place.")
    page.get_by_label("What we ask of the board").fill("Fund one hub per place from April.")
    page.get_by_label("The case").fill("## Why\n\nDemand is **rising** by 6% a year.")
    page.get_by_label("Evidence links").fill("https://www.england.nhs.uk/gp/")
    page.get_by_label("Growing the primary care leadership team").check()
    page.get_by_label(cast.gp_rep.full_name).check()
    submit(page, "Save draft")
    position = Position.objects.get()
    visitor.wait_for_path(f"/positions/{position.pk}/")
    assert page.locator("h1").inner_text() == "Same-day access hubs in every place"
    assert page.locator(".icsvoice-prose strong").inner_text() == "rising"
    visitor.check("position-draft")

    # Another member proposes an amendment; the author accepts it.
    visitor.sign_in_as(conflicted)
    visitor.goto(f"/positions/{position.pk}/amendments/new/?field=ask")
    visitor.check("amendment-create")
    page.get_by_label("Your proposed text").fill("Fund one hub per place from July.")
    page.get_by_label("Why you propose it").fill("April is too soon to recruit.")
    submit(page, "Propose amendment")
    assert "Your amendment has been sent" in page.content()

    visitor.sign_in_as(cast.gp_lead)
    visitor.goto(f"/positions/{position.pk}/")
    follow(page.get_by_role("button", name="Accept amendment to the what we ask of the board"))
    assert "version 2 has been saved" in page.content()
    assert "Fund one hub per place from July." in page.content()
    visitor.goto(f"/positions/{position.pk}/compare/?from=1&to=2")
    assert "July." in page.locator(".nhsuk-summary-list ins").first.inner_text()
    visitor.check("position-compare")

    # The member with a conflict declares it and is recused.
    visitor.sign_in_as(conflicted)
    visitor.goto(f"/positions/{position.pk}/")
    follow(page.get_by_role("link", name="Declare an interest"))
    visitor.check("declare-interest")
    page.get_by_label("Financial", exact=True).check()
    page.get_by_label("Describe the interest").fill("Partner in a practice bidding to host a hub.")
    submit(page, "Declare interest")
    assert "recused" in page.content()

    # The chair opens the vote with the default closing time.
    visitor.sign_in_as(cast.chair)
    visitor.goto(f"/positions/{position.pk}/")
    follow(page.get_by_role("link", name="Open a vote"))
    visitor.check("vote-open")
    submit(page, "Open the vote")
    vote = Vote.objects.get(position=position)
    visitor.wait_for_path(f"/votes/{vote.pk}/")
    visitor.check("vote-detail-open")

    # Members vote; the recused member cannot.
    for voter, choice in ((cast.chair, "For"), (cast.gp_lead, "For"), (cast.gp_rep, "Against")):
        visitor.sign_in_as(voter)
        visitor.goto(f"/votes/{vote.pk}/")
        page.get_by_label(choice, exact=True).check()
        submit(page, "Cast my vote")
        assert "has been recorded" in page.content()
    visitor.sign_in_as(conflicted)
    visitor.goto(f"/votes/{vote.pk}/")
    assert "you are recused from this vote" in page.content()
    assert page.get_by_role("button", name="Cast my vote").count() == 0

    # Everyone eligible has voted, so the chair closes early; 2 of 3 meets the two-thirds
    # rule of the terms now in force.
    visitor.sign_in_as(cast.chair)
    visitor.goto(f"/votes/{vote.pk}/")
    submit(page, "Close the vote now")
    assert "Result: Agreed" in page.content()
    assert "2 for out of 3 counted votes; at least two-thirds needed" in page.content()
    visitor.check("vote-detail-closed")
    visitor.goto(f"/positions/{position.pk}/")
    visitor.check("position-agreed")

    events = set(AuditEvent.objects.values_list("event", flat=True))
    assert {
        "terms.proposed",
        "terms.adopted",
        "position.drafted",
        "position.amendment_proposed",
        "position.amendment_accepted",
        "position.interest_declared",
        "vote.opened",
        "vote.cast",
        "vote.closed",
    } <= events
    assert audit.verify().ok


def test_register_of_interests_and_a_secret_ballot_pages(visitor, cast):
    from groups import services
    from groups.models import TermsOfReference

    page = visitor.page
    visitor.sign_in_as(cast.gp_lead)
    visitor.goto(f"/groups/{cast.group.pk}/interests/")
    visitor.check("interests-empty")
    visitor.goto(f"/groups/{cast.group.pk}/interests/new/")
    visitor.check("interest-create")
    page.get_by_label("Non-financial professional").check()
    page.get_by_label("Describe the interest").fill("Clinical lead for the local hospice.")
    began = page.get_by_role("group", name="When did the interest begin?")
    began.get_by_label("Day").fill("1")
    began.get_by_label("Month").fill("4")
    began.get_by_label("Year").fill("2024")
    follow(page.get_by_role("button", name="Add interest"))
    assert "Clinical lead for the local hospice." in page.content()
    visitor.check("interests")

    TermsOfReference.objects.filter(group=cast.group).update(ballot="secret")
    position = services.position_draft(
        group=cast.group, actor=cast.gp_lead, title="Secret", summary="S", ask="A"
    )
    vote = services.vote_open(position=position, actor=cast.chair)
    visitor.goto(f"/votes/{vote.pk}/")
    assert "This is a secret ballot" in page.content()
    assert page.get_by_label("Your reason (optional)").count() == 0
    page.get_by_label("Against", exact=True).check()
    follow(page.get_by_role("button", name="Cast my vote"))
    assert "Your secret vote has been recorded." in page.content()
    assert "You have voted. Thank you." in page.content()
    visitor.check("vote-secret-voted")
    visitor.goto(f"/groups/{cast.group.pk}/")
    visitor.check("group-detail")
