"""Exit interviews through their services and the leaver's link: the question set and its
wording as asked, the invitation email with a link minted at sending (never stored), the
leaver saving, changing and sending answers, every way a link stops working, the themes
report worked by hand with its fewer-than-3 rule, erasure after 90 days, and audit events
that hold no answer, name or address. Pages and access: test_interviews_views.py."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from engagement.models.interviews import ExitInterview, InterviewQuestion, RoleKind
from engagement.reports import Period
from engagement.services import interviews as services
from engagement.tasks import erase_leavers
from icsvoice import links, mailer
from icsvoice.models import AuditEvent, OutboxMessage
from tests import factories as f
from tests.support.smtp import free_port

pytestmark = pytest.mark.django_db

LINK = re.compile(r"/respond/exit-interview/([A-Za-z0-9_-]{40,64})/")
SECRET = "The rota broke me"


def invite(
    cast,
    *,
    by=None,
    readers=None,
    name="Dr Lee Leaver",
    email="lee@gp.example.nhs.uk",
    role_kind="",
    closes_in=14,
):
    by = by or cast.reviewer
    return services.interview_invite(
        ics=cast.ics,
        actor=by,
        name=name,
        email=email,
        role_left="GP partner, clinical director of Riverside PCN",
        role_kind=role_kind,
        leaving_on=timezone.localdate() + dt.timedelta(days=30),
        closes_on=timezone.localdate() + dt.timedelta(days=closes_in),
        readers=readers or [by],
    )


def send_link(interview: ExitInterview, settings) -> str:
    """Sends the interview's waiting invitation and returns the token in its link."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    row = OutboxMessage.objects.get(
        kind=services.INVITATION_KIND, object_id=str(interview.pk), state="pending"
    )
    assert mailer.send_ids([row.pk]) == 1
    found = LINK.search(mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(1)


def answered(cast, *, text=SECRET, **kwargs) -> ExitInterview:
    interview = invite(cast, **kwargs)
    return services.answers_save(interview=interview, answers={1: text}, send=True)


def other_reviewer(cast, email="second.reviewer@a.example.nhs.uk"):
    person = f.UserFactory(email=email, full_name="Ravi Second")
    f.IcsReviewerFactory(ics=cast.ics, user=person)
    return person


def other_chair(cast):
    person = f.UserFactory(email="other.chair@a.example.nhs.uk", full_name="Dr Cora Chair")
    group = f.LeadershipGroupFactory(ics=cast.ics, name="Riverside Place Group")
    f.GroupMembershipFactory(group=group, user=person, role="chair")
    return person


# --- The question set ------------------------------------------------------------------------


def test_the_default_questions_are_made_once_on_first_use(cast):
    first = services.questions_ensure(ics=cast.ics, actor=cast.chair)
    again = services.questions_ensure(ics=cast.ics, actor=cast.reviewer)
    assert 5 <= len(first) <= 7 and [q.pk for q in first] == [q.pk for q in again]
    assert any("kept you" in q.text for q in first)
    assert AuditEvent.objects.filter(event="interview.questions_changed").count() == 1
    assert services.questions_ensure(ics=cast.other_ics, actor=cast.outsider)  # its own set


def test_an_interview_keeps_the_questions_as_they_were_asked(cast):
    interview = invite(cast)
    first = InterviewQuestion.objects.get(ics=cast.ics, order=1)
    was = first.text
    services.question_reword(
        question=first, text="How long were you in the role?", actor=cast.chair
    )
    services.question_retire(
        question=InterviewQuestion.objects.get(ics=cast.ics, order=2), actor=cast.reviewer
    )
    added = services.question_add(ics=cast.ics, text="Would you come back?", actor=cast.chair)
    assert [a.wording for a in interview.answers.all()][:2] == [
        was,
        services.DEFAULT_QUESTIONS[1],
    ]
    later = invite(cast, email="sam@gp.example.nhs.uk")
    wordings = [a.wording for a in later.answers.all()]
    assert wordings[0] == "How long were you in the role?"
    assert services.DEFAULT_QUESTIONS[1] not in wordings and wordings[-1] == added.text
    changes = AuditEvent.objects.filter(event="interview.questions_changed").order_by("id")
    assert [e.payload["change"] for e in changes] == ["default_set", "reworded", "retired", "added"]


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "Enter the question"), ("<b>Why?</b>", "must be plain text"), ("x" * 501, "500")],
)
def test_a_bad_question_is_refused(cast, text, message):
    with pytest.raises(services.InterviewError, match=message):
        services.question_add(ics=cast.ics, text=text, actor=cast.chair)


