"""Exit interviews: the ICS's list, inviting a leaver, the question set, an interview's
answers and themes (named readers only), the themes report, and the leaver's own page
behind their personal link (no sign-in). Thin: access, form, service, message, redirect."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engagement import reports
from engagement.access import ics_for_interview_staff
from engagement.models.interviews import (
    ExitInterview,
    InterviewAnswer,
    InterviewTheme,
    RoleKind,
)
from engagement.reports import Period
from engagement.services import interviews as services
from engagement.views.reports import PeriodForm, period_query
from groups.forms.common import NHSForm, text
from groups.models import ICS, today
from groups.views.common import GET_POST, act, attempt, posted
from icsvoice import links
from icsvoice.forms_nhsuk import DateField
from icsvoice.http import AuthedRequest
from icsvoice.models import User
from icsvoice.text import no_markup

LINK_SCOPE = "exit-interview"
DEFAULT_OPEN_DAYS = 28


# --- Forms -----------------------------------------------------------------------------------


class ResendForm(NHSForm):
    email = forms.EmailField(
        label="A different email address (optional)",
        required=False,
        max_length=254,
        help_text="Leave this empty to send to the address we have.",
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.nhs.uk"
        },
    )


class ReaderChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name()} ({obj.email})"


class InviteForm(NHSForm):
    name = text("Leaver's full name", max_length=150, missing="Enter the leaver's full name")
    email = forms.EmailField(
        label="Leaver's email address",
        max_length=254,
        help_text="We send their personal link here. It is erased 90 days after they "
        "answer, or after the closing date if they do not.",
        error_messages={
            "required": "Enter the leaver's email address",
            "invalid": "Enter an email address in the correct format, like name@example.nhs.uk",
        },
    )
    role_left = text(
        "Role they are leaving",
        max_length=200,
        help_text="For example, GP partner, clinical director of Riverside PCN.",
        missing="Enter the role they are leaving",
    )
    role_kind = forms.ChoiceField(
        label="Kind of role (optional)",
        required=False,
        choices=[("", "Not recorded"), *RoleKind.choices],
        help_text="The themes report counts themes by the kind of role left.",
        error_messages={"invalid_choice": "Choose the kind of role from the list"},
    )
    leaving_on = DateField(
        label="Leaving date",
        help_text="For example, 31 3 2027",
        error_messages={"required": "Enter the leaving date"},
    )
    closes_on = DateField(
        label="Closing date for answers",
        help_text="The link stops working at the end of this day, UK time.",
        error_messages={"required": "Enter the closing date for answers"},
    )
    readers = ReaderChoice(
        label="Named readers",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Only these people can read the answers. Choose from the ICS's staff "
        "reviewers and leadership group chairs.",
        error_messages={
            "required": "Choose at least one named reader",
            "invalid_choice": "Choose named readers from the list",
        },
    )

    def __init__(self, *args: Any, ics: ICS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["readers"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = services.interview_staff(ics)


class QuestionForm(NHSForm):
    text = text("Question", max_length=500, rows=3, missing="Enter the question")


class ThemesForm(NHSForm):
    themes = forms.ModelMultipleChoiceField(
        label="Themes the answers raise",
        help_text="Choose every theme the answers raise.",
        required=False,
        queryset=InterviewTheme.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose themes from the list"},
    )
    new_theme = text(
        "Add a theme that is not in the list (optional)",
        max_length=60,
        required=False,
        help_text="For example, Out-of-hours work. It joins the ICS's list.",
    )

    def __init__(self, *args: Any, ics: ICS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["themes"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = ics.interview_themes.order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("themes") and not data.get("new_theme") and not self.errors:
            self.add_error("themes", "Choose at least one theme, or add a new one")
        return data


class AnswersForm(NHSForm):
    """One optional box per question, labelled with the question as it was asked."""

    def __init__(self, *args: Any, answers: list[InterviewAnswer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for answer in answers:
            self.fields[f"answer_{answer.order}"] = forms.CharField(
                label=answer.wording,
                required=False,
                max_length=services.ANSWER_MAX,
                widget=forms.Textarea(attrs={"rows": 5}),
                validators=[no_markup],
                initial=answer.text,
            )

    def answers(self) -> dict[int, str]:
        return {
            int(name.removeprefix("answer_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("answer_")
        }


# --- Shared ----------------------------------------------------------------------------------


def _list_link(ics: ICS) -> tuple[str, str]:
    return "Exit interviews", reverse("engagement:interviews", args=[ics.pk])


def _form_page(
    request: HttpRequest,
    form: forms.Form,
    *,
    ics: ICS,
    heading: str,
    button: str,
    back: tuple[str, str],
    template: str = "engagement/interviews/form_page.html",
    **extra: Any,
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "ics": ics,
            "form": form,
            "heading": heading,
            "button": button,
            "parent_label": back[0],
            "parent_url": back[1],
            **extra,
        },
    )


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


# --- Interview staff: the list, inviting, the questions --------------------------------------


@login_required
@require_GET
def interview_list(request: AuthedRequest, ics_id: int) -> HttpResponse:
    ics = ics_for_interview_staff(user=request.user, ics_id=ics_id)
    rows = services.interview_rows(ics=ics, user=request.user)
    return _private(
        render(
            request,
            "engagement/interviews/list.html",
            {"ics": ics, "rows": rows, "readable": sum(1 for row in rows if row.readable)},
        )
    )


@login_required
@GET_POST
def interview_invite(request: AuthedRequest, ics_id: int) -> HttpResponse:
    ics = ics_for_interview_staff(user=request.user, ics_id=ics_id)
    questions = services.questions_ensure(ics=ics, actor=request.user)
    initial = {
        "closes_on": today() + dt.timedelta(days=DEFAULT_OPEN_DAYS),
        "readers": [request.user.pk],
    }
    form = InviteForm(posted(request), ics=ics, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        interview = attempt(
            form,
            lambda: services.interview_invite(
                ics=ics,
                actor=request.user,
                name=data["name"],
                email=data["email"],
                role_left=data["role_left"],
                role_kind=data["role_kind"],
                leaving_on=data["leaving_on"],
                closes_on=data["closes_on"],
                readers=data["readers"],
            ),
        )
        if interview is not None:
            messages.success(
                request,
                f"The invitation is on its way to {interview.leaver_email}. Their link works "
                f"until the end of {interview.closes_on:%-d %B %Y}.",
            )
            return redirect("engagement:interview-detail", interview.pk)
    return _form_page(
        request,
        form,
        ics=ics,
        heading="Invite a leaver to an exit interview",
        button="Send the invitation",
        back=_list_link(ics),
        template="engagement/interviews/invite.html",
        questions=questions,
    )


@login_required
@GET_POST
def question_list(request: AuthedRequest, ics_id: int) -> HttpResponse:
    ics = ics_for_interview_staff(user=request.user, ics_id=ics_id)
    services.questions_ensure(ics=ics, actor=request.user)
    form = QuestionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        added = attempt(
            form,
            lambda: services.question_add(
                ics=ics, text=form.cleaned_data["text"], actor=request.user
            ),
            field="text",
        )
        if added is not None:
            messages.success(request, "The question is added. Invitations from now on ask it.")
            return redirect("engagement:interview-questions", ics.pk)
    questions = list(ics.interview_questions.order_by("retired_at", "order"))
    return _form_page(
        request,
        form,
        ics=ics,
        heading="Exit interview questions",
        button="Add the question",
        back=_list_link(ics),
        template="engagement/interviews/questions.html",
        current=[q for q in questions if q.retired_at is None],
        retired=[q for q in questions if q.retired_at is not None],
    )


@login_required
@GET_POST
def question_reword(request: AuthedRequest, ics_id: int, pk: int) -> HttpResponse:
    ics = ics_for_interview_staff(user=request.user, ics_id=ics_id)
    question = services.question_for_staff(ics=ics, question_id=pk)
    form = QuestionForm(posted(request), initial={"text": question.text})
    back = ("Questions", reverse("engagement:interview-questions", args=[ics.pk]))
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            lambda: services.question_reword(
                question=question, text=form.cleaned_data["text"], actor=request.user
            ),
            field="text",
        )
        if done is not None:
            messages.success(
                request,
                "The question is reworded. Interviews already sent keep the wording they had.",
            )
            return redirect("engagement:interview-questions", ics.pk)
    return _form_page(
        request,
        form,
        ics=ics,
        heading="Reword a question",
        button="Save the wording",
        back=back,
        refusal="This question is retired: add a new question instead."
        if question.retired_at
        else "",
    )


@login_required
@require_POST
def question_retire(request: AuthedRequest, ics_id: int, pk: int) -> HttpResponse:
    ics = ics_for_interview_staff(user=request.user, ics_id=ics_id)
    question = services.question_for_staff(ics=ics, question_id=pk)
    if act(request, lambda: services.question_retire(question=question, actor=request.user)):
        messages.success(
            request, "The question is retired. Interviews already sent keep it and its answers."
        )
    return redirect("engagement:interview-questions", ics.pk)


# --- Named readers: the answers and their themes ---------------------------------------------


@login_required
@require_GET
def interview_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    interview = services.interview_for_reader(user=request.user, interview_id=pk)
    return _private(
        render(
            request,
            "engagement/interviews/detail.html",
            {
                "ics": interview.ics,
                "interview": interview,
                "state": interview.shown_state,
                "readers": list(interview.readers.order_by("full_name")),
                "answers": list(interview.answers.order_by("order")),
                "themes": list(interview.themes.order_by("name")),
                "role_kind": RoleKind(interview.role_kind).label if interview.role_kind else "",
                "erase_on": _erase_on(interview),
                "parent_label": _list_link(interview.ics)[0],
                "parent_url": _list_link(interview.ics)[1],
            },
        )
    )


@login_required
@GET_POST
def interview_resend(request: AuthedRequest, pk: int) -> HttpResponse:
    """A named reader sends the leaver their link again (the email went astray, or to a
    wrong address): a new link, the saved answers kept."""
    interview = services.interview_for_reader(user=request.user, interview_id=pk)
    form = ResendForm(posted(request))
    if request.method == "POST" and form.is_valid():
        sent_to = attempt(
            form,
            lambda: services.interview_link_resend(
                interview=interview, actor=request.user, email=form.cleaned_data["email"]
            ),
            field="email",
        )
        if sent_to is not None:
            messages.success(
                request,
                f"A new link is on its way to {sent_to}. The one sent before stops working "
                "once it arrives; their saved answers are kept.",
            )
            return redirect("engagement:interview-detail", interview.pk)
    return _private(
        _form_page(
            request,
            form,
            ics=interview.ics,
            heading=f"Send {interview.leaver} their link again",
            button="Send the link again",
            back=("Exit interview", reverse("engagement:interview-detail", args=[interview.pk])),
            refusal=services.resend_refusal(interview),
            template="engagement/interviews/resend.html",
            interview=interview,
        )
    )


def _erase_on(interview: ExitInterview) -> dt.date | None:
    if interview.erased_at is not None:
        return None
    days = dt.timedelta(days=services.ERASE_AFTER_DAYS)
    if interview.answered_at is not None:
        return timezone.localdate(interview.answered_at) + days
    return interview.closes_on + dt.timedelta(days=1) + days


@login_required
@GET_POST
def interview_themes(request: AuthedRequest, pk: int) -> HttpResponse:
    interview = services.interview_for_reader(user=request.user, interview_id=pk)
    ics = interview.ics
    back = ("This interview", reverse("engagement:interview-detail", args=[interview.pk]))
    services.themes_ensure(ics)
    form = ThemesForm(posted(request), ics=ics, initial={"themes": list(interview.themes.all())})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = attempt(
            form,
            lambda: services.themes_tag(
                interview=interview,
                theme_ids=[theme.pk for theme in data["themes"]],
                new_theme=data["new_theme"],
                actor=request.user,
            ),
            field="themes",
        )
        if done is not None:
            messages.success(request, "The themes are saved.")
            return redirect("engagement:interview-detail", interview.pk)
    refusal = ""
    if interview.state != ExitInterview.State.ANSWERED:
        refusal = "Themes can be tagged once the leaver has sent their answers."
    return _private(
        _form_page(
            request,
            form,
            ics=ics,
            heading="Tag the themes",
            button="Save the themes",
            back=back,
            refusal=refusal,
        )
    )


# --- The themes report -----------------------------------------------------------------------


class FinancialYearForm(PeriodForm):
    """Whole NHS financial years only. Two reports whose periods differ by a few days would
    give away the themes of the one leaver who answered in between (when each interview was
    answered is in the audit trail): years do not overlap, so no two reports can be set
    against each other that way."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if (
            start
            and end
            and not self.errors
            and Period(start, end) != reports.financial_year(start)
        ):
            self.add_error(
                "start",
                forms.ValidationError(
                    "Choose a whole financial year, from 1 April to 31 March, so that no "
                    "leaver can be singled out by comparing periods",
                    params={"parts": ["day", "month", "year"]},
                ),
            )
        return data


