"""Forms for terms of reference: proposing a version, putting it to a vote, and choosing
two versions to compare."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from groups.forms.common import NHSForm, text
from groups.models import TERMS_FIELDS, TermsOfReference, today
from groups.services.terms import HIDDEN_COUNT_MESSAGE, MAX_QUORUM_COUNT, MAX_WINDOW_HOURS
from icsvoice.forms_nhsuk import DateField

Terms = TermsOfReference
YES_NO = [("True", "Yes"), ("False", "No")]


def _radios(label: str, choices: Any, required_message: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        widget=forms.RadioSelect,
        error_messages={"required": required_message, "invalid_choice": required_message},
    )


def _whole_number(
    label: str, *, low: int, high: int | None, message: str, help_text: str
) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        min_value=low,
        max_value=high,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "nhsuk-input--width-5"}),
        error_messages={
            "required": message,
            "invalid": message,
            "min_value": message,
            "max_value": message,
        },
    )


class TermsForm(NHSForm):
    """Every field of a version; the chair starts from the version in force."""

    purpose = text(
        "Purpose",
        max_length=10000,
        rows=6,
        help_text="What the group is for and what it may advise the board on. Plain text.",
    )
    membership_composition = text(
        "Membership",
        max_length=5000,
        required=False,
        rows=4,
        help_text="Who sits on the group, for example one GP lead from each PCN.",
    )
    quorum_kind = _radios(
        "How is quorum set?", Terms.QuorumKind.choices, "Choose how quorum is set"
    )
    quorum_value = _whole_number(
        "Quorum",
        low=1,
        high=MAX_QUORUM_COUNT,
        message="Enter the quorum as a whole number, 1 or more",
        help_text="A number of members, or a percentage of those eligible, as chosen above.",
    )
    decision_rule = _radios("Decision rule", Terms.DecisionRule.choices, "Choose a decision rule")
    abstentions = _radios(
        "How do abstentions count?", Terms.Abstentions.choices, "Choose how abstentions count"
    )
    voting_window_hours = _whole_number(
        "Voting window, in hours",
        low=1,
        high=MAX_WINDOW_HOURS,
        message=f"Enter the voting window in hours, from 1 to {MAX_WINDOW_HOURS}",
        help_text=(
            "How long a vote stays open unless the chair sets another closing time. "
            "168 hours is 7 days."
        ),
    )
    ballot = _radios("Ballot", Terms.Ballot.choices, "Choose named or secret ballots")
    results_hidden_until_close = forms.TypedChoiceField(
        label="Hide the count until the vote closes?",
        choices=YES_NO,
        coerce=lambda value: value == "True",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose whether the count is hidden until the vote closes",
            "invalid_choice": "Choose whether the count is hidden until the vote closes",
        },
    )
    review_date = DateField(
        label="Review date",
        help_text="For example, 31 3 2027",
        error_messages={"required": "Enter the date the group will review its terms"},
    )
    board_route = text(
        "How positions reach the board",
        max_length=2000,
        required=False,
        rows=3,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["purpose"].error_messages["required"] = "Enter the group's purpose"

    @staticmethod
    def initial_from(terms: TermsOfReference | None) -> dict[str, Any]:
        if terms is None:
            return {"review_date": today() + dt.timedelta(days=365)}
        return {name: getattr(terms, name) for name in TERMS_FIELDS}

    def clean_review_date(self) -> dt.date:
        review: dt.date = self.cleaned_data["review_date"]
        if review <= today():
            raise forms.ValidationError("The review date must be in the future")
        return review

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, value = data.get("quorum_kind"), data.get("quorum_value")
        if kind == Terms.QuorumKind.PERCENT and value is not None and value > 100:
            self.add_error("quorum_value", "Quorum as a percentage must be 100 or less")
        secret = data.get("ballot") == Terms.Ballot.SECRET
        if secret and data.get("results_hidden_until_close") is False:
            self.add_error("results_hidden_until_close", HIDDEN_COUNT_MESSAGE)
        return data

    def terms_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in TERMS_FIELDS}


class TermsCompareForm(NHSForm):
    """Two versions to compare, sent by GET as ?from=N&to=M."""

    def __init__(self, *args: Any, versions: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(number), f"Version {number}") for number in versions]
        for name, label in (("from", "Compare version"), ("to", "with version")):
            self.fields[name] = forms.TypedChoiceField(
                label=label,
                choices=choices,
                coerce=int,
                error_messages={
                    "required": "Choose a version to compare",
                    "invalid_choice": "Choose a version from the list",
                },
            )