def test_a_retired_question_cannot_be_reworded_or_retired_again(cast):
    question = services.questions_ensure(ics=cast.ics, actor=cast.chair)[0]
    services.question_retire(question=question, actor=cast.chair)
    with pytest.raises(services.InterviewError, match="already retired"):
        services.question_retire(question=question, actor=cast.chair)
    with pytest.raises(services.InterviewError, match="retired"):
        services.question_reword(question=question, text="New words", actor=cast.chair)


# --- Inviting and the email ------------------------------------------------------------------


def test_the_email_carries_a_working_link_that_is_never_stored(client, cast, settings):
    interview = invite(cast, by=cast.chair, readers=[cast.chair, cast.reviewer])
    row = OutboxMessage.objects.get(kind=services.INVITATION_KIND)
    assert (row.recipient, row.to_email, row.url) == (None, "lee@gp.example.nhs.uk", "")
    token = send_link(interview, settings)
    sent = mail.outbox[-1]
    assert sent.to == ["lee@gp.example.nhs.uk"] and "Dear Dr Lee Leaver," in sent.body
    assert "please do not forward it" in sent.body
    row.refresh_from_db()
    assert token not in row.body + row.url + row.subject
    interview.refresh_from_db()
    assert interview.token_hash == links.digest(token) and token not in interview.token_hash
    response = client.get(reverse("engagement:interview-respond", args=[token]))
    assert response.status_code == 200
    assert services.DEFAULT_QUESTIONS[0] in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "same-origin"  # the link goes to no other site


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"closes_in": -1}, "today or in the future"),
        ({"closes_in": 181}, "within 180 days"),
        ({"name": " "}, "Enter the leaver's name"),
        ({"email": "not an address"}, "in the correct format"),
        ({"name": "<i>Dr</i> X"}, "must be plain text"),
        ({"role_kind": "astronaut"}, "kind of role"),
    ],
)
def test_a_bad_invitation_is_refused_and_nothing_is_saved(cast, change, message):
    with pytest.raises(services.InterviewError, match=message):
        invite(cast, **change)
    assert not ExitInterview.objects.exists() and not OutboxMessage.objects.exists()


def test_named_readers_must_be_the_icss_reviewers_or_chairs(cast):
    for readers in ([cast.gp_lead], [cast.outsider], [cast.reviewer, cast.secretary]):
        with pytest.raises(services.InterviewError, match="Named readers must be"):
            invite(cast, readers=readers)
    with pytest.raises(services.InterviewError, match="at least one named reader"):
        services.interview_invite(
            ics=cast.ics,
            actor=cast.chair,
            name="A",
            email="a@example.nhs.uk",
            role_left="GP",
            leaving_on=timezone.localdate(),
            closes_on=timezone.localdate(),
            readers=[],
        )
    assert not ExitInterview.objects.exists()


