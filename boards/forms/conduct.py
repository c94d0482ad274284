"""Forms for the meeting's record: the register, people in attendance, declarations,
decisions, actions and the minutes."""

from __future__ import annotations

from typing import Any

from crispy_forms.layout import Layout
from django import forms

from boards.forms.seats import clean_person, person_field
from boards.models import AgendaItem, Attendance, Meeting, MeetingDeclaration
from boards.selectors.conduct import RegisterRow
from groups.forms.common import NHSForm, text
from icsvoice.forms_nhsuk import DateField, Field
from icsvoice.models import User
from icsvoice.text import no_markup

MEMBER_CHOICES = [
    (Attendance.Status.PRESENT, "Present"),
    (Attendance.Status.APOLOGIES, "Apologies"),
    (Attendance.Status.ABSENT, "Absent"),
]


def _item_choices(items: list[AgendaItem], blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [(str(item.key), f"{item.order}. {item.title}") for item in items]


class RegisterForm(NHSForm):
    """One fieldset of radios per seat holder: present, apologies or absent."""

    def __init__(self, *args: Any, rows: list[RegisterRow], **kwargs: Any) -> None:
        initial = {f"person_{r.person.pk}": r.status for r in rows if r.status}
        super().__init__(*args, initial=initial, **kwargs)
        self.rows = rows
        for row in rows:
            name = row.person.get_full_name()
            self.fields[f"person_{row.person.pk}"] = forms.ChoiceField(
                label=name,
                help_text=row.role_label
                + ("" if row.votes else ". Not a voting member: does not count for quorum"),
                choices=MEMBER_CHOICES,
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Record {name} as present, apologies or absent",
                    "invalid_choice": f"Record {name} as present, apologies or absent",
                },
            )
        self.helper.layout = Layout(
            *(Field(f"person_{r.person.pk}", inline=True, small=True) for r in rows)
        )

    def statuses(self) -> dict[int, str]:
        return {r.person.pk: self.cleaned_data[f"person_{r.person.pk}"] for r in self.rows}


class AttendeeForm(NHSForm):
    email = person_field(
        "Who was in attendance?",
        "Their email address, as their icsvoice account has it. They attend without a vote "
        "and do not count for quorum.",
    )
    role = text(
        "Their role at the meeting (optional)",
        max_length=200,
        required=False,
        help_text="Such as 'Director of Public Health, presenting item 5'.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["person"] = clean_person(self, "email")
        return data


class DeclarationForm(NHSForm):
    person = forms.TypedChoiceField(
        label="Who declared the interest?",
        help_text="A member of the board, or someone recorded in attendance.",
        coerce=int,
        error_messages={
            "required": "Choose who declared the interest",
            "invalid_choice": "Choose a member of the board or someone in attendance",
        },
    )
    item = forms.ChoiceField(
        label="On which agenda item?",
        error_messages={
            "required": "Choose the agenda item",
            "invalid_choice": "Choose one of the items on this meeting's agenda",
        },
    )
    category = forms.ChoiceField(
        label="What kind of interest?",
        choices=MeetingDeclaration.Category.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what kind of interest it is"},
    )
    interest = text(
        "What is the interest?",
        max_length=2000,
        rows=3,
        help_text="As it was declared, such as 'Partner in a practice in the PCN bidding for "
        "the contract'.",
        missing="Enter what the interest is",
    )
    withdrew = forms.ChoiceField(
        label="Did they withdraw from the item?",
        help_text="Under NHS conflict of interest rules the declarer withdraws from the "
        "discussion and decision on the item. If the chair allowed them to stay, the minutes "
        "must say why.",
        choices=[
            ("yes", "Yes, they withdrew from the discussion and decision"),
            ("no", "No, the chair allowed them to stay"),
        ],
        initial="yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether they withdrew from the item"},
    )
    chair_note = text(
        "If they stayed, why did the chair allow it?",
        max_length=2000,
        rows=3,
        required=False,
        help_text="Required when they stayed. This is minuted.",
    )

    def __init__(
        self, *args: Any, people: list[User], items: list[AgendaItem], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        person: Any = self.fields["person"]
        person.choices = [("", "Choose a person")] + [(p.pk, p.get_full_name()) for p in people]
        item: Any = self.fields["item"]
        item.choices = _item_choices(items, "Choose an item")
        # No conditional reveal for the chair's note: nhsuk-frontend marks the revealing
        # radio aria-expanded, which axe refuses on a radio (aria-allowed-attr).

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("withdrew") == "no" and not (data.get("chair_note") or "").strip():
            self.add_error("chair_note", "Enter why the chair allowed them to stay")
        return data


class DecisionForm(NHSForm):
    item = forms.ChoiceField(
        label="On which agenda item? (optional)",
        required=False,
        error_messages={"invalid_choice": "Choose one of the items on this meeting's agenda"},
    )
    text = text(
        "What did the board decide?",
        max_length=5000,
        rows=4,
        missing="Enter the decision",
    )

    def __init__(self, *args: Any, items: list[AgendaItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        item: Any = self.fields["item"]
        item.choices = _item_choices(items, "Not on a particular item")


class ActionForm(NHSForm):
    description = text(
        "What is the action?",
        max_length=3000,
        rows=3,
        missing="Enter what the action is",
    )
    owner = forms.TypedChoiceField(
        label="Who owns it?",
        help_text="A member of the board.",
        coerce=int,
        error_messages={
            "required": "Choose who owns the action",
            "invalid_choice": "Choose a member of the board",
        },
    )
    due_on = DateField(
        label="When is it due?",
        help_text="For example, 15 5 2027",
        error_messages={"required": "Enter the date the action is due"},
    )
    item = forms.ChoiceField(
        label="From which agenda item? (optional)",
        required=False,
        error_messages={"invalid_choice": "Choose one of the items on this meeting's agenda"},
    )

    def __init__(
        self, *args: Any, owners: list[User], items: list[AgendaItem], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        owner: Any = self.fields["owner"]
        owner.choices = [("", "Choose a person")] + [(p.pk, p.get_full_name()) for p in owners]
        item: Any = self.fields["item"]
        item.choices = _item_choices(items, "Not on a particular item")


class ActionDoneForm(NHSForm):
    note = text(
        "What was done?",
        max_length=3000,
        rows=3,
        help_text="This note stays in the action log.",
        missing="Enter a note of what was done",
    )


class MinutesForm(NHSForm):
    public_text = forms.CharField(
        label="Minutes of the part held in public",
        help_text="Markdown: ## for a heading, - for a list. Published once approved.",
        widget=forms.Textarea(attrs={"rows": 14}),
        max_length=50000,
        validators=[no_markup],
        error_messages={"required": "Enter the minutes of the part held in public"},
    )
    private_text = forms.CharField(
        label="Minutes of the private part (optional)",
        help_text="Markdown. Never published: only the board and ICS staff reviewers read it.",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=50000,
        validators=[no_markup],
        required=False,
    )


class ApproveForm(NHSForm):
    at_meeting = forms.TypedChoiceField(
        label="At which meeting did the board approve them?",
        help_text="A later meeting of this board that has started.",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the meeting that approved the minutes",
            "invalid_choice": "Choose a later meeting of this board that has started",
        },
    )

    def __init__(self, *args: Any, meetings: list[Meeting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["at_meeting"]
        field.choices = [(m.pk, str(m)) for m in meetings]
        self.meetings = {m.pk: m for m in meetings}
