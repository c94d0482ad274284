"""Forms for meetings, agenda items, publishing and papers. Times are entered and shown in
Europe/London, 24-hour ("14:30")."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from boards.models import Meeting, Part, Purpose
from groups.forms.common import NHSForm, text, time_field
from icsvoice.forms_nhsuk import DateField

LONDON = ZoneInfo("Europe/London")


class MeetingForm(NHSForm):
    title = text(
        "Title",
        max_length=200,
        help_text="Such as 'Board meeting in public'.",
        missing="Enter the meeting's title",
    )
    date = DateField(
        label="Date",
        help_text="For example, 4 3 2027",
        error_messages={"required": "Enter the date of the meeting"},
    )
    start_time = time_field("Start time", what="the start time")
    end_time = time_field("End time (optional)", what="the end time", required=False)
    location = text(
        "Place",
        max_length=300,
        required=False,
        help_text="Where people meet in person. Give a place, an online link, or both.",
    )
    online_url = forms.URLField(
        label="Online joining link",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="Starting https://",
        error_messages={"invalid": "Enter the online joining link as a web address"},
    )

    @classmethod
    def initial_for(cls, meeting: Meeting) -> dict[str, Any]:
        starts = timezone.localtime(meeting.starts_at, LONDON)
        ends = timezone.localtime(meeting.ends_at, LONDON) if meeting.ends_at else None
        return {
            "title": meeting.title,
            "date": starts.date(),
            "start_time": starts.time(),
            "end_time": ends.time() if ends else None,
            "location": meeting.location,
            "online_url": meeting.online_url,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, start, end = data.get("date"), data.get("start_time"), data.get("end_time")
        data["starts_at"] = data["ends_at"] = None
        if day and start:
            data["starts_at"] = dt.datetime.combine(day, start, tzinfo=LONDON)
            if end:
                if end <= start:
                    self.add_error("end_time", "The end time must be after the start time")
                else:
                    data["ends_at"] = dt.datetime.combine(day, end, tzinfo=LONDON)
        if not data.get("location") and not data.get("online_url") and "online_url" in data:
            self.add_error("location", "Enter a place, an online joining link, or both")
        return data


class CancelMeetingForm(NHSForm):
    reason = text(
        "Why is the meeting cancelled?",
        max_length=2000,
        rows=3,
        help_text="Shown on the meeting page and sent to the board's members.",
        missing="Enter the reason the meeting is cancelled",
    )


class AgendaItemForm(NHSForm):
    title = text("Title", max_length=300, missing="Enter the item's title")
    duration_minutes = forms.IntegerField(
        label="Duration in minutes",
        min_value=1,
        max_value=480,
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-3"}),
        error_messages={
            "required": "Enter the duration in minutes",
            "invalid": "Enter the duration as a whole number of minutes",
            "min_value": "The duration must be between 1 and 480 minutes",
            "max_value": "The duration must be between 1 and 480 minutes",
        },
    )
    presenter = text(
        "Presenter (optional)",
        max_length=200,
        required=False,
        help_text="Who introduces the item, such as 'Chief Finance Officer'.",
    )
    purpose = forms.ChoiceField(
        label="Purpose",
        choices=Purpose.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the item's purpose"},
    )
    part = forms.ChoiceField(
        label="Part of the meeting",
        choices=Part.choices,
        widget=forms.RadioSelect,
        initial=Part.PUBLIC,
        error_messages={"required": "Choose the part of the meeting"},
    )
    confidential_reason = text(
        "Reason for confidentiality (private items only)",
        max_length=2000,
        required=False,
        rows=3,
        help_text="A private item must say why it is taken in private. The public sees this "
        "reason in place of the item.",
    )
    review_on = DateField(
        label="Review date for confidentiality (private items only)",
        required=False,
        help_text="When the reason for confidentiality is reviewed. For example, 1 9 2027",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("part") == Part.PRIVATE:
            if not data.get("confidential_reason") and "confidential_reason" not in self.errors:
                self.add_error(
                    "confidential_reason",
                    "A private item needs a reason: enter why it is taken in private",
                )
            if not data.get("review_on") and "review_on" not in self.errors:
                self.add_error(
                    "review_on",
                    "A private item needs a review date: enter when the reason for "
                    "confidentiality is reviewed",
                )
        return data


class PublishForm(NHSForm):
    change_note = text(
        "What changed since the last published version?",
        max_length=500,
        rows=2,
        help_text="In a sentence. Shown with the new version and in the email to members.",
        missing="Enter what changed since the last published version",
    )

    def __init__(self, *args: Any, needs_note: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not needs_note:
            del self.fields["change_note"]


class PaperForm(NHSForm):
    title = text("Title of the paper", max_length=300, missing="Enter the paper's title")
    file = forms.FileField(
        label="The paper, as a PDF",
        help_text="A PDF without a password.",
        error_messages={"required": "Choose the PDF to upload", "empty": "The file is empty"},
    )
