from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from groups.forms.common import NHSForm, text, time_field
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
    """When a vote closes, for a position or for proposed terms of reference. Both boxes
    come filled in from the voting window of the terms in force; left empty, the vote
    closes after that window."""

    closes_on = DateField(label="Closing date", required=False, help_text="For example, 27 11 2026")
    closes_at_time = time_field(
        "Closing time",
        what="the closing time",
        required=False,
        help_text="24-hour clock, for example 17:00",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, at = data.get("closes_on"), data.get("closes_at_time")
        if day and not at and "closes_at_time" not in self.errors:
            self.add_error("closes_at_time", "Enter the closing time, or clear the closing date")
        if at and not day and "closes_on" not in self.errors:
            self.add_error("closes_on", "Enter the closing date, or clear the closing time")
        return data

    def closes_at(self) -> dt.datetime | None:
        """None: the default, the voting window of the terms in force."""
        day, at = self.cleaned_data.get("closes_on"), self.cleaned_data.get("closes_at_time")
        if not (day and at):
            return None
        return timezone.make_aware(dt.datetime.combine(day, at))

    @staticmethod
    def initial_for(window_hours: int) -> dict[str, Any]:
        when = timezone.localtime() + dt.timedelta(hours=window_hours)
        minute = when.time().replace(second=0, microsecond=0)
        return {"closes_on": when.date(), "closes_at_time": minute}
