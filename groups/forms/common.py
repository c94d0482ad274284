"""What every primary care form shares: fields rendered by {% crispy form %} inside the
page's own <form>, with the error summary at the top of the page
(templates/includes/error_summary.html), and markup refused in every text field."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms

from icsvoice.text import no_markup


class NHSForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.error_summary = False


def text(
    label: str,
    *,
    max_length: int,
    required: bool = True,
    help_text: str = "",
    rows: int = 0,
    missing: str = "",
) -> forms.CharField:
    """A plain-text field (a textarea when rows is set) that refuses markup. `missing` is
    the message when a required field is empty ("Enter the title" by default)."""
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=widget,
        validators=[no_markup],
        error_messages={"required": missing or f"Enter the {label.lower()}"},
    )


def time_field(
    label: str, *, what: str, required: bool = True, help_text: str = ""
) -> forms.TimeField:
    """A 24-hour time ("09:30", "9.30" or "0930"), UK time. `what` names it in messages:
    "the start time"."""
    return forms.TimeField(
        label=label,
        required=required,
        help_text=help_text or "24-hour clock, UK time. For example, 09:30 or 14:00.",
        input_formats=["%H:%M", "%H.%M", "%H%M"],
        widget=forms.TimeInput(
            format="%H:%M", attrs={"class": "nhsuk-input--width-5", "inputmode": "numeric"}
        ),
        error_messages={
            "required": f"Enter {what}",
            "invalid": f"Enter {what} in 24-hour form, like 09:30 or 14:00",
        },
    )