def _years(today: dt.date) -> list[tuple[str, Period]]:
    labels = ("This financial year", "Last financial year", "The year before")
    return list(zip(labels, reports.financial_years(today, len(labels)), strict=True))


@login_required
@require_GET
def themes_report(request: AuthedRequest, ics_id: int) -> HttpResponse:
    ics = ics_for_interview_staff(user=request.user, ics_id=ics_id)
    chosen = any(key.split("[", 1)[0] in ("start", "end") for key in request.GET)
    period: Period | None
    if chosen:
        form = FinancialYearForm(request.GET)
        period = (
            Period(form.cleaned_data["start"], form.cleaned_data["end"])
            if form.is_valid()
            else None
        )
    else:
        period = reports.default_period(today())
        form = FinancialYearForm(initial={"start": period.start, "end": period.end})
    context: dict[str, Any] = {
        "ics": ics,
        "form": form,
        "period": period,
        "fewest": services.FEWEST_SHOWN,
        "presets": [
            (label, preset, period_query(preset), preset == period)
            for label, preset in _years(today())
        ],
        "parent_label": _list_link(ics)[0],
        "parent_url": _list_link(ics)[1],
    }
    if period is not None:
        context["report"] = services.themes_report(ics=ics, period=period)
    return render(request, "engagement/interviews/report.html", context)