def test_no_link_is_minted_for_an_interview_no_longer_open(cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    interview = answered(cast)
    row = OutboxMessage.objects.get(kind=services.INVITATION_KIND)
    assert mailer.send_ids([row.pk]) == 0
    row.refresh_from_db()
    assert row.state == "failed" and "no link" in row.last_error
    interview.refresh_from_db()
    assert interview.token_hash == ""


# --- Sending the link again -----------------------------------------------------------------


def test_a_reader_sends_the_link_again_to_a_corrected_address(client, cast, settings):
    interview = invite(cast, email="lee@wrong.example.nhs.uk")
    first = send_link(interview, settings)
    services.answers_save(interview=interview, answers={2: "The team"})
    sent_to = services.interview_link_resend(
        interview=interview, actor=cast.reviewer, email=" Lee@GP.example.nhs.uk "
    )
    assert sent_to == "lee@gp.example.nhs.uk"
    interview.refresh_from_db()
    assert interview.leaver_email == "lee@gp.example.nhs.uk"
    assert services.open_by_token(first) == interview  # until the new email is sent
    second = send_link(interview, settings)
    assert mail.outbox[-1].to == ["lee@gp.example.nhs.uk"] and second != first
    assert services.open_by_token(first) is None
    assert services.open_by_token(second) == interview
    body = client.get(reverse("engagement:interview-respond", args=[second])).content.decode()
    assert ">\nThe team</textarea>" in body  # the saved answer is kept
    event = AuditEvent.objects.get(event="interview.link_resent")
    assert event.payload == {"address_changed": True, "emails": 2}
    assert "lee@" not in json.dumps(event.payload)


def test_a_resent_email_that_fails_leaves_the_link_the_leaver_has(cast, settings):
    interview = invite(cast)
    first = send_link(interview, settings)
    services.interview_link_resend(interview=interview, actor=cast.reviewer)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    row = OutboxMessage.objects.get(kind=services.INVITATION_KIND, state="pending")
    assert mailer.send_ids([row.pk]) == 0
    assert services.open_by_token(first) == interview


def test_an_email_still_waiting_for_the_wrong_address_is_stopped(cast, settings):
    interview = invite(cast, email="lee@wrong.example.nhs.uk")
    services.interview_link_resend(
        interview=interview, actor=cast.reviewer, email="lee@gp.example.nhs.uk"
    )
    rows = OutboxMessage.objects.filter(kind=services.INVITATION_KIND).order_by("id")
    assert [(r.to_email, r.state) for r in rows] == [
        ("", "failed"),
        ("lee@gp.example.nhs.uk", "pending"),
    ]
    assert rows[0].last_error == services.REPLACED_NOTE
    assert mailer.failed_resend() == []  # nowhere to send it
    token = send_link(interview, settings)
    assert mail.outbox[-1].to == ["lee@gp.example.nhs.uk"] and len(mail.outbox) == 1
    assert services.open_by_token(token) == interview


def test_the_link_is_sent_again_only_while_it_can_be_answered_and_only_by_its_readers(
    cast, settings
):
    interview = invite(cast, readers=[cast.reviewer])
    with pytest.raises(PermissionDenied):
        services.interview_link_resend(interview=interview, actor=cast.chair)
    with pytest.raises(services.InterviewError, match="in the correct format"):
        services.interview_link_resend(interview=interview, actor=cast.reviewer, email="lee@")
    for _ in range(services.MOST_EMAILS - 1):
        services.interview_link_resend(interview=interview, actor=cast.reviewer)
    with pytest.raises(services.InterviewError, match="the most we send"):
        services.interview_link_resend(interview=interview, actor=cast.reviewer)
    assert OutboxMessage.objects.filter(kind=services.INVITATION_KIND).count() == 5
    closed = invite(cast, email="sam@gp.example.nhs.uk")
    ExitInterview.objects.filter(pk=closed.pk).update(
        closes_on=timezone.localdate() - dt.timedelta(days=1)
    )
    with pytest.raises(services.InterviewError, match="closing date has passed"):
        services.interview_link_resend(interview=closed, actor=cast.reviewer)
    done = answered(cast, email="kim@gp.example.nhs.uk")
    with pytest.raises(services.InterviewError, match="has answered"):
        services.interview_link_resend(interview=done, actor=cast.reviewer)
    assert not AuditEvent.objects.filter(event="interview.link_resent", object_id=done.pk)


# --- The leaver's link -----------------------------------------------------------------------


def test_a_leaver_saves_changes_and_sends_answers_then_the_link_stops(client, cast, settings):
    interview = invite(cast, readers=[cast.reviewer, cast.chair])
    url = reverse("engagement:interview-respond", args=[send_link(interview, settings)])
    saved = client.post(url, {"answer_2": "The team", "answer_3": "Rotas", "action": "save"})
    assert saved.status_code == 302 and saved["Location"] == url
    assert "Your answers are saved" in client.get(url).content.decode()
    body = client.get(url).content.decode()
    assert ">\nThe team</textarea>" in body and ">\nRotas</textarea>" in body
    nothing = client.post(url, {"answer_2": "", "answer_3": " ", "action": "send"})
    assert "Answer at least one question" in nothing.content.decode()
    assert interview.answers.get(order=2).text == "The team"  # refused whole: nothing lost
    sent = client.post(url, {"answer_3": SECRET, "action": "send"})
    assert sent["Location"] == reverse("engagement:interview-thanks")
    assert "Your answers are sent" in client.get(sent["Location"]).content.decode()
    interview.refresh_from_db()
    assert interview.state == "answered" and interview.token_hash == ""
    assert [a.text for a in interview.answers.all()][1:3] == ["", SECRET]
    used = client.get(url)
    assert used.status_code == 404 and "This link does not work" in used.content.decode()
    assert client.post(url, {"answer_1": "Again", "action": "send"}).status_code == 404
    # The readers hear, without the leaver's name in the email.
    told = OutboxMessage.objects.filter(kind=services.ANSWERED_KIND)
    assert {m.recipient_id for m in told} == {cast.reviewer.pk, cast.chair.pk}
    assert all("Leaver" not in m.body + m.subject for m in told)


def test_markup_in_an_answer_is_refused_with_a_message(client, cast, settings):
    interview = invite(cast)
    url = reverse("engagement:interview-respond", args=[send_link(interview, settings)])
    response = client.post(url, {"answer_1": "<script>x</script>", "action": "send"})
    assert response.status_code == 200 and "must be plain text" in response.content.decode()
    interview.refresh_from_db()
    assert interview.state == "invited"


def test_guessed_malformed_replaced_and_expired_links_do_not_work(client, cast, settings):
    interview = invite(cast)
    token = send_link(interview, settings)
    guessed, _ = links.new_token()
    for wrong in (guessed, "short", token[:-1], token + "x"):
        response = client.get(reverse("engagement:interview-respond", args=[wrong]))
        assert response.status_code == 404, wrong
        assert "This link does not work" in response.content.decode()
    # A newer email replaces the link once the mail server has accepted it.
    row = OutboxMessage.objects.get(kind=services.INVITATION_KIND)
    newer = services.mint_link(row)
    assert client.get(reverse("engagement:interview-respond", args=[token])).status_code == 200
    services.link_sent(row)
    assert client.get(reverse("engagement:interview-respond", args=[token])).status_code == 404
    assert client.get(newer).status_code == 200
    # It works to the end of the closing day (UK), and not after.
    newest = LINK.search(newer).group(1)  # type: ignore[union-attr]
    today = timezone.localdate()
    ExitInterview.objects.filter(pk=interview.pk).update(closes_on=today)
    assert client.get(newer).status_code == 200
    ExitInterview.objects.filter(pk=interview.pk).update(closes_on=today - dt.timedelta(days=1))
    expired = client.post(newer, {"answer_1": "Late", "action": "send"})
    assert expired.status_code == 404 and newest not in expired.content.decode()
    assert interview.answers.get(order=1).text == ""


def test_opening_links_is_rate_limited(client, cast, settings):
    settings.ICSVOICE_LINK_RATE = 2
    interview = invite(cast)
    token = send_link(interview, settings)
    url = reverse("engagement:interview-respond", args=[token])
    guess = reverse("engagement:interview-respond", args=[links.new_token()[0]])
    codes = [client.get(u).status_code for u in (guess, url, url, url, guess, url)]
    assert codes == [404, 200, 200, 200, 404, 429]
    assert client.post(url, {"answer_1": "x", "action": "send"}).status_code == 429
    assert ExitInterview.objects.get(pk=interview.pk).state == "invited"


# --- Themes and the report -------------------------------------------------------------------


def test_a_reader_tags_themes_and_extends_the_list(cast):
    interview = answered(cast)
    themes = services.themes_ensure(cast.ics)
    assert {"Workload", "Premises", "Family and health"} <= {t.name for t in themes}
    services.themes_tag(
        interview=interview,
        theme_ids=[themes[0].pk],
        new_theme="  Out-of-hours  work ",
        actor=cast.reviewer,
    )
    assert sorted(t.name for t in interview.themes.all()) == sorted(
        [themes[0].name, "Out-of-hours work"]
    )
    again = services.themes_tag(
        interview=interview, theme_ids=[], new_theme="out-of-hours WORK", actor=cast.reviewer
    )
    assert [t.name for t in again.themes.all()] == ["Out-of-hours work"]
    assert cast.ics.interview_themes.count() == len(services.DEFAULT_THEMES) + 1
    event = AuditEvent.objects.filter(event="interview.themes_tagged").last()
    assert event.payload == {"themes": 1, "theme_added": False}  # never which themes


def test_themes_wait_for_answers_and_come_from_the_icss_list(cast):
    interview = invite(cast)
    themes = services.themes_ensure(cast.ics)
    with pytest.raises(services.InterviewError, match="once the leaver has sent"):
        services.themes_tag(interview=interview, theme_ids=[themes[0].pk], actor=cast.reviewer)
    done = answered(cast, email="x@gp.example.nhs.uk")
    theirs = services.themes_ensure(cast.other_ics)
    with pytest.raises(services.InterviewError, match="from the list"):
        services.themes_tag(interview=done, theme_ids=[theirs[0].pk], actor=cast.reviewer)


def tagged(cast, kind: str, *names: str, email: str) -> ExitInterview:
    interview = answered(cast, role_kind=kind, email=email)
    ids = list(cast.ics.interview_themes.filter(name__in=names).values_list("pk", flat=True))
    return services.themes_tag(interview=interview, theme_ids=ids, actor=cast.reviewer)


def build_themes(cast) -> Period:
    """Five interviews answered in the period (3 GP partners, 2 salaried GPs), one answered
    before it and one never answered. By hand, in the period:
    Answered: 5 = partners 3 + salaried 2. Salaried (2) is below 3, and with the total shown
    it would be 5 - 3: so partners is withheld too ("not shown").
    Workload: 4 = partners 3 + salaried 1: the same, partners withheld.
    Digital and IT: 3 = partners 2 + salaried 1: both below 3.
    Premises: 1 (partner 3). Every other theme 0. Below 3: both "fewer than 3", listed by
    name after the shown counts, so the order does not say Premises had one."""
    services.themes_ensure(cast.ics)
    partner, salaried = RoleKind.GP_PARTNER, RoleKind.SALARIED_GP
    tagged(cast, partner, "Workload", "Digital and IT", email="p1@x.nhs.uk")
    tagged(cast, partner, "Workload", "Digital and IT", email="p2@x.nhs.uk")
    tagged(cast, partner, "Workload", "Premises", email="p3@x.nhs.uk")
    tagged(cast, salaried, "Workload", email="s1@x.nhs.uk")
    tagged(cast, salaried, "Digital and IT", email="s2@x.nhs.uk")
    before = tagged(cast, salaried, "Workload", "Premises", email="old@x.nhs.uk")
    long_ago = timezone.now() - dt.timedelta(days=400)  # in an earlier financial year
    ExitInterview.objects.filter(pk=before.pk).update(answered_at=long_ago)
    invite(cast, role_kind=partner, email="never@x.nhs.uk")
    today = timezone.localdate()
    return Period(today - dt.timedelta(days=30), today)


def test_the_themes_report_by_hand_hides_counts_below_three(cast):
    report = services.themes_report(ics=cast.ics, period=build_themes(cast))
    assert report.answered.shown == "5"
    assert [(label, count.shown) for _, label, count in report.kinds] == [
        ("GP partner", "not shown"),
        ("Salaried GP", "fewer than 3"),
    ]
    shown = [
        (line.theme, line.total.shown, [c.shown for _, c in line.by_kind]) for line in report.lines
    ]
    few, hidden = "fewer than 3", "not shown"
    assert shown == [
        ("Workload", "4", [hidden, few]),
        ("Digital and IT", "3", [few, few]),
        ("Family and health", few, [few, few]),
        ("Leadership culture", few, [few, few]),
        ("Pay and contracts", few, [few, few]),
        ("Premises", few, [few, few]),
        ("Training and development", few, [few, few]),
    ]
    # The real numbers are there for sums, never for display.
    premises = next(line for line in report.lines if line.theme == "Premises")
    assert premises.total.number == 1 and premises.total.suppressed


def test_one_hidden_cell_never_stands_alone_beside_a_shown_total():
    protect, C = services._protect, services.Count
    assert [c.shown for c in protect(C(9), [C(5), C(3), C(1)])] == [
        "5",
        "not shown",
        "fewer than 3",
    ]
    assert [c.shown for c in protect(C(9), [C(5), C(4)])] == ["5", "4"]
    assert [c.shown for c in protect(C(4), [C(2), C(2)])] == ["fewer than 3"] * 2
    assert [c.shown for c in protect(C(2), [C(2), C(0)])] == ["fewer than 3"] * 2


def test_a_report_of_a_quiet_period_shows_no_small_numbers(cast):
    answered(cast, role_kind=RoleKind.LOCUM_GP)
    answered(cast, email="nokind@x.nhs.uk")
    today = timezone.localdate()
    report = services.themes_report(ics=cast.ics, period=Period(today, today))
    assert report.answered.shown == "fewer than 3"
    assert [(label, count.shown) for _, label, count in report.kinds] == [
        ("Locum GP", "fewer than 3"),
        ("Not recorded", "fewer than 3"),
    ]


# --- Erasure and the audit trail -------------------------------------------------------------


def test_leavers_are_erased_90_days_after_answering_or_lapsing(cast, settings):
    done = answered(cast, email="done@x.nhs.uk")
    send = OutboxMessage.objects.get(kind=services.INVITATION_KIND, object_id=str(done.pk))
    OutboxMessage.objects.filter(pk=send.pk).update(state="sent")
    lapsed = invite(cast, email="lapsed@x.nhs.uk")
    # Saved to finish later, never sent: nobody may read it, so it goes with the name.
    services.answers_save(interview=lapsed, answers={1: "A draft never sent"}, send=False)
    recent = invite(cast, email="recent@x.nhs.uk")
    now = timezone.now()
    today = timezone.localdate()
    ExitInterview.objects.filter(pk=done.pk).update(answered_at=now - dt.timedelta(days=90))
    ExitInterview.objects.filter(pk=lapsed.pk).update(closes_on=today - dt.timedelta(days=91))
    ExitInterview.objects.filter(pk=recent.pk).update(closes_on=today - dt.timedelta(days=89))
    assert erase_leavers() == 2
    assert erase_leavers() == 0  # safe to run twice
    for interview in (done, lapsed):
        interview.refresh_from_db()
        assert (interview.leaver_name, interview.leaver_email) == ("", "")
        assert interview.leaver == "A leaver" and interview.erased_at
    assert done.answers.get(order=1).text == SECRET  # the answers sent stay
    assert set(lapsed.answers.values_list("text", flat=True)) == {""}
    assert ExitInterview.objects.get(pk=recent.pk).leaver_email == "recent@x.nhs.uk"
    emails = OutboxMessage.objects.filter(
        kind=services.INVITATION_KIND, object_id__in=[str(done.pk), str(lapsed.pk)]
    )
    assert {(m.to_email, m.to_name) for m in emails} == {("", "")}
    assert emails.get(object_id=str(lapsed.pk)).state == "failed"  # it never went
    events = AuditEvent.objects.filter(event="interview.erased").order_by("object_id")
    assert [(e.role, e.payload) for e in events] == [
        ("system", {"after": "answered"}),
        ("system", {"after": "lapsed"}),
    ]


def test_no_audit_event_holds_an_answer_a_name_or_an_address(client, cast, settings):
    interview = invite(cast, name="Dr Unique Leavername", email="unique@gp.example.nhs.uk")
    url = reverse("engagement:interview-respond", args=[send_link(interview, settings)])
    client.post(url, {"answer_1": SECRET, "action": "save"})
    client.post(url, {"answer_1": SECRET, "action": "send"})
    themes = services.themes_ensure(cast.ics)
    services.themes_tag(interview=interview, theme_ids=[themes[0].pk], actor=cast.reviewer)
    ExitInterview.objects.filter(pk=interview.pk).update(
        answered_at=timezone.now() - dt.timedelta(days=91)
    )
    services.leavers_erase()
    events = AuditEvent.objects.filter(event__startswith="interview.")
    assert {e.event for e in events} == {
        "interview.questions_changed",
        "interview.invited",
        "interview.answers_saved",
        "interview.answered",
        "interview.themes_tagged",
        "interview.erased",
    }
    trail = json.dumps([e.payload for e in events]) + " ".join(e.actor_label for e in events)
    for secret in (SECRET, "Unique", "unique@", "Riverside", themes[0].name):
        assert secret not in trail
    assert all(e.ics_id == cast.ics.pk for e in events)
