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