# --- The leaver's page (a personal link, no sign-in) -----------------------------------------


def _leaver_page(response: HttpResponse) -> HttpResponse:
    # The address holds the secret: never cached. (Nor sent on to another site: the site's
    # Referrer-Policy is same-origin. Not no-referrer, which makes browsers post the form
    # with "Origin: null", and Django's CSRF check refuses that.)
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def interview_respond(request: HttpRequest, token: str) -> HttpResponse:
    if links.throttled(request, LINK_SCOPE):
        return links.too_many(request)
    interview = services.open_by_token(token)
    if interview is None:
        links.missed(request, LINK_SCOPE)
        return _leaver_page(links.link_not_working(request))
    answers = list(interview.answers.order_by("order"))
    form = AnswersForm(posted(request), answers=answers)
    if request.method == "POST" and form.is_valid():
        send = request.POST.get("action") == "send"
        done = attempt(
            form,
            lambda: services.answers_save(interview=interview, answers=form.answers(), send=send),
        )
        if done is not None and send:
            return redirect("engagement:interview-thanks")
        if done is not None:
            messages.success(
                request,
                "Your answers are saved. You can change them, and send them, until the end "
                f"of {interview.closes_on:%-d %B %Y}.",
            )
            return _leaver_page(redirect("engagement:interview-respond", token))
    return _leaver_page(
        render(
            request,
            "engagement/interviews/respond.html",
            {"interview": interview, "ics": interview.ics, "form": form},
        )
    )


