from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from groups.forms.common import NHSForm, text
from groups.models import Choice, Vote
from icsvoice.forms_nhsuk import DateField


class BallotForm(NHSForm):
    choice = forms.ChoiceField(
        label="Your vote",
        choices=Choice.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how you vote"},
    )
    reason = text(
        "Your reason (optional)",
        max_length=2000,
        required=False,
        rows=3,
        help_text="Shown with your vote to the group.",
    )

    def __init__(self, *args: Any, vote: Vote, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice = self.fields["choice"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [(c.value, vote.choice_label(c.value)) for c in Choice]
        if vote.is_secret:
            del self.fields["reason"]


class VoteOpenForm(NHSForm):
    closes_on = DateField(label="Closing date", help_text="For example, 27 11 2026")
    closes_at_time = forms.TimeField(
        label="Closing time",
        help_text="24-hour clock, for example 17:00",
        input_formats=["%H:%M", "%H.%M", "%H%M"],
        widget=forms.TimeInput(format="%H:%M", attrs={"class": "nhsuk-input--width-5"}),
        error_messages={
            "required": "Enter the closing time",
            "invalid": "Enter the closing time as hours and minutes, like 17:00",
        },
    )

    def closes_at(self) -> dt.datetime:
        day: dt.date = self.cleaned_data["closes_on"]
        at: dt.time = self.cleaned_data["closes_at_time"]
        return timezone.make_aware(dt.datetime.combine(day, at))

    @staticmethod
    def initial_for(window_hours: int) -> dict[str, Any]:
        when = timezone.localtime() + dt.timedelta(hours=window_hours)
        return {
            "closes_on": when.date(),
            "closes_at_time": when.time().replace(second=0, microsecond=0),
        }
