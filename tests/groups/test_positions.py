"""Positions through their services: drafting, versions, co-authors, comments, amendments,
evidence and withdrawal. Every refusal says why and leaves nothing behind."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfWriter

from groups import services
from groups.models import (
    Amendment,
    Position,
    PositionVersion,
    Vote,
)
from groups.services import positions as position_services
from icsvoice import audit
from icsvoice.models import AuditEvent, OutboxMessage
from tests.groups.checks import refused

TEXT = {
    "title": "Same-day access hubs in every place",
    "summary": "Pool same-day demand across PCNs.",
    "ask": "Fund one hub per place from April.",
    "body": "# Why\n\nDemand is *rising*.",
}

INJECTIONS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "Click javascript:alert(document.cookie)",
    "&#60;script&#62;alert(1)",
    '<a href="https://evil.example">prize</a>',
]


@pytest.fixture
def position(cast):
    return services.position_draft(group=cast.group, actor=cast.gp_lead, **TEXT)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _events(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=name).order_by("id"))


def _close_as(position, cast, outcome: str) -> Vote:
    """Opens a vote and closes it with the given outcome: the three cast members vote,
    or for inquorate nobody does and the deadline passes."""
    vote = services.vote_open(position=position, actor=cast.chair)
    if outcome == "inquorate":
        Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now())
        services.votes_close_due()
        vote.refresh_from_db()
    else:
        choice = {"agreed": "for", "not_agreed": "against"}[outcome]
        for voter in (cast.gp_lead, cast.chair, cast.gp_rep):
            services.vote_cast(vote=vote, voter=voter, choice=choice)
        vote = services.vote_close(vote=vote, actor=cast.chair)
    assert vote.outcome == outcome
    position.refresh_from_db()
    return vote


# --- Drafting -----------------------------------------------------------------------------------


def test_draft_makes_version_one_with_rendered_body_audit_and_coauthor_notice(cast, members):
    position = services.position_draft(
        group=cast.group,
        actor=cast.gp_lead,
        theme=Position.Theme.PROVIDERS_HELPING,
        coauthors=[members[0], cast.gp_lead],
        evidence_links="  https://www.nhs.uk/a \n\n https://example.org/b ",
        **TEXT,
    )
    assert position.state == Position.State.DRAFT
    assert position.theme == Position.Theme.PROVIDERS_HELPING
    version = position.current_version
    assert version.number == 1
    assert version.change_note == "First draft"
    assert version.body_html == "<h2>Why</h2>\n<p>Demand is <em>rising</em>.</p>"
    assert version.links == ["https://www.nhs.uk/a", "https://example.org/b"]
    assert list(position.coauthors.all()) == [members[0]]  # the creator is not their own co-author
    (event,) = _events("position.drafted")
    assert event.actor == cast.gp_lead
    assert event.payload["coauthors"] == [members[0].pk]
    assert event.ics_id == cast.ics.pk
    notice = OutboxMessage.objects.get(kind="position.coauthor_added")
    assert notice.recipient == members[0]


@pytest.mark.parametrize("missing", ["title", "summary", "ask"])
def test_draft_refuses_a_missing_required_part(cast, missing):
    with refused("^Enter the "):
        services.position_draft(group=cast.group, actor=cast.gp_lead, **(TEXT | {missing: "   "}))


def test_draft_refuses_outsiders_unknown_themes_and_outsider_coauthors(cast):
    with refused("Only current members"):
        services.position_draft(group=cast.group, actor=cast.outsider, **TEXT)
    with refused("Choose a theme"):
        services.position_draft(group=cast.group, actor=cast.gp_lead, theme="nonsense", **TEXT)
    with refused(f"Co-authors must be current members: {cast.outsider} is not"):
        services.position_draft(
            group=cast.group, actor=cast.gp_lead, coauthors=[cast.outsider], **TEXT
        )


@pytest.mark.parametrize("field", ["title", "summary", "ask", "body", "timeline", "trade_offs"])
@pytest.mark.parametrize("payload", INJECTIONS)
def test_draft_refuses_markup_and_script_in_any_text(cast, field, payload):
    with refused("must be plain text"):
        services.position_draft(
            group=cast.group, actor=cast.gp_lead, **(TEXT | {field: f"Fine words {payload}"})
        )


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "www.example.org", "ftp://files.example/x"]
)
def test_draft_refuses_evidence_links_that_are_not_web_addresses(cast, link):
    with refused("^Evidence links: line 2 is not a web address"):
        services.position_draft(
            group=cast.group,
            actor=cast.gp_lead,
            evidence_links=f"https://www.nhs.uk\n{link}",
            **TEXT,
        )


# --- Revising -----------------------------------------------------------------------------------


def test_revise_makes_a_new_version_and_keeps_the_old_one(cast, position):
    version = services.position_revise(
        position=position,
        actor=cast.gp_lead,
        change_note="April is too soon.",
        ask="Fund one hub per place from July.",
    )
    assert version.number == 2
    assert version.ask == "Fund one hub per place from July."
    assert version.title == TEXT["title"]  # parts not given carry over
    assert version.change_note == "April is too soon."
    position.refresh_from_db()
    assert position.current_version == version
    assert PositionVersion.objects.get(position=position, number=1).ask == TEXT["ask"]
    (event,) = _events("position.revised")
    assert event.payload == {
        "version": 2,
        "from_version": 1,
        "changed": ["ask"],
        "from_state": "draft",
    }


def test_revise_refuses_when_nothing_changed(cast, position):
    with refused("^Nothing has changed, so no new version was made"):
        services.position_revise(position=position, actor=cast.gp_lead, ask=f"  {TEXT['ask']} ")


def test_authors_and_the_chair_may_revise_but_other_members_may_not(cast, members, position):
    services.position_set_coauthors(position=position, actor=cast.gp_lead, coauthors=[members[0]])
    with refused("Only the position's authors or the chair"):
        services.position_revise(position=position, actor=members[1], ask="Other ask.")
    with refused("Only current members"):
        services.position_revise(position=position, actor=cast.outsider, ask="Other ask.")
    services.position_revise(position=position, actor=members[0], ask="Co-author's ask.")
    services.position_revise(position=position, actor=cast.chair, ask="Chair's ask.")
    assert position.versions.count() == 3
    # the co-author and the creator hear of the chair's version; the chair does not
    notices = OutboxMessage.objects.filter(kind="position.revised", version="3")
    assert set(notices.values_list("recipient", flat=True)) == {cast.gp_lead.pk, members[0].pk}


def test_revise_refuses_markup_in_the_change_note(cast, position):
    with refused("^What changed must be plain text"):
        services.position_revise(
            position=position, actor=cast.gp_lead, change_note="<b>x</b>", ask="New ask."
        )


def test_revise_is_refused_while_a_vote_is_open_and_after_agreement(cast, position):
    vote = services.vote_open(position=position, actor=cast.chair)
    position.refresh_from_db()
    with refused("This position is being voted on, so it cannot be changed"):
        services.position_revise(position=position, actor=cast.gp_lead, ask="Sneaky change.")
    for voter in (cast.gp_lead, cast.chair, cast.gp_rep):
        services.vote_cast(vote=vote, voter=voter, choice="for")
    services.vote_close(vote=vote, actor=cast.chair)
    position.refresh_from_db()
    with refused("This position is agreed, so it cannot be changed"):
        services.position_revise(position=position, actor=cast.gp_lead, ask="Too late.")


@pytest.mark.parametrize("outcome", ["not_agreed", "inquorate"])
def test_revising_a_position_that_was_not_agreed_returns_it_to_draft(cast, position, outcome):
    _close_as(position, cast, outcome)
    assert position.state == outcome
    version = services.position_revise(position=position, actor=cast.gp_lead, ask="Smaller ask.")
    position.refresh_from_db()
    assert position.state == Position.State.DRAFT
    assert version.number == 2
    assert _events("position.revised")[-1].payload["from_state"] == outcome


# --- Co-authors and comments --------------------------------------------------------------------


def test_coauthors_must_be_current_members_and_new_ones_are_told(cast, members, position):
    with refused(f"Co-authors must be current members: {cast.outsider} is not"):
        services.position_set_coauthors(
            position=position, actor=cast.gp_lead, coauthors=[members[0], cast.outsider]
        )
    with refused("Only the position's authors or the chair"):
        services.position_set_coauthors(position=position, actor=members[1], coauthors=[members[1]])
    services.position_set_coauthors(
        position=position, actor=cast.gp_lead, coauthors=[members[0], members[1]]
    )
    services.position_set_coauthors(position=position, actor=cast.gp_lead, coauthors=[members[1]])
    assert list(position.coauthors.all()) == [members[1]]
    payloads = [e.payload for e in _events("position.coauthors_changed")]
    assert payloads == [
        {"added": sorted([members[0].pk, members[1].pk]), "removed": []},
        {"added": [], "removed": [members[0].pk]},
    ]
    told = OutboxMessage.objects.filter(kind="position.coauthor_added")
    assert sorted(told.values_list("recipient", flat=True)) == sorted(
        [members[0].pk, members[1].pk]
    )


def test_an_ended_membership_cannot_be_made_a_coauthor(cast, members, position):
    membership = members[2].group_memberships.get()
    services.membership_end(membership=membership, actor=None)
    with refused("Co-authors must be current members"):
        services.position_set_coauthors(
            position=position, actor=cast.gp_lead, coauthors=[members[2]]
        )


def test_members_comment_on_the_current_version_and_authors_are_told(cast, members, position):
    comment = services.comment_add(position=position, actor=members[0], body="  Good idea.  ")
    assert comment.body == "Good idea."
    assert comment.version == position.current_version
    assert OutboxMessage.objects.get(kind="position.commented").recipient == cast.gp_lead
    with refused("^Enter your comment"):
        services.comment_add(position=position, actor=members[0], body="  ")
    with refused("^Your comment must be plain text"):
        services.comment_add(position=position, actor=members[0], body=INJECTIONS[0])
    with refused("Only current members"):
        services.comment_add(position=position, actor=cast.outsider, body="Hello from B.")


# --- Amendments ---------------------------------------------------------------------------------


def _propose(position, actor, **overrides):
    values = {
        "field": "ask",
        "proposed_text": "Fund one hub per place from July.",
        "reason": "April is too soon.",
    } | overrides
    return services.amendment_propose(position=position, actor=actor, **values)


def test_accepting_an_amendment_makes_a_version_with_the_amended_part(cast, members, position):
    amendment = _propose(position, members[0])
    assert amendment.state == Amendment.State.PROPOSED
    assert amendment.base_version.number == 1
    version = services.amendment_accept(amendment=amendment, actor=cast.gp_lead)
    amendment.refresh_from_db()
    assert version.number == 2
    assert version.ask == "Fund one hub per place from July."
    assert version.summary == TEXT["summary"]
    assert amendment.state == Amendment.State.ACCEPTED
    assert amendment.decided_by == cast.gp_lead
    assert amendment.decided_at is not None
    assert amendment.resulting_version == version
    assert str(amendment.pk) in version.change_note
    decided = OutboxMessage.objects.get(kind="position.amendment_decided")
    assert decided.recipient == members[0]
    assert "accepted" in decided.subject


def test_declining_needs_a_reason_which_the_proposer_is_told(cast, members, position):
    amendment = _propose(position, members[0])
    with refused("^Say why the amendment is declined"):
        services.amendment_decline(amendment=amendment, actor=cast.chair, reason=" ")
    with refused("^The reason must be plain text"):
        services.amendment_decline(amendment=amendment, actor=cast.chair, reason=INJECTIONS[1])
    services.amendment_decline(amendment=amendment, actor=cast.chair, reason="Budget is set.")
    amendment.refresh_from_db()
    assert amendment.state == Amendment.State.DECLINED
    assert amendment.decline_reason == "Budget is set."
    assert amendment.decided_by == cast.chair
    assert position.versions.count() == 1
    decided = OutboxMessage.objects.get(kind="position.amendment_decided")
    assert decided.recipient == members[0]
    assert "Budget is set." in decided.body


def test_an_amendment_is_decided_once(cast, members, position):
    accepted = _propose(position, members[0])
    services.amendment_accept(amendment=accepted, actor=cast.gp_lead)
    accepted.position.refresh_from_db()
    with refused("already been decided"):
        services.amendment_decline(amendment=accepted, actor=cast.chair, reason="Changed mind.")
    declined = _propose(position, members[1], field="summary", proposed_text="Shorter.")
    services.amendment_decline(amendment=declined, actor=cast.chair, reason="No.")
    with refused("already been decided"):
        services.amendment_accept(amendment=declined, actor=cast.chair)


def test_only_authors_or_the_chair_decide_amendments(cast, members, position):
    amendment = _propose(position, members[0])
    with refused("Only the position's authors or the chair"):
        services.amendment_accept(amendment=amendment, actor=members[0])
    with refused("Only the position's authors or the chair"):
        services.amendment_decline(amendment=amendment, actor=members[1], reason="Mine.")


def test_accepting_an_amendment_to_a_part_changed_since_is_refused(cast, members, position):
    """Accepting it would silently undo the later change to that part."""
    first = _propose(position, members[0])
    second = _propose(position, members[1])
    services.amendment_accept(amendment=first, actor=cast.gp_lead)
    position.refresh_from_db()
    with refused("has changed since this amendment was proposed against version 1"):
        services.amendment_accept(amendment=second, actor=cast.gp_lead)
    second.refresh_from_db()
    assert second.state == Amendment.State.PROPOSED


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"field": "created_by"}, "^Choose which part"),
        ({"reason": "  "}, "^Say why you propose"),
        ({"field": "title", "proposed_text": " "}, "^The title cannot be empty"),
        ({"proposed_text": TEXT["ask"]}, "^Your amendment is the same as the current text"),
        ({"proposed_text": INJECTIONS[0]}, "^Your amendment must be plain text"),
        ({"reason": INJECTIONS[2]}, "^Your reason must be plain text"),
        ({"field": "evidence_links", "proposed_text": "javascript:alert(1)"}, "^Evidence links"),
    ],
)
def test_amendment_proposals_are_checked(cast, members, position, overrides, match):
    with refused(match):
        _propose(position, members[0], **overrides)


def test_outsiders_cannot_amend_and_nobody_amends_while_voting(cast, position):
    with refused("Only current members"):
        _propose(position, cast.outsider)
    services.vote_open(position=position, actor=cast.chair)
    position.refresh_from_db()
    with refused("cannot be changed"):
        _propose(position, cast.gp_rep)


# --- Evidence -----------------------------------------------------------------------------------


def _pdf(pages: int = 1, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _upload(data: bytes, name: str = "evidence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_a_real_pdf_is_stored_with_its_hash_size_and_pages(cast, position, media):
    data = _pdf(pages=2)
    attachment = services.attachment_add(
        position=position, actor=cast.gp_lead, title=" Demand audit ", upload=_upload(data)
    )
    assert attachment.title == "Demand audit"
    assert attachment.pages == 2
    assert attachment.size == len(data)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.file.name.endswith(f"{attachment.sha256[:16]}.pdf")
    with attachment.file.open("rb") as stored:
        assert stored.read() == data
    assert _events("position.evidence_added")[0].payload["sha256"] == attachment.sha256


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"Just some text pretending to be a PDF.", "^The file must be a PDF: this one is not"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "^The file must be a PDF"),
        (b"%PDF-1.7\n" + b"\x00garbage" * 50, "^The PDF is damaged and cannot be read"),
        (_pdf(pages=3)[:300], "^The PDF is damaged and cannot be read"),
        (_pdf(password="open sesame"), "^The PDF is password-protected"),
        (_pdf(pages=0), "^The PDF has no pages"),
    ],
    ids=["text", "png", "garbage", "truncated", "encrypted", "empty"],
)
def test_uploads_that_are_not_readable_pdfs_are_refused(cast, position, media, data, match):
    with refused(match):
        services.attachment_add(
            position=position, actor=cast.gp_lead, title="Evidence", upload=_upload(data)
        )
    assert not any(media.rglob("*.pdf"))


def test_uploads_over_the_size_limit_are_refused(cast, position, media, settings):
    settings.ICSVOICE_MAX_PDF_BYTES = 100
    with refused("^The file must be smaller than 100 bytes"):
        services.attachment_add(
            position=position, actor=cast.gp_lead, title="Evidence", upload=_upload(_pdf())
        )


def test_evidence_needs_an_author_a_plain_title_and_a_live_position(cast, position, media):
    with refused("Only the position's authors or the chair"):
        services.attachment_add(
            position=position, actor=cast.gp_rep, title="Evidence", upload=_upload(_pdf())
        )
    with refused("^Enter a title"):
        services.attachment_add(
            position=position, actor=cast.gp_lead, title=" ", upload=_upload(_pdf())
        )
    with refused("^The title must be plain text"):
        services.attachment_add(
            position=position, actor=cast.gp_lead, title=INJECTIONS[1], upload=_upload(_pdf())
        )
    services.position_withdraw(position=position, actor=cast.gp_lead, reason="Superseded.")
    position.refresh_from_db()
    with refused("has been withdrawn"):
        services.attachment_add(
            position=position, actor=cast.gp_lead, title="Evidence", upload=_upload(_pdf())
        )


# --- Withdrawal ---------------------------------------------------------------------------------


def test_withdrawing_needs_a_reason_and_tells_the_authors_and_chair(cast, members, position):
    services.position_set_coauthors(position=position, actor=cast.gp_lead, coauthors=[members[0]])
    with refused("^Say why the position is being withdrawn"):
        services.position_withdraw(position=position, actor=cast.gp_lead, reason=" ")
    with refused("^The reason must be plain text"):
        services.position_withdraw(position=position, actor=cast.gp_lead, reason=INJECTIONS[3])
    with refused("Only the position's authors or the chair"):
        services.position_withdraw(position=position, actor=members[1], reason="Not mine.")
    services.position_withdraw(position=position, actor=cast.gp_lead, reason="Superseded.")
    position.refresh_from_db()
    assert position.state == Position.State.WITHDRAWN
    assert _events("position.withdrawn")[0].payload == {
        "from_state": "draft",
        "reason": "Superseded.",
    }
    told = OutboxMessage.objects.filter(kind="position.withdrawn")
    assert set(told.values_list("recipient", flat=True)) == {members[0].pk, cast.chair.pk}


def test_a_withdrawn_position_is_closed_to_everything(cast, members, position):
    amendment = _propose(position, members[0])
    services.position_withdraw(position=position, actor=cast.chair, reason="Overtaken.")
    position.refresh_from_db()
    with refused("cannot be withdrawn"):
        services.position_withdraw(position=position, actor=cast.chair, reason="Again.")
    with refused("so it cannot be changed"):
        services.position_revise(position=position, actor=cast.gp_lead, ask="New ask.")
    with refused("so it cannot be changed"):
        services.amendment_accept(amendment=amendment, actor=cast.gp_lead)
    with refused("closed for comments"):
        services.comment_add(position=position, actor=members[0], body="Shame.")
    with refused("has been withdrawn"):
        services.position_set_coauthors(
            position=position, actor=cast.gp_lead, coauthors=[members[1]]
        )
    with refused("^This position is withdrawn, so it cannot be put to a vote"):
        services.vote_open(position=position, actor=cast.chair)


def test_positions_in_a_vote_or_agreed_cannot_be_withdrawn(cast, position):
    vote = services.vote_open(position=position, actor=cast.chair)
    position.refresh_from_db()
    with refused("cannot be withdrawn"):
        services.position_withdraw(position=position, actor=cast.chair, reason="Cold feet.")
    for voter in (cast.gp_lead, cast.chair, cast.gp_rep):
        services.vote_cast(vote=vote, voter=voter, choice="for")
    services.vote_close(vote=vote, actor=cast.chair)
    position.refresh_from_db()
    with refused("cannot be withdrawn"):
        services.position_withdraw(position=position, actor=cast.chair, reason="Cold feet.")


@pytest.mark.parametrize("outcome", ["not_agreed", "inquorate"])
def test_a_position_that_was_not_agreed_can_be_withdrawn(cast, position, outcome):
    _close_as(position, cast, outcome)
    services.position_withdraw(position=position, actor=cast.gp_lead, reason="Lost the vote.")
    position.refresh_from_db()
    assert position.state == Position.State.WITHDRAWN
    assert audit.verify().ok


def test_a_stale_copy_cannot_move_a_position_someone_else_moved(cast, position):
    stale = Position.objects.get(pk=position.pk)
    services.position_withdraw(position=position, actor=cast.gp_lead, reason="Superseded.")
    assert stale.state == Position.State.DRAFT
    with refused("Someone else changed this position just now"):
        position_services._move(stale, Position.State.VOTING)