@require_GET
def interview_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "engagement/interviews/thanks.html")


urlpatterns: list[URLPattern] = [
    path("exit-interviews/<int:ics_id>/", interview_list, name="interviews"),
    path("exit-interviews/<int:ics_id>/invite/", interview_invite, name="interview-invite"),
    path("exit-interviews/<int:ics_id>/questions/", question_list, name="interview-questions"),
    path(
        "exit-interviews/<int:ics_id>/questions/<int:pk>/",
        question_reword,
        name="interview-question-reword",
    ),
    path(
        "exit-interviews/<int:ics_id>/questions/<int:pk>/retire/",
        question_retire,
        name="interview-question-retire",
    ),
    path("exit-interviews/<int:ics_id>/themes/", themes_report, name="interview-report"),
    path("exit-interviews/interview/<int:pk>/", interview_detail, name="interview-detail"),
    path(
        "exit-interviews/interview/<int:pk>/resend/",
        interview_resend,
        name="interview-resend",
    ),
    path(
        "exit-interviews/interview/<int:pk>/themes/",
        interview_themes,
        name="interview-themes",
    ),
    path("respond/exit-interview/thank-you/", interview_thanks, name="interview-thanks"),
    path("respond/exit-interview/<str:token>/", interview_respond, name="interview-respond"),
]
