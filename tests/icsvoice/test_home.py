"""The home page: each person's roles and the "what needs me" cards their roles call for."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from groups.models import TermsOfReference
from tests.helpers import sign_in


def _cards(response):
    return {card.key: items for card, items in response.context["cards"]}


def test_each_role_sees_its_own_cards(client, cast):
    expected = {
        "gp_lead": {"votes_awaiting_me", "drafts_i_coauthor"},
        "chair": {
            "votes_awaiting_me",
            "drafts_i_coauthor",
            "terms_due_for_review",
            "learning_reviews_due",
            "exit_interviews",
        },
        "gp_rep": {"votes_awaiting_me", "drafts_i_coauthor", "briefs_waiting", "responses_overdue"},
        "secretary": {"agendas_to_publish", "responses_overdue", "learning_reviews_due"},
        "board_member": set(),
        "reviewer": {
            "responses_overdue",
            "audit_trail",
            "learning_reviews_due",
            "exit_interviews",
        },
    }
    for name, keys in expected.items():
        client.logout()
        sign_in(client, getattr(cast, name))
        assert set(_cards(client.get(reverse("home")))) == keys, name


def test_empty_cards_say_what_will_appear(client, cast):
    sign_in(client, cast.gp_lead)
    body = client.get(reverse("home")).content.decode()
    assert "No votes are waiting for you. When your chair opens a vote, it appears here." in body


def test_chair_sees_terms_of_reference_due_for_review(client, cast):
    TermsOfReference.objects.filter(group=cast.group).update(
        review_date=timezone.localdate() + dt.timedelta(days=10)
    )
    sign_in(client, cast.chair)
    response = client.get(reverse("home"))
    items = _cards(response)["terms_due_for_review"]
    assert [i.label for i in items] == [
        "ICS A Primary Care Leadership Group: terms of reference version 1"
    ]
    assert not items[0].urgent


def test_home_page_queries_stay_flat_as_roles_grow(client, cast, django_assert_max_num_queries):
    from tests.factories import (
        BoardFactory,
        BoardSeatFactory,
        GroupMembershipFactory,
        LeadershipGroupFactory,
    )

    sign_in(client, cast.gp_rep)
    client.get(reverse("home"))
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("home"))
    for _ in range(6):
        group = LeadershipGroupFactory(ics=cast.ics)
        GroupMembershipFactory(group=group, user=cast.gp_rep)
        BoardSeatFactory(board=BoardFactory(ics=cast.ics), user=cast.gp_rep, role="member")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("home"))
    assert response.content.decode().count("Primary Care Leadership Group") >= 7


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
