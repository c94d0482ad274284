"""Forms for seats and for appointing the GP representative."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from boards.models import BoardSeat
from groups.forms.common import NHSForm, text
from groups.models import Practice, today
from icsvoice.forms_nhsuk import DateField
from icsvoice.models import User


def person_field(label: str, help_text: str = "") -> forms.EmailField:
    return forms.EmailField(
        label=label,
        help_text=help_text or "Their NHS email address, as their icsvoice account has it.",
        error_messages={
            "required": "Enter their email address",
            "invalid": "Enter an email address in the correct format, like name@nhs.net",
        },
    )


def clean_person(form: forms.Form, field: str) -> User | None:
    email = form.cleaned_data.get(field)
    if not email:
        return None
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        form.add_error(
            field,
            "There is no icsvoice account with that email address. Ask a site "
            "administrator to create one first",
        )
    return user


class SeatForm(NHSForm):
    email = person_field("Who is taking the seat?")
    role = forms.ChoiceField(
        label="Which seat?",
        choices=BoardSeat.Role.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the seat",
            "invalid_choice": "Choose the seat",
        },
    )
    title = text(
        "Their title on the board (optional)",
        max_length=200,
        required=False,
        help_text="As the board lists it, such as 'Chief Finance Officer'.",
    )
    starts_on = DateField(
        label="When does the seat start?",
        help_text="For example, 1 4 2027",
        error_messages={"required": "Enter the date the seat starts"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["user"] = clean_person(self, "email")
        return data


class SeatEndForm(NHSForm):
    ends_on = DateField(
        label="On what day does the seat end?",
        help_text="The day the role stops. For example, 31 3 2027",
        error_messages={"required": "Enter the day the seat ends"},
    )


class AppointmentForm(NHSForm):
    nominations_close_on = DateField(
        label="When do nominations close?",
        help_text="Each GP practice in the ICS may nominate until the end of this day.",
        error_messages={"required": "Enter the closing date for nominations"},
    )
    starts_on = DateField(
        label="When does the new representative take the seat?",
        help_text="The sitting representative's seat ends that day.",
        error_messages={"required": "Enter the date the new representative starts"},
    )

    def clean_nominations_close_on(self) -> dt.date:
        value: dt.date = self.cleaned_data["nominations_close_on"]
        if value < today():
            raise forms.ValidationError("The closing date for nominations must be today or later")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        close, start = data.get("nominations_close_on"), data.get("starts_on")
        if close and start and start <= close:
            self.add_error("starts_on", "The new representative must start after nominations close")
        return data


class NominationForm(NHSForm):
    practice_code = forms.CharField(
        label="Nominating practice's ODS code",
        max_length=6,
        help_text="For example, Y01234. Each GP practice in the ICS nominates once.",
        error_messages={"required": "Enter the nominating practice's ODS code"},
    )
    email = person_field("Who does the practice nominate?")
    statement = text(
        "The practice's statement (optional)",
        max_length=3000,
        required=False,
        rows=4,
        help_text="Why the practice nominates them, as the practice gave it.",
    )

    def __init__(self, *args: Any, ics_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ics_id = ics_id

    def clean_practice_code(self) -> str:
        return self.cleaned_data["practice_code"].strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = data.get("practice_code")
        data["practice"] = None
        if code:
            practice = Practice.objects.filter(code=code, ics_id=self.ics_id).first()
            if practice is None:
                self.add_error(
                    "practice_code", f"There is no GP practice with the code {code} in this ICS"
                )
            data["practice"] = practice
        data["nominee"] = clean_person(self, "email")
        return data


class CancelForm(NHSForm):
    reason = text("Why is the appointment cancelled?", max_length=2000, rows=3)
