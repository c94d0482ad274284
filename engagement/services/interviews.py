"""Exit interviews: who may do what, the reads the pages need, and every change.

Who: an ICS's staff reviewers and the chairs of its leadership groups ("interview staff")
manage the question set, invite leavers, see the list and the themes report. Only an
interview's named readers (interview staff chosen at invitation) read its answers and tag
its themes. Another ICS's interview is a 404; anyone else in the ICS gets a 403. Site
administrators are given nothing here.

Nothing an audit event records holds an answer, a leaver's name or address, or which themes
one interview was tagged with (every ICS reviewer reads the trail; the themes report shows
themes only in counts of 3 or more).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from engagement.access import ics_for_interview_staff
from engagement.models.interviews import (
    ExitInterview,
    InterviewAnswer,
    InterviewQuestion,
    InterviewTheme,
    RoleKind,
)
from engagement.reports import Period
from groups.models import ICS, GroupMembership, IcsReviewer
from icsvoice import audit, links
from icsvoice.errors import DomainError
from icsvoice.mailer import PermanentFailure
from icsvoice.models import OutboxMessage, User
from icsvoice.notifications import notify, notify_addresses
from icsvoice.registry import has_role
from icsvoice.text import markup_in

INVITATION_KIND = "engagement.exit_interview"
ANSWERED_KIND = "engagement.exit_interview_answered"
ERASE_AFTER_DAYS = 90
LONGEST_OPEN_DAYS = 180
MOST_EMAILS = 5  # the invitation and up to four resends: a link, not a mailing
REPLACED_NOTE = "Stopped: the link was sent again to a corrected address."
LEAVING_WITHIN_DAYS = 731
FEWEST_SHOWN = 3  # a theme count below this shows as "fewer than 3"
ANSWER_MAX = 5000

READERS_ONLY = "Only this interview's named readers can read it."

DEFAULT_QUESTIONS = (
    "What role are you leaving, and how long were you in it?",
    "What worked well in the role?",
    "What did not work, or made the role harder than it needed to be?",
    "What, if anything, would have kept you in the role?",
    "What should the ICS change for the people who take on roles like yours?",
    "Is there anything else you would like us to know?",
)
DEFAULT_THEMES = (
    "Workload",
    "Pay and contracts",
    "Premises",
    "Digital and IT",
    "Leadership culture",
    "Training and development",
    "Family and health",
)


class InterviewError(DomainError):
    pass


def check_plain(fields: Mapping[str, str]) -> None:
    """Refuses the first {label: text} holding markup: everything here is plain text."""
    for label, value in fields.items():
        found = markup_in(value or "")
        if found:
            raise InterviewError(f"{label} must be plain text: remove the HTML ({found})")


# --- Who may do what -------------------------------------------------------------------------


def interview_for_reader(*, user: User, interview_id: int) -> ExitInterview:
    """The interview, for its named readers while they are still interview staff."""
    interview = (
        ExitInterview.objects.select_related("ics", "invited_by").filter(pk=interview_id).first()
    )
    if interview is None:
        raise Http404("No such exit interview.")
    ics_for_interview_staff(user=user, ics_id=interview.ics_id)
    if not interview.readers.filter(pk=user.pk).exists():
        raise PermissionDenied(READERS_ONLY)
    return interview


def question_for_staff(*, ics: ICS, question_id: int) -> InterviewQuestion:
    question = InterviewQuestion.objects.filter(pk=question_id, ics=ics).first()
    if question is None:
        raise Http404("No such question.")
    return question


def _acting_role(user: User, ics_id: int) -> str:
    return "ics_reviewer" if has_role(user, "ics_reviewer", ics_id=ics_id) else "group_chair"


# --- Reads -----------------------------------------------------------------------------------


def interview_staff(ics: ICS) -> QuerySet[User]:
    """The people who may be named readers: the ICS's current staff reviewers and the
    current chairs of its leadership groups."""
    reviewers = IcsReviewer.objects.current().filter(ics=ics).values("user")
    chairs = (
        GroupMembership.objects.current()
        .filter(group__ics=ics, role=GroupMembership.Role.CHAIR)
        .values("user")
    )
    return User.objects.filter(Q(pk__in=reviewers) | Q(pk__in=chairs), is_active=True).order_by(
        "full_name", "email"
    )


def active_questions(ics: ICS) -> list[InterviewQuestion]:
    return list(ics.interview_questions.filter(retired_at__isnull=True).order_by("order"))


@dataclass(frozen=True)
class Row:
    interview: ExitInterview
    readable: bool  # the person is a named reader: the list may show who and what


def interview_rows(*, ics: ICS, user: User) -> list[Row]:
    """Every interview of the ICS, newest first; who it is about only for its readers."""
    interviews = list(ExitInterview.objects.filter(ics=ics).order_by("-invited_at", "-id"))
    mine = set(
        ExitInterview.readers.through.objects.filter(
            user_id=user.pk, exitinterview__ics=ics
        ).values_list("exitinterview_id", flat=True)
    )
    return [Row(interview, interview.pk in mine) for interview in interviews]


def waiting_for_themes(user: User) -> list[ExitInterview]:
    """Answered interviews the person reads whose themes nobody has tagged yet."""
    return list(
        ExitInterview.objects.filter(
            readers=user, state=ExitInterview.State.ANSWERED, themes_tagged_at__isnull=True
        ).order_by("answered_at")[:20]
    )


def open_by_token(token: str) -> ExitInterview | None:
    """The interview a personal link opens, while it can be answered; otherwise None."""
    if not links.looks_like_token(token):
        return None
    interview = ExitInterview.objects.filter(
        links.opens(token),
        state=ExitInterview.State.INVITED,
        erased_at__isnull=True,
        closes_on__gte=timezone.localdate(),
    ).first()
    return interview


# --- The question set and the theme list -----------------------------------------------------


def _lock_ics(ics: ICS) -> None:
    list(ICS.objects.select_for_update().filter(pk=ics.pk).values_list("pk", flat=True))


@transaction.atomic
def questions_ensure(*, ics: ICS, actor: User) -> list[InterviewQuestion]:
    """The ICS's current questions; the default set is created the first time anyone asks."""
    if ics.interview_questions.exists():
        return active_questions(ics)
    _lock_ics(ics)
    if ics.interview_questions.exists():  # someone else made them while we waited
        return active_questions(ics)
    InterviewQuestion.objects.bulk_create(
        [
            InterviewQuestion(ics=ics, text=text, order=order, created_by=actor)
            for order, text in enumerate(DEFAULT_QUESTIONS, start=1)
        ]
    )
    questions = active_questions(ics)
    audit.record(
        event="interview.questions_changed",
        actor=actor,
        role=_acting_role(actor, ics.pk),
        obj=questions[0],
        ics_id=ics.pk,
        payload={"change": "default_set", "questions": len(questions)},
    )
    return questions


