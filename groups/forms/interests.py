"""The form for an entry in the register of interests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet

from groups.forms.common import NHSForm, text
from groups.models import InterestCategory, today
from icsvoice.forms_nhsuk import DateField
from icsvoice.models import User


def category_field() -> forms.ChoiceField:
    """The NHS conflict-of-interest categories, for the register and for declarations."""
    return forms.ChoiceField(
        label="Kind of interest",
        choices=InterestCategory.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the kind of interest",
            "invalid_choice": "Choose the kind of interest",
        },
    )


class InterestForm(NHSForm):
    member = forms.ModelChoiceField(
        label="Whose interest is it?",
        queryset=User.objects.none(),
        empty_label=None,
        help_text="As chair you can record an interest on a member's behalf.",
        error_messages={
            "required": "Choose the member",
            "invalid_choice": "Choose a current member of the group",
        },
    )
    category = category_field()
    description = text(
        "Describe the interest",
        max_length=2000,
        rows=3,
        help_text="For example: partner in a practice that holds a contract with the ICB.",
    )
    starts_on = DateField(
        label="When did the interest begin?",
        help_text="For example, 1 4 2024",
        error_messages={"required": "Enter the date the interest began"},
    )
    ends_on = DateField(
        label="When did it end? (optional)",
        required=False,
        help_text="Leave this empty if the interest is current.",
    )

    def __init__(self, *args: Any, members: QuerySet[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].error_messages["required"] = "Describe the interest"
        if members is None:
            del self.fields["member"]
        else:
            field = self.fields["member"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = members

    def clean_starts_on(self) -> dt.date:
        starts_on: dt.date = self.cleaned_data["starts_on"]
        if starts_on > today():
            raise forms.ValidationError("The date the interest began must be today or in the past")
        return starts_on

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error(
                "ends_on", "The date the interest ended must be on or after the date it began"
            )
        return data
