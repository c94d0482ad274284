"""Forms for routing a brief, the representative's account, and the board's response."""

from __future__ import annotations

from typing import Any

from crispy_forms.layout import Layout
from django import forms
from django.utils import timezone

from boards.models import BoardResponse, Brief, Meeting
from groups.forms.common import NHSForm, text
from icsvoice.forms_nhsuk import DateField

TABLED = Brief.Route.TABLED


def meeting_label(meeting: Meeting) -> str:
    when = timezone.localtime(meeting.starts_at)
    return f"{meeting.title}, {when:%-d %B %Y} at {when:%H:%M}"


class _MeetingChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return meeting_label(obj)


class RouteForm(NHSForm):
    route = forms.ChoiceField(
        label="How will you take this position to the board?",
        choices=Brief.Route.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how you will take the position to the board",
            "invalid_choice": "Choose how you will take the position to the board",
        },
    )
    meeting = _MeetingChoice(
        label="If you table it, for which meeting?",
        queryset=Meeting.objects.none(),
        required=False,
        empty_label="Choose a meeting",
        help_text="The secretary sees this as a request to put it on that meeting's agenda.",
        error_messages={"invalid_choice": "Choose one of the board's upcoming meetings"},
    )
    reason = text(
        "If you chose another route, why?",
        max_length=3000,
        rows=4,
        required=False,
        help_text="Needed for every route except tabling. Kept with the brief and shown to "
        "the leadership group.",
    )

    def __init__(self, *args: Any, meetings: list[Meeting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        meeting: Any = self.fields["meeting"]
        meeting.queryset = Meeting.objects.filter(pk__in=[m.pk for m in meetings]).order_by(
            "starts_at", "id"
        )
        # Plain fields, not a conditional reveal: nhsuk-frontend marks a revealing radio
        # aria-expanded, which axe refuses on a radio (aria-allowed-attr).
        self.helper.layout = Layout("route", "meeting", "reason")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        route = data.get("route")
        if route == TABLED and not data.get("meeting") and "meeting" not in self.errors:
            self.add_error("meeting", "Choose the meeting to table it for")
        if route and route != TABLED and not (data.get("reason") or "").strip():
            self.add_error("reason", "Enter the reason for this route")
        return data


class AccountForm(NHSForm):
    account = text(
        "Your account",
        max_length=10000,
        rows=8,
        help_text="What you said, and how the group's position was used in the board's "
        "discussion. You speak as a partner member of the board: where your view differed "
        "from the group's, say so. The group sees your account beside its position.",
        missing="Enter your account of how the position was used",
    )


class ResponseForm(NHSForm):
    kind = forms.ChoiceField(
        label="What was the board's response?",
        choices=BoardResponse.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the board's response",
            "invalid_choice": "Choose the board's response",
        },
    )
    due_on = DateField(
        label="If deferred, when is the board's response now due?",
        required=False,
        help_text="Only for a deferral. For example, 4 3 2027",
    )
    reasons = text(
        "The board's reasons",
        max_length=3000,
        rows=5,
        help_text="As the board gave them. The GP representative and the leadership group see "
        "them.",
        missing="Enter the board's reasons",
    )
    meeting = _MeetingChoice(
        label="At which meeting? (optional)",
        queryset=Meeting.objects.none(),
        required=False,
        empty_label="Not at a meeting",
        error_messages={"invalid_choice": "Choose one of the board's meetings"},
    )

    def __init__(self, *args: Any, meetings: list[Meeting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        meeting: Any = self.fields["meeting"]
        meeting.queryset = Meeting.objects.filter(pk__in=[m.pk for m in meetings]).order_by(
            "-starts_at", "-id"
        )
        self.helper.layout = Layout("kind", "due_on", "reasons", "meeting")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        deferred = data.get("kind") == BoardResponse.Kind.DEFERRED
        if deferred and not data.get("due_on") and "due_on" not in self.errors:
            self.add_error("due_on", "Enter the date the board's response is now due by")
        if not deferred:
            # The date is only for a deferral: anything typed there otherwise is ignored.
            self.errors.pop("due_on", None)
            data["due_on"] = None
        return data


class DueDateForm(NHSForm):
    due_on = DateField(
        label="When is the board's response due?",
        help_text="For example, 4 3 2027",
        error_messages={"required": "Enter the date the board's response is due by"},
    )
    reason = text(
        "Why is the date changing?",
        max_length=3000,
        rows=3,
        help_text="Kept in the audit trail.",
        missing="Enter the reason for changing the due date",
    )