def _question_text(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise InterviewError("Enter the question")
    if len(text) > 500:
        raise InterviewError("The question must be 500 characters or fewer")
    check_plain({"The question": text})
    return text


def _questions_changed(actor: User, question: InterviewQuestion, change: str) -> None:
    audit.record(
        event="interview.questions_changed",
        actor=actor,
        role=_acting_role(actor, question.ics_id),
        obj=question,
        ics_id=question.ics_id,
        payload={"change": change, "text": question.text},
    )


@transaction.atomic
def question_add(*, ics: ICS, text: str, actor: User) -> InterviewQuestion:
    """Adds a question at the end of the set; interviews already sent do not get it."""
    text = _question_text(text)
    questions_ensure(ics=ics, actor=actor)
    _lock_ics(ics)
    last = ics.interview_questions.aggregate(last=Max("order"))["last"] or 0
    question = InterviewQuestion.objects.create(
        ics=ics, text=text, order=last + 1, created_by=actor
    )
    _questions_changed(actor, question, "added")
    return question


@transaction.atomic
def question_reword(*, question: InterviewQuestion, text: str, actor: User) -> InterviewQuestion:
    """New wording for interviews sent from now on; those sent keep the wording they had."""
    text = _question_text(text)
    if question.retired_at is not None:
        raise InterviewError("This question is retired: add a new question instead")
    if text == question.text:
        raise InterviewError("The wording is the same as before: change it, or go back")
    moved = InterviewQuestion.objects.filter(pk=question.pk, retired_at__isnull=True).update(
        text=text
    )
    if moved != 1:
        raise InterviewError("This question is retired: add a new question instead")
    question.text = text
    _questions_changed(actor, question, "reworded")
    return question


@transaction.atomic
def question_retire(*, question: InterviewQuestion, actor: User) -> InterviewQuestion:
    """Stops asking a question; past interviews keep it with their answers."""
    now = timezone.now()
    moved = InterviewQuestion.objects.filter(pk=question.pk, retired_at__isnull=True).update(
        retired_at=now
    )
    if moved != 1:
        raise InterviewError("This question is already retired")
    question.retired_at = now
    _questions_changed(actor, question, "retired")
    return question


def themes_ensure(ics: ICS) -> list[InterviewTheme]:
    """The ICS's theme list; the default list is created the first time anyone asks."""
    if not ics.interview_themes.exists():
        with transaction.atomic():
            _lock_ics(ics)
            if not ics.interview_themes.exists():
                InterviewTheme.objects.bulk_create(
                    [InterviewTheme(ics=ics, name=name) for name in DEFAULT_THEMES]
                )
    return list(ics.interview_themes.order_by("name"))


# --- Inviting a leaver -----------------------------------------------------------------------


def _invitation_body(interview: ExitInterview, ics: ICS) -> str:
    return (
        f"{ics.name} is sorry to see you go, and would like to learn from your time as "
        f"{interview.role_left}. Please answer a few short questions about the role: what "
        "worked, what did not, and what would have kept you.\n\n"
        "Every question is optional. You can save your answers and come back to them, "
        "until you send them. Only the people the ICS named to read them will see your "
        "answers; reports show themes across several interviews and never name anyone.\n\n"
        f"The link below works until the end of {interview.closes_on:%A %-d %B %Y}."
    )


@transaction.atomic
def interview_invite(
    *,
    ics: ICS,
    actor: User,
    name: str,
    email: str,
    role_left: str,
    leaving_on: dt.date,
    closes_on: dt.date,
    readers: Iterable[User],
    role_kind: str = "",
) -> ExitInterview:
    """Records the invitation with the questions as they are now worded, and emails the
    leaver a personal link (minted when the email is sent)."""
    today = timezone.localdate()
    name, role_left = name.strip(), role_left.strip()
    if not name:
        raise InterviewError("Enter the leaver's name")
    if not email.strip():
        raise InterviewError("Enter the leaver's email address")
    email = _leaver_email(email)
    if not role_left:
        raise InterviewError("Enter the role they are leaving")
    check_plain({"The leaver's name": name, "The role they are leaving": role_left})
    if role_kind and role_kind not in RoleKind.values:
        raise InterviewError("Choose the kind of role from the list")
    if abs((leaving_on - today).days) > LEAVING_WITHIN_DAYS:
        raise InterviewError("The leaving date must be within two years of today")
    if closes_on < today:
        raise InterviewError("The closing date must be today or in the future")
    if closes_on > today + dt.timedelta(days=LONGEST_OPEN_DAYS):
        raise InterviewError(f"The closing date must be within {LONGEST_OPEN_DAYS} days of today")
    chosen = {reader.pk for reader in readers}
    if not chosen:
        raise InterviewError("Choose at least one named reader")
    allowed = set(interview_staff(ics).filter(pk__in=chosen).values_list("pk", flat=True))
    if chosen - allowed:
        raise InterviewError(
            "Named readers must be the ICS's staff reviewers or leadership group chairs"
        )
    questions = questions_ensure(ics=ics, actor=actor)
    if not questions:
        raise InterviewError("There are no questions to ask: add a question first")
    interview = ExitInterview.objects.create(
        ics=ics,
        leaver_name=name[:150],
        leaver_email=email,
        role_left=role_left[:200],
        role_kind=role_kind,
        leaving_on=leaving_on,
        closes_on=closes_on,
        invited_by=actor,
    )
    interview.readers.set(sorted(chosen))
    InterviewAnswer.objects.bulk_create(
        [
            InterviewAnswer(interview=interview, order=n, question=q, wording=q.text)
            for n, q in enumerate(questions, start=1)
        ]
    )
    audit.record(
        event="interview.invited",
        actor=actor,
        role=_acting_role(actor, ics.pk),
        obj=interview,
        ics_id=ics.pk,
        payload={
            "closes_on": closes_on.isoformat(),
            "questions": len(questions),
            "readers": sorted(chosen),
        },
    )
    notify_addresses(
        kind=INVITATION_KIND,
        objects_and_addresses=[(interview, email, name)],
        subject=f"Your exit interview with {ics.name}"[:200],
        body=_invitation_body(interview, ics),
    )
    return interview


def resend_refusal(interview: ExitInterview, emails: int | None = None) -> str:
    """Why the link cannot be sent again now, or "". `emails`: how many have gone, if known."""
    if interview.erased_at is not None or interview.state != ExitInterview.State.INVITED:
        return "The leaver has answered or the interview has closed: there is no link to send."
    if interview.closes_on < timezone.localdate():
        return "The closing date has passed: there is no link to send."
    if emails is None:
        emails = _invitation_emails(interview.pk).count()
    if emails >= MOST_EMAILS:
        return (
            f"The link has been emailed {MOST_EMAILS} times, the most we send. "
            "Ask the leaver to check their junk mail, or invite them again."
        )
    return ""


def _invitation_emails(interview_id: int) -> QuerySet[OutboxMessage]:
    """Every email that carried (or will carry) this interview's link."""
    return OutboxMessage.objects.filter(
        kind=INVITATION_KIND,
        object_type=ExitInterview._meta.label_lower,
        object_id=str(interview_id),
    )


def _leaver_email(email: str) -> str:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InterviewError("Enter the leaver's email address in the correct format") from None
    return email


@transaction.atomic
def interview_link_resend(*, interview: ExitInterview, actor: User, email: str = "") -> str:
    """Emails the leaver a new personal link (the old one stops working once it is sent),
    to a corrected address if one is given. Their saved answers stay. For the interview's
    named readers. Returns the address it went to."""
    locked = ExitInterview.objects.select_for_update().get(pk=interview.pk)
    if not locked.readers.filter(pk=actor.pk).exists():
        raise PermissionDenied(READERS_ONLY)
    emails = _invitation_emails(locked.pk)
    sends = emails.count()
    refusal = resend_refusal(locked, sends)
    if refusal:
        raise InterviewError(refusal)
    email = _leaver_email(email) if email.strip() else ""
    changed = bool(email) and email != locked.leaver_email
    if changed:
        ExitInterview.objects.filter(pk=locked.pk).update(leaver_email=email)
        # An earlier email still waiting would go to the wrong address: it is stopped, and
        # the address blanked so that "send failed emails again" cannot send it either.
        emails.filter(state=OutboxMessage.State.PENDING).update(
            state=OutboxMessage.State.FAILED, to_email="", to_name="", last_error=REPLACED_NOTE
        )
        locked.leaver_email = email
    notify_addresses(
        kind=INVITATION_KIND,
        objects_and_addresses=[(locked, locked.leaver_email, locked.leaver_name)],
        subject=f"Your exit interview with {locked.ics.name}"[:200],
        body=_invitation_body(locked, locked.ics),
        version=f"resend-{sends}",
    )
    audit.record(
        event="interview.link_resent",
        actor=actor,
        role=_acting_role(actor, locked.ics_id),
        obj=locked,
        ics_id=locked.ics_id,
        payload={"address_changed": changed, "emails": sends + 1},
    )
    return locked.leaver_email


def mint_link(message: OutboxMessage) -> str:
    """The leaver's personal link, made as their email is built: a new token, pending until
    the server accepts the email (`link_sent`). No link for an interview answered, lapsed or
    erased."""
    token, hashed = links.new_token()
    try:
        interview_id = int(message.object_id)
    except ValueError as error:
        raise PermanentFailure("The email is not about an exit interview.") from error
    minted = ExitInterview.objects.filter(
        pk=interview_id,
        state=ExitInterview.State.INVITED,
        erased_at__isnull=True,
        closes_on__gte=timezone.localdate(),
    ).update(pending_token_hash=hashed)
    if minted != 1:
        raise PermanentFailure("The exit interview is answered, closed or erased: no link.")
    return reverse("engagement:interview-respond", args=[token])


def link_sent(message: OutboxMessage) -> None:
    """The mail server accepted the email: its link replaces the last one."""
    links.promote(
        ExitInterview.objects.filter(
            pk=int(message.object_id), state=ExitInterview.State.INVITED, erased_at__isnull=True
        ),
        link_sent_at=timezone.now(),
    )


# --- The leaver's answers --------------------------------------------------------------------


@transaction.atomic
def answers_save(
    *, interview: ExitInterview, answers: Mapping[int, str], send: bool = False
) -> ExitInterview:
    """Saves the leaver's answers (by question order); `send` submits them, after which
    they cannot change and the link stops working. Sending needs at least one answer."""
    locked = (
        ExitInterview.objects.select_for_update()
        .filter(pk=interview.pk, state=ExitInterview.State.INVITED, erased_at__isnull=True)
        .first()
    )
    if locked is None or not locked.is_open():
        raise InterviewError("This interview has closed: your answers could not be saved")
    rows = list(locked.answers.order_by("order"))
    for row in rows:
        text = (answers.get(row.order) or "").strip()
        if len(text) > ANSWER_MAX:
            raise InterviewError(f"Each answer must be {ANSWER_MAX} characters or fewer")
        check_plain({"Your answer": text})
        row.text = text
    InterviewAnswer.objects.bulk_update(rows, ["text"])
    now = timezone.now()
    locked.saved_at = now
    if not send:
        locked.save(update_fields=["saved_at"])
        audit.record(
            event="interview.answers_saved",
            role="anonymous",
            obj=locked,
            ics_id=locked.ics_id,
            payload={"answered": sum(1 for row in rows if row.text), "questions": len(rows)},
        )
        return locked
    answered = sum(1 for row in rows if row.text)
    if not answered:
        raise InterviewError("Answer at least one question before you send your answers")
    locked.state = ExitInterview.State.ANSWERED
    locked.answered_at = now
    locked.token_hash = locked.pending_token_hash = ""
    locked.save(
        update_fields=["saved_at", "state", "answered_at", "token_hash", "pending_token_hash"]
    )
    audit.record(
        event="interview.answered",
        role="anonymous",
        obj=locked,
        ics_id=locked.ics_id,
        payload={"answered": answered, "questions": len(rows)},
    )
    notify(
        kind=ANSWERED_KIND,
        obj=locked,
        recipients=list(locked.readers.values_list("pk", flat=True)),
        subject="An exit interview you read has been answered",
        body="A leaver has sent their answers. Read them, and tag the themes they raise.",
        url=reverse("engagement:interview-detail", args=[locked.pk]),
    )
    return locked


# --- Themes ----------------------------------------------------------------------------------


def _theme_name(name: str) -> str:
    name = " ".join((name or "").split())
    if len(name) > 60:
        raise InterviewError("A new theme must be 60 characters or fewer")
    check_plain({"The new theme": name})
    return name


@transaction.atomic
def themes_tag(
    *,
    interview: ExitInterview,
    theme_ids: Iterable[int],
    actor: User,
    new_theme: str = "",
) -> ExitInterview:
    """Sets the themes an answered interview raises, from the ICS's list, adding a new
    theme to that list if named. The audit event says how many, not which."""
    state = (
        ExitInterview.objects.select_for_update()
        .filter(pk=interview.pk)
        .values_list("state", flat=True)
        .first()
    )
    if state != ExitInterview.State.ANSWERED:
        raise InterviewError("Themes can be tagged once the leaver has sent their answers")
    ics = interview.ics
    wanted = set(theme_ids)
    found = set(ics.interview_themes.filter(pk__in=wanted).values_list("pk", flat=True))
    if wanted - found:
        raise InterviewError("Choose themes from the list")
    name = _theme_name(new_theme)
    added = False
    if name:
        existing = ics.interview_themes.filter(name__iexact=name).first()
        if existing is None:
            try:
                with transaction.atomic():
                    existing = InterviewTheme.objects.create(ics=ics, name=name, created_by=actor)
            except IntegrityError:  # added by someone else a moment ago
                existing = ics.interview_themes.get(name__iexact=name)
            added = True
        found.add(existing.pk)
    interview.themes.set(sorted(found))
    interview.themes_tagged_at = timezone.now()
    interview.save(update_fields=["themes_tagged_at"])
    audit.record(
        event="interview.themes_tagged",
        actor=actor,
        role=_acting_role(actor, ics.pk),
        obj=interview,
        ics_id=ics.pk,
        payload={"themes": len(found), "theme_added": added},
    )
    return interview


@dataclass(frozen=True)
class Count:
    """A figure of the themes report. `number` is for sums and tests, never for display:
    pages show `shown`. A count below 3 is "fewer than 3"; a count withheld so that a
    small one cannot be worked out from the row's total is "not shown"."""

    number: int
    withheld: bool = False

    @property
    def suppressed(self) -> bool:
        return self.number < FEWEST_SHOWN

    @property
    def shown(self) -> str:
        if self.suppressed:
            return f"fewer than {FEWEST_SHOWN}"
        return "not shown" if self.withheld else str(self.number)


def _protect(total: Count, cells: list[Count]) -> list[Count]:
    """Cells that add up to a shown total: if only one of them is hidden, the total less
    the others would give it away, so the next smallest is withheld too."""
    if total.suppressed:
        return cells
    hidden = [cell for cell in cells if cell.suppressed]
    shown = sorted((cell for cell in cells if not cell.suppressed), key=lambda c: c.number)
    if len(hidden) != 1 or not shown:
        return cells
    smallest = shown[0]
    position = next(i for i, cell in enumerate(cells) if cell is smallest)
    return [*cells[:position], Count(smallest.number, withheld=True), *cells[position + 1 :]]


@dataclass
class ThemeLine:
    theme: str
    total: Count
    by_kind: list[tuple[str, Count]] = field(default_factory=list)  # (kind's label, count)


@dataclass
class ThemesReport:
    period: Period
    answered: Count
    kinds: list[tuple[str, str, Count]]  # (code, label, interviews of that kind)
    lines: list[ThemeLine]


NOT_RECORDED = ("", "Not recorded")


def themes_report(*, ics: ICS, period: Period) -> ThemesReport:
    """Across the interviews answered in the period: how many raise each theme, in all and
    by the kind of role left (where any kind is recorded; those without one are their own
    column). Counts below 3 show only as "fewer than 3"; a row whose total is shown never
    has just one hidden cell (see _protect); themes are listed by their shown counts, so
    the order gives nothing hidden away. Three queries however many interviews."""
    lower, upper = period.bounds()
    in_period = ExitInterview.objects.filter(
        ics=ics,
        state=ExitInterview.State.ANSWERED,
        answered_at__gte=lower,
        answered_at__lt=upper,
    )
    answered = dict(in_period.values_list("pk", "role_kind"))
    tags = ExitInterview.themes.through.objects.filter(exitinterview__in=in_period)
    pairs = list(tags.values_list("exitinterview_id", "interviewtheme_id"))
    themes = list(ics.interview_themes.order_by("name").values_list("pk", "name"))
    present = set(answered.values())
    kinds = [(code, label) for code, label in RoleKind.choices if code in present]
    if kinds and "" in present:
        kinds.append(NOT_RECORDED)

    def by_kind(interviews: list[int], total: Count) -> list[Count]:
        cells = [Count(sum(1 for i in interviews if answered[i] == code)) for code, _ in kinds]
        return _protect(total, cells)

    labels = [label for _, label in kinds]
    lines = []
    for theme_id, name in themes:
        raising = [interview for interview, theme in pairs if theme == theme_id]
        total = Count(len(raising))
        cells = zip(labels, by_kind(raising, total), strict=True)
        lines.append(ThemeLine(name, total, list(cells)))
    lines.sort(key=lambda line: (-(0 if line.total.suppressed else line.total.number), line.theme))
    answered_count = Count(len(answered))
    kind_counts = by_kind(list(answered), answered_count)
    return ThemesReport(
        period=period,
        answered=answered_count,
        kinds=[
            (code, label, count) for (code, label), count in zip(kinds, kind_counts, strict=True)
        ],
        lines=lines,
    )


# --- Erasing leavers' details ----------------------------------------------------------------


def erase_due(now: dt.datetime | None = None) -> list[int]:
    """Interviews whose leaver's name and address are due to go: answered, or lapsed (the
    closing day over), 90 days ago or more."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return list(
        ExitInterview.objects.filter(erased_at__isnull=True)
        .filter(
            Q(answered_at__lte=now - dt.timedelta(days=ERASE_AFTER_DAYS))
            | Q(
                state=ExitInterview.State.INVITED,
                closes_on__lt=today - dt.timedelta(days=ERASE_AFTER_DAYS),
            )
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def leaver_erase(*, interview_id: int, now: dt.datetime | None = None) -> bool:
    """Erases one leaver's name and address, here and in the emails sent to them; keeps
    "a leaver", the role and the answers they sent (draft answers never sent are blanked).
    Safe to run twice: False if already erased."""
    now = now or timezone.now()
    interview = (
        ExitInterview.objects.select_for_update()
        .filter(pk=interview_id, erased_at__isnull=True)
        .first()
    )
    if interview is None:
        return False
    after = "answered" if interview.state == ExitInterview.State.ANSWERED else "lapsed"
    ExitInterview.objects.filter(pk=interview.pk).update(
        leaver_name="", leaver_email="", token_hash="", pending_token_hash="", erased_at=now
    )
    if after == "lapsed":
        # Drafts never sent: nobody may read them, so nothing is kept.
        InterviewAnswer.objects.filter(interview=interview).update(text="")
    emails = _invitation_emails(interview.pk)
    emails.filter(state__in=[OutboxMessage.State.PENDING, OutboxMessage.State.SENDING]).update(
        state=OutboxMessage.State.FAILED, last_error="The leaver's details were erased."
    )
    emails.update(to_email="", to_name="")
    audit.record(
        event="interview.erased",
        role="system",
        obj=interview,
        ics_id=interview.ics_id,
        payload={"after": after},
    )
    return True


def leavers_erase(now: dt.datetime | None = None) -> int:
    """The beat scan: erases every leaver due, each in its own transaction."""
    return sum(leaver_erase(interview_id=pk, now=now) for pk in erase_due(now))
