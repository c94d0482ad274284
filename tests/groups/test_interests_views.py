"""The register of interests through the client: members see and keep their own entries,
the chair keeps everyone's, ICS reviewers read the whole register, outsiders see nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from groups import services
from groups.models import Interest
from icsvoice.models import AuditEvent
from tests import factories as f
from tests.helpers import page, sign_in, title, url

BEGAN = dt.date(2024, 4, 1)
NO_START = {"starts_on[day]": "", "starts_on[month]": "", "starts_on[year]": ""}


def register(cast, member, *, actor=None, description="Partner in Riverside Surgery.", **extra):
    return services.interest_register(
        group=cast.group,
        member=member,
        actor=actor or member,
        category=extra.pop("category", "financial"),
        description=description,
        starts_on=extra.pop("starts_on", BEGAN),
        **extra,
    )


def form_data(**changes) -> dict:
    data = {
        "category": "non_financial_professional",
        "description": "Clinical director of Northside PCN.",
        "starts_on[day]": "1",
        "starts_on[month]": "4",
        "starts_on[year]": "2024",
        "ends_on[day]": "",
        "ends_on[month]": "",
        "ends_on[year]": "",
    }
    data.update(changes)
    return data


def end_button(interest: Interest) -> str:
    return f'action="{url("interest-end", interest.pk)}"'


# --- The register page -----------------------------------------------------------------------


def test_a_member_sees_only_their_own_entries_and_can_end_current_ones(client, cast):
    mine = register(cast, cast.gp_lead, description="Shareholder in Riverside Federation.")
    ended = register(
        cast, cast.gp_lead, description="Former LMC officer.", ends_on=dt.date(2024, 9, 30)
    )
    theirs = register(cast, cast.gp_rep, description="Trustee of a hospice charity.")
    sign_in(client, cast.gp_lead)
    body = page(client.get(url("interests", cast.group.pk)))

    assert "Your interests" in body
    assert "Shareholder in Riverside Federation." in body
    assert "Former LMC officer." in body and "30 Sep 2024" in body and "Ended" in body
    assert "Trustee of a hospice charity." not in body
    assert "Every member's interests" not in body
    assert end_button(mine) in body
    assert end_button(ended) not in body
    assert end_button(theirs) not in body
    assert url("interest-create", cast.group.pk) in body


def test_the_chair_sees_every_members_entries_and_can_end_them(client, cast):
    theirs = register(cast, cast.gp_rep, description="Trustee of a hospice charity.")
    sign_in(client, cast.chair)
    body = page(client.get(url("interests", cast.group.pk)))
    assert "Every member's interests" in body
    assert "Trustee of a hospice charity." in body
    assert end_button(theirs) in body
    assert "Dr Asha Lead</h3>\n\n<p>No interests registered.</p>" in body


def test_a_reviewer_reads_the_whole_register_without_changing_it(client, cast):
    theirs = register(cast, cast.gp_rep, description="Trustee of a hospice charity.")
    sign_in(client, cast.reviewer)
    body = page(client.get(url("interests", cast.group.pk)))
    assert "Trustee of a hospice charity." in body
    assert "You can read the whole register" in body
    assert "Your interests" not in body
    assert end_button(theirs) not in body
    assert url("interest-create", cast.group.pk) not in body


def test_a_member_who_also_reviews_for_the_ics_reads_everyones_entries(client, cast):
    f.IcsReviewerFactory(ics=cast.ics, user=cast.gp_lead)
    theirs = register(cast, cast.gp_rep, description="Trustee of a hospice charity.")
    sign_in(client, cast.gp_lead)
    body = page(client.get(url("interests", cast.group.pk)))
    assert "Your interests" in body
    assert "Trustee of a hospice charity." in body
    assert end_button(theirs) not in body


def test_the_register_is_refused_outside_the_group(client, cast):
    sign_in(client, cast.outsider)
    assert client.get(url("interests", cast.group.pk)).status_code == 404
    sign_in(client, cast.secretary)
    assert client.get(url("interests", cast.group.pk)).status_code == 403


@pytest.mark.parametrize(("person", "queries"), [("chair", 16), ("reviewer", 14), ("gp_lead", 14)])
def test_register_queries_do_not_grow_with_entries(
    client, cast, person, queries, django_assert_max_num_queries
):
    people = [cast.gp_lead, cast.gp_rep, cast.chair]
    for _ in range(4):
        extra = f.UserFactory()
        f.GroupMembershipFactory(group=cast.group, user=extra)
        people.append(extra)
    for number in range(21):
        member = people[number % len(people)]
        register(cast, member, actor=cast.chair, description=f"Interest number {number}.")
    for number in range(6):  # some the member recorded themselves
        register(cast, cast.gp_lead, description=f"Own interest {number}.")
    sign_in(client, getattr(cast, person))
    with django_assert_max_num_queries(queries):
        body = page(client.get(url("interests", cast.group.pk)))
    # 27 entries: the lead's own 9; the chair's own 3 above the whole register
    expected = {"gp_lead": 9, "chair": 3 + 27, "reviewer": 27}[person]
    assert body.count('<strong class="nhsuk-tag nhsuk-tag--green">Current</strong>') == expected


# --- Adding an entry -------------------------------------------------------------------------


def test_a_member_adds_their_own_interest(client, cast):
    sign_in(client, cast.gp_lead)
    body = page(client.get(url("interest-create", cast.group.pk)))
    assert 'name="member"' not in body  # only the chair chooses whose it is

    response = client.post(url("interest-create", cast.group.pk), form_data(member=cast.gp_rep.pk))
    assert response.status_code == 302
    assert response.url == url("interests", cast.group.pk)
    interest = Interest.objects.get()
    assert interest.member == cast.gp_lead  # the posted member is ignored
    assert interest.recorded_by == cast.gp_lead
    assert interest.category == "non_financial_professional"
    assert interest.starts_on == BEGAN
    assert interest.ends_on is None
    assert "The interest has been added to your register." in page(client.get(response.url))


def test_the_chair_adds_an_interest_on_a_members_behalf(client, cast):
    sign_in(client, cast.chair)
    body = page(client.get(url("interest-create", cast.group.pk)))
    assert f'<option value="{cast.chair.pk}" selected>Dr Chidi Chair</option>' in body
    assert "Dr Rhiannon Rep</option>" in body
    assert "Dr Otto Outsider" not in body

    response = client.post(
        url("interest-create", cast.group.pk),
        form_data(
            member=cast.gp_rep.pk,
            **{"ends_on[day]": "31", "ends_on[month]": "12", "ends_on[year]": "2024"},
        ),
    )
    assert response.status_code == 302
    interest = Interest.objects.get()
    assert (interest.member, interest.recorded_by) == (cast.gp_rep, cast.chair)
    assert interest.ends_on == dt.date(2024, 12, 31)
    assert AuditEvent.objects.get(event="interest.registered").payload["on_behalf"] is True
    body = page(client.get(response.url))
    assert "added to Dr Rhiannon Rep&#x27;s register" in body
    assert "Recorded by Dr Chidi Chair" in body


def test_adding_is_for_members_only(client, cast):
    address = url("interest-create", cast.group.pk)
    sign_in(client, cast.reviewer)
    assert client.get(address).status_code == 403
    assert client.post(address, form_data()).status_code == 403
    sign_in(client, cast.outsider)
    assert client.get(address).status_code == 404
    assert client.post(address, form_data()).status_code == 404
    assert not Interest.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"category": ""}, "Choose the kind of interest"),
        ({"category": "gifts"}, "Choose the kind of interest"),
        ({"description": ""}, 'href="#id_description">Describe the interest</a>'),
        ({"description": "<script>alert('x')</script>"}, "This must be plain text"),
        ({"description": "See <a href=x>here</a>"}, "This must be plain text"),
        (NO_START, "Enter the date the interest began"),
        ({"starts_on[year]": "2999"}, "The date the interest began must be today or in the past"),
        ({"starts_on[day]": "32"}, "When did the interest begin? must be a real date"),
        ({"ends_on[day]": "31", "ends_on[month]": "3", "ends_on[year]": "2024"},
         "The date the interest ended must be on or after the date it began"),
    ],
)  # fmt: skip
def test_bad_entries_show_the_error_summary_and_change_nothing(client, cast, changes, message):
    sign_in(client, cast.gp_lead)
    response = client.post(url("interest-create", cast.group.pk), form_data(**changes))
    assert response.status_code == 200
    body = page(response)
    assert "There is a problem" in body
    assert message in body
    assert title(body).startswith("Error: ")
    assert "<script>alert" not in body
    assert not Interest.objects.exists()


def test_the_chair_cannot_add_for_someone_outside_the_group(client, cast):
    sign_in(client, cast.chair)
    for person in (cast.outsider, cast.reviewer):
        response = client.post(url("interest-create", cast.group.pk), form_data(member=person.pk))
        body = page(response)
        assert "There is a problem" in body
        assert "Choose a current member of the group" in body
    assert not Interest.objects.exists()


# --- Ending an entry -------------------------------------------------------------------------


def test_a_member_records_that_their_interest_has_ended(client, cast):
    interest = register(cast, cast.gp_lead)
    sign_in(client, cast.gp_lead)
    response = client.post(url("interest-end", interest.pk))
    assert response.status_code == 302
    assert response.url == url("interests", cast.group.pk)
    interest.refresh_from_db()
    assert interest.ends_on == timezone.localdate()
    body = page(client.get(response.url))
    assert "The interest has been recorded as ended today." in body
    assert end_button(interest) not in body


def test_ending_twice_says_so_and_changes_nothing(client, cast):
    interest = register(cast, cast.gp_lead, ends_on=dt.date(2024, 6, 30))
    sign_in(client, cast.gp_lead)
    body = page(client.post(url("interest-end", interest.pk), follow=True))
    assert "This interest has already ended." in body
    interest.refresh_from_db()
    assert interest.ends_on == dt.date(2024, 6, 30)
    assert not AuditEvent.objects.filter(event="interest.ended").exists()


def test_the_chair_ends_a_members_interest(client, cast):
    interest = register(cast, cast.gp_rep)
    sign_in(client, cast.chair)
    assert client.post(url("interest-end", interest.pk)).status_code == 302
    interest.refresh_from_db()
    assert interest.ends_on == timezone.localdate()
    assert AuditEvent.objects.get(event="interest.ended").actor == cast.chair


def test_ending_is_post_only_and_for_the_member_or_the_chair(client, cast):
    interest = register(cast, cast.gp_lead)
    address = url("interest-end", interest.pk)
    sign_in(client, cast.gp_lead)
    assert client.get(address).status_code == 405
    for person in (cast.gp_rep, cast.reviewer):  # another member; a read-only reviewer
        sign_in(client, person)
        assert client.post(address).status_code == 403
    sign_in(client, cast.outsider)
    assert client.post(address).status_code == 404
    assert client.post(url("interest-end", interest.pk + 1000)).status_code == 404
    interest.refresh_from_db()
    assert interest.ends_on is None
