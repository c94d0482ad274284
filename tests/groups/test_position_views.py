"""Position and vote pages through the client: each works for the right person, refuses
the wrong role (403) and hides another ICS's work (404); POST-only actions refuse GET;
bad input shows the error summary and changes nothing; query counts stay flat."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from groups import services
from groups.models import (
    Amendment,
    Attachment,
    Ballot,
    Comment,
    Position,
    PositionDeclaration,
    PositionVersion,
    Vote,
)
from icsvoice.models import AuditEvent
from tests import factories as f
from tests.helpers import sign_in

TEXT = {
    "title": "Same-day access hubs",
    "summary": "Pool same-day demand across PCNs.",
    "ask": "Fund one hub per place.",
    "body": "## Why\n\nDemand is rising.",
}
FORM = {**TEXT, "theme": "other", "evidence_links": ""}


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def position(cast):
    return services.position_draft(group=cast.group, actor=cast.gp_lead, **TEXT)


@pytest.fixture
def other_position(cast):
    return services.position_draft(group=cast.other_group, actor=cast.outsider, **TEXT)


@pytest.fixture
def vote(cast, position):
    return services.vote_open(position=position, actor=cast.chair)


def _amendment(cast, position):
    return services.amendment_propose(
        position=position, actor=cast.gp_rep, field="ask", proposed_text="New ask", reason="Why"
    )


# (name, who may, a wrong role, what to post, whose object: "position" | "vote" | "amendment")
PAGES = [
    ("groups:position-detail", "gp_lead", "secretary", None, "position"),
    ("groups:position-compare", "reviewer", "secretary", None, "position"),
    ("groups:position-edit", "gp_lead", "gp_rep", {**FORM, "ask": "Changed ask"}, "position"),
    ("groups:position-coauthors", "gp_lead", "gp_rep", {"coauthors": []}, "position"),
    ("groups:position-withdraw", "gp_lead", "gp_rep", {"reason": "Superseded"}, "position"),
    ("groups:position-comment", "gp_rep", "reviewer", {"body": "Agree."}, "position"),
    (
        "groups:amendment-create",
        "gp_rep",
        "reviewer",
        {"field": "ask", "proposed_text": "Other ask", "reason": "Clearer"},
        "position",
    ),
    (
        "groups:position-declare",
        "gp_rep",
        "reviewer",
        {"category": "financial", "description": "Partner in a bidding practice"},
        "position",
    ),
    ("groups:vote-open", "chair", "gp_lead", {"closes_on": "", "closes_at_time": ""}, "position"),
    ("groups:vote-detail", "reviewer", "secretary", None, "vote"),
    ("groups:vote-cast", "gp_lead", "reviewer", {"choice": "for"}, "vote"),
    ("groups:vote-close", "chair", "gp_lead", {}, "vote"),
    ("groups:amendment-accept", "gp_lead", "gp_rep", {}, "amendment"),
    ("groups:amendment-decline", "gp_lead", "gp_rep", {"reason": "Too vague"}, "amendment"),
]
POST_ONLY = {
    "groups:position-comment",
    "groups:vote-cast",
    "groups:vote-close",
    "groups:amendment-accept",
}


def _target(cast, kind, mine=True):
    group, author = (cast.group, cast.gp_lead) if mine else (cast.other_group, cast.outsider)
    position = services.position_draft(group=group, actor=author, **TEXT)
    if kind == "position":
        return position.pk
    if kind == "vote":
        chair = cast.chair if mine else _other_chair(cast)
        return services.vote_open(position=position, actor=chair).pk
    member = cast.gp_rep if mine else cast.outsider
    return services.amendment_propose(
        position=position, actor=member, field="ask", proposed_text="New ask", reason="Why"
    ).pk


def _other_chair(cast):
    chair = f.UserFactory(email="chair@b.example.nhs.uk")
    f.GroupMembershipFactory(group=cast.other_group, user=chair, role="chair")
    return chair


@pytest.mark.parametrize(("name", "who", "wrong", "data", "kind"), PAGES)
def test_each_page_refuses_another_ics_with_404_and_a_wrong_role_with_403(
    client, cast, name, who, wrong, data, kind
):
    other = _target(cast, kind, mine=False)
    mine = _target(cast, kind)
    method = (
        client.post if name in POST_ONLY or (data is not None and name in POST_ONLY) else client.get
    )
    sign_in(client, getattr(cast, who))
    assert method(reverse(name, args=[other])).status_code == 404
    client.logout()
    sign_in(client, getattr(cast, wrong))
    assert method(reverse(name, args=[mine])).status_code == 403
    if name in POST_ONLY:
        client.logout()
        sign_in(client, getattr(cast, who))
        assert client.get(reverse(name, args=[mine])).status_code == 405


# The audit event each action writes when it succeeds.
EVENTS = {
    "groups:position-edit": "position.revised",
    "groups:position-coauthors": "position.coauthors_changed",
    "groups:position-withdraw": "position.withdrawn",
    "groups:position-comment": "position.commented",
    "groups:amendment-create": "position.amendment_proposed",
    "groups:position-declare": "position.interest_declared",
    "groups:vote-open": "vote.opened",
    "groups:vote-cast": "vote.cast",
    "groups:vote-close": "vote.closed",
    "groups:amendment-accept": "position.amendment_accepted",
    "groups:amendment-decline": "position.amendment_declined",
}


@pytest.mark.parametrize(
    ("name", "who", "wrong", "data", "kind"), [p for p in PAGES if p[0] in EVENTS]
)
def test_each_action_works_for_the_right_person_and_is_audited(
    client, cast, name, who, wrong, data, kind
):
    target = _target(cast, kind)
    if name == "groups:vote-close":
        vote = Vote.objects.get(pk=target)
        for member in (cast.gp_lead, cast.chair, cast.gp_rep):
            services.vote_cast(vote=vote, voter=member, choice="for")
    sign_in(client, getattr(cast, who))
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    response = client.post(reverse(name, args=[target]), data, follow=True)
    assert response.redirect_chain, response.content.decode()[:2000]
    assert "nhsuk-notification-banner--success" in response.content.decode()
    new = AuditEvent.objects.filter(id__gt=last).values_list("event", flat=True)
    assert EVENTS[name] in new


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"closes_on[day]": "1", "closes_on[month]": "12", "closes_on[year]": "2026"},
         "Enter the closing time, or clear the closing date"),
        ({"closes_on[day]": "1", "closes_on[month]": "1", "closes_on[year]": "2099",
          "closes_at_time": "17:00"}, "The closing time must be within 60 days."),
        ({"closes_on[day]": "31", "closes_on[month]": "2", "closes_on[year]": "2026",
          "closes_at_time": "9am"}, "in 24-hour form"),
    ],
)  # fmt: skip
def test_opening_a_vote_with_a_bad_closing_time_changes_nothing(
    client, cast, position, data, message
):
    sign_in(client, cast.chair)
    before = AuditEvent.objects.count()
    response = client.post(reverse("groups:vote-open", args=[position.pk]), data)
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert message in response.content.decode()
    assert not Vote.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_vote_opened_with_no_closing_time_closes_after_the_terms_voting_window(
    client, cast, position
):
    sign_in(client, cast.chair)
    opened = timezone.now()
    response = client.post(reverse("groups:vote-open", args=[position.pk]), {})
    vote = Vote.objects.get()
    assert response["Location"] == reverse("groups:vote-detail", args=[vote.pk])
    window = dt.timedelta(hours=cast.group.terms.get().voting_window_hours)
    assert abs(vote.closes_at - (opened + window)) < dt.timedelta(minutes=1)


def test_drafting_through_the_form_saves_version_one_and_tells_the_coauthor(client, cast):
    sign_in(client, cast.gp_lead)
    url = reverse("groups:position-create", args=[cast.group.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {**FORM, "coauthors": [cast.gp_rep.pk], "evidence_links": "https://example.org/r"}
    )
    position = Position.objects.get()
    assert response["Location"] == reverse("groups:position-detail", args=[position.pk])
    assert position.current_version.links == ["https://example.org/r"]
    assert list(position.coauthors.all()) == [cast.gp_rep]
    page = client.get(response["Location"]).content.decode()
    assert "<h2>Why</h2>" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Enter the title"),
        ("title", "<script>alert(1)</script>", "remove the HTML"),
        ("summary", "Click <a href=x>here</a>", "remove the HTML"),
        ("body", "<img src=x onerror=alert(1)>", "remove the HTML"),
        ("body", "[x](javascript:alert(1))", "remove the HTML"),
        ("evidence_links", "javascript:alert(1)", "is not a web address"),
        ("theme", "", "Choose a theme"),
    ],
)
def test_bad_input_shows_the_error_summary_and_saves_nothing(client, cast, field, value, message):
    sign_in(client, cast.gp_lead)
    before = AuditEvent.objects.count()
    response = client.post(
        reverse("groups:position-create", args=[cast.group.pk]), {**FORM, field: value}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert message in body
    assert "<title>Error:" in body
    assert not Position.objects.exists()
    assert AuditEvent.objects.count() == before


def test_an_empty_comment_is_reported_on_the_position_page(client, cast, position):
    sign_in(client, cast.gp_rep)
    response = client.post(reverse("groups:position-comment", args=[position.pk]), {"body": ""})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not Comment.objects.exists()


def test_evidence_upload_accepts_a_pdf_and_refuses_a_file_pretending_to_be_one(
    client, cast, position, settings, tmp_path
):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)},
    }}  # fmt: skip
    sign_in(client, cast.gp_lead)
    url = reverse("groups:attachment-upload", args=[position.pk])
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(url, {"title": "Audit", "file": fake})
    assert "The file must be a PDF" in response.content.decode()
    assert not Attachment.objects.exists()

    real = SimpleUploadedFile("report.pdf", _pdf(), content_type="application/pdf")
    assert client.post(url, {"title": "Audit", "file": real}).status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.pages == 1
    download = client.get(reverse("groups:attachment-download", args=[attachment.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    client.logout()
    sign_in(client, cast.outsider)
    assert (
        client.get(reverse("groups:attachment-download", args=[attachment.pk])).status_code == 404
    )


def test_a_member_votes_changes_the_vote_and_a_duplicate_gets_a_clear_message(client, cast, vote):
    sign_in(client, cast.gp_lead)
    url = reverse("groups:vote-cast", args=[vote.pk])
    client.post(url, {"choice": "for"})
    response = client.post(url, {"choice": "for"}, follow=True)
    assert "You had already voted For; your vote stands." in response.content.decode()
    response = client.post(url, {"choice": "against", "reason": "Too costly"}, follow=True)
    assert "Your vote has been changed to Against." in response.content.decode()
    assert Ballot.objects.get().choice == "against"


def test_voting_after_the_close_is_refused_with_a_message(client, cast, vote):
    for member in (cast.gp_lead, cast.chair, cast.gp_rep):
        services.vote_cast(vote=vote, voter=member, choice="for")
    services.vote_close(vote=vote, actor=cast.chair)
    sign_in(client, cast.gp_lead)
    response = client.post(
        reverse("groups:vote-cast", args=[vote.pk]), {"choice": "against"}, follow=True
    )
    assert "This vote has closed, so no more votes can be cast." in response.content.decode()
    assert Ballot.objects.get(voter=cast.gp_lead).choice == "for"


def test_results_stay_hidden_until_close_when_the_terms_say_so(client, cast, vote):
    services.vote_cast(vote=vote, voter=cast.gp_lead, choice="against", reason="Not yet")
    sign_in(client, cast.gp_rep)
    body = client.get(reverse("groups:vote-detail", args=[vote.pk])).content.decode()
    assert "keep results hidden until the vote closes" in body
    assert "Not yet" not in body


def _grow(cast, position, n):
    """n more versions, comments, amendments, declarations, ballots."""
    people = [f.UserFactory() for _ in range(n)]
    for person in people:
        f.GroupMembershipFactory(group=cast.group, user=person)
    for i in range(n):
        services.position_revise(position=position, actor=cast.gp_lead, ask=f"Ask {i}")
        services.comment_add(position=position, actor=people[i], body=f"Comment {i}")
        _amendment(cast, position) if i == 0 else services.amendment_propose(
            position=position, actor=people[i], field="summary", proposed_text=f"S{i}", reason="R"
        )
    for person in people[: n // 2]:
        services.declaration_add(
            position=position, member=person, actor=person, category="indirect", description="D"
        )
    vote = services.vote_open(position=position, actor=cast.chair)
    for person in people[n // 2 :]:
        services.vote_cast(vote=vote, voter=person, choice="for", reason="R")
    return vote


@pytest.mark.parametrize("n", [2, 12])
def test_position_and_vote_pages_do_not_grow_their_queries(
    client, cast, position, n, django_assert_max_num_queries
):
    vote = _grow(cast, position, n)
    assert PositionVersion.objects.filter(position=position).count() == n + 1
    assert Amendment.objects.count() == n
    assert PositionDeclaration.objects.count() == n // 2
    sign_in(client, cast.chair)
    client.get(reverse("home"))  # warm the session
    # 23: each app's steps on the journey (boards, consultations, the engagement log,
    # learning reviews) cost one query each, however long the journey.
    with django_assert_max_num_queries(23):
        assert client.get(reverse("groups:position-detail", args=[position.pk])).status_code == 200
    with django_assert_max_num_queries(18):
        assert client.get(reverse("groups:vote-detail", args=[vote.pk])).status_code == 200
    with django_assert_max_num_queries(17):
        assert client.get(reverse("groups:group-detail", args=[cast.group.pk])).status_code == 200
    # 14: one query per home card a chair sees (votes, drafts, terms, learning reviews,
    # exit interviews), however many items.
    with django_assert_max_num_queries(14):
        assert client.get(reverse("home")).status_code == 200
    with django_assert_max_num_queries(13):
        compare = reverse("groups:position-compare", args=[position.pk])
        assert client.get(compare).status_code == 200


def test_home_cards_list_votes_awaiting_me_and_my_drafts(client, cast, position):
    other = services.position_draft(group=cast.group, actor=cast.gp_rep, **TEXT)
    services.position_set_coauthors(position=other, actor=cast.gp_rep, coauthors=[cast.gp_lead])
    sign_in(client, cast.gp_lead)
    cards = {c.key: items for c, items in client.get(reverse("home")).context["cards"]}
    assert len(cards["drafts_i_coauthor"]) == 2
    assert cards["votes_awaiting_me"] == []

    vote = services.vote_open(position=position, actor=cast.chair)
    cards = {c.key: items for c, items in client.get(reverse("home")).context["cards"]}
    assert [i.url for i in cards["votes_awaiting_me"]] == [
        reverse("groups:vote-detail", args=[vote.pk])
    ]
    assert len(cards["drafts_i_coauthor"]) == 1  # the other is now being voted on
    services.vote_cast(vote=vote, voter=cast.gp_lead, choice="for")
    cards = {c.key: items for c, items in client.get(reverse("home")).context["cards"]}
    assert cards["votes_awaiting_me"] == []


# A 431-byte PDF whose cross-references loop back on themselves (found by fuzzing): pypdf
# raises LimitReachedError, which is not a PdfReadError.
LOOPING_PDF = base64.b64decode(
    "JVBERi0xLjMKFOLjBNMKMSAwIG9i+lg8PAovUHJvZHVjZXIgKHB5cGRmKQo+PgplbmRvYmoKMiAwIG9iago8PAovVHlwZSAvUGFnZXMKL0NvdW50IDEKL0tpZHMgWyA0IDAgUiBdCj4+CmVuZG9iamYzIDAgb2JqCjw8Ci9UeXBlIC9DYXRUbG9nCi9QYWdlcyAyIDAgUgriPgplbmRvYmoKNCAwIG9iago8vgovVHlwZSAvUGFnZQovUmVzb3VyY2VzIDw8Cj4+Ci9NZWRpYUJveCBbIDAuMCAwLjAgMjAwIDIwMCBdCi9QYXJlbnQgMiAwIFIKPj4KZW5kb2JqCnxyZWYKMCA1CjAwMDAwMDAwKzAgNjU1MzUgZiAKMDAwMDAwMDAxNSAwMDAwMCBuIAowMDAwMDAwMDU0IDAwMDAwIG4gCjAwMDAwcDAxMTMgMDAwMDAgbiAKMDAwMDAwMDE2MiAwMDAwMCBuIAp0cmFpbGVyCjw8Ci9TaXplIDUKL1Jvb3QgMyAwIFIKdUluZm8gMSAwIFIKPj4Kc3RhcnR4cmVmCjI1NgolJUVPRgo="
)


def test_a_pdf_that_loops_on_itself_is_reported_as_damaged(
    client, cast, position, settings, tmp_path
):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)},
    }}  # fmt: skip
    sign_in(client, cast.gp_lead)
    upload = SimpleUploadedFile("loop.pdf", LOOPING_PDF, content_type="application/pdf")
    response = client.post(
        reverse("groups:attachment-upload", args=[position.pk]), {"title": "Loop", "file": upload}
    )
    assert response.status_code == 200
    assert "The PDF is damaged and cannot be read" in response.content.decode()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("value", "status"), [("\u00b2", 200), ("abc", 200), ("-1", 200), ("99999999999999999999", 404)]
)
def test_compare_ignores_a_version_that_is_not_a_number_and_hides_one_that_does_not_exist(
    client, cast, position, value, status
):
    """Not a number: the default comparison. A number with no such version: not found."""
    sign_in(client, cast.gp_lead)
    response = client.get(reverse("groups:position-compare", args=[position.pk]), {"from": value})
    assert response.status_code == status
