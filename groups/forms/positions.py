from __future__ import annotations

from typing import Any

from django import forms

from groups.forms.common import NHSForm, text
from groups.forms.interests import category_field
from groups.models import VERSION_FIELDS, Position
from icsvoice.errors import DomainError
from icsvoice.models import User
from icsvoice.text import check_links, no_markup

MARKDOWN_HINT = (
    "Write in Markdown: ## for a heading, * for a list, **bold**, [text](https://link). "
    "HTML is not allowed."
)


class PositionForm(NHSForm):
    title = text("Title", max_length=200)
    summary = text("Summary", max_length=1000, rows=3, help_text="Two or three sentences.")
    ask = text(
        "What we ask of the board",
        max_length=2000,
        rows=3,
        help_text="The decision or action you want from the ICB board.",
        missing="Enter what you ask of the board",
    )
    body = text("The case", max_length=50000, required=False, rows=12, help_text=MARKDOWN_HINT)
    resource_implications = text(
        "Resource implications", max_length=5000, required=False, rows=4,
        help_text="Money, staff and time, and where they would come from.",
    )  # fmt: skip
    timeline = text("Realistic timeline", max_length=2000, required=False, rows=3)
    trade_offs = text(
        "Trade-offs against business as usual", max_length=5000, required=False, rows=4,
        help_text="What would stop or slow down to make room for this.",
    )  # fmt: skip
    evidence_links = forms.CharField(
        label="Evidence links",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One web address per line, starting https://. Add PDFs after saving.",
    )
    theme = forms.ChoiceField(
        label="Theme",
        choices=Position.Theme.choices,
        widget=forms.RadioSelect,
        initial=Position.Theme.OTHER,
        error_messages={"required": "Choose a theme"},
    )

    def clean_evidence_links(self) -> str:
        try:
            return "\n".join(check_links(self.cleaned_data["evidence_links"]))
        except DomainError as error:
            raise forms.ValidationError(str(error)) from None


class PositionCreateForm(PositionForm):
    coauthors = forms.ModelMultipleChoiceField(
        label="Co-authors",
        required=False,
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Members who write this with you. They can edit it and decide amendments.",
    )

    def __init__(self, *args: Any, members: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["coauthors"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = members if members is not None else User.objects.none()


class PositionEditForm(PositionForm):
    """A new version's text. The theme is the position's, not a version's, so it is set
    when drafting."""

    change_note = text(
        "What changed in this version",
        max_length=300,
        required=False,
        help_text="Shown in the list of versions.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["theme"]


class CoauthorsForm(NHSForm):
    coauthors = forms.ModelMultipleChoiceField(
        label="Co-authors",
        required=False,
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["coauthors"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = members


class ReasonForm(NHSForm):
    reason = text("Reason", max_length=2000, rows=3, missing="Enter the reason")


class CommentForm(NHSForm):
    body = text("Your comment", max_length=5000, rows=4, missing="Enter your comment")


class AmendmentForm(NHSForm):
    field = forms.ChoiceField(
        label="Which part do you want to change?",
        choices=VERSION_FIELDS,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose which part of the position to amend"},
    )
    proposed_text = forms.CharField(
        label="Your proposed text",
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="The whole of that part as you would have it read.",
        error_messages={"required": "Enter your proposed text"},
    )
    reason = text("Why you propose it", max_length=2000, rows=3, missing="Say why you propose it")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        field, proposed = data.get("field"), data.get("proposed_text") or ""
        if field == "evidence_links":
            try:
                data["proposed_text"] = "\n".join(check_links(proposed))
            except DomainError as error:
                self.add_error("proposed_text", str(error))
        elif proposed:
            try:
                no_markup(proposed)
            except forms.ValidationError as error:
                self.add_error("proposed_text", error)
        return data


class EvidenceForm(NHSForm):
    title = text("Title of the document", max_length=200, missing="Enter the document's title")
    file = forms.FileField(
        label="PDF file",
        help_text="A PDF of up to 20 MB.",
        error_messages={"required": "Choose a PDF file", "empty": "The file is empty"},
    )


class DeclarationForm(NHSForm):
    member = forms.ModelChoiceField(
        label="Whose interest is it?",
        queryset=User.objects.none(),
        required=False,
        help_text="As chair you can record a declaration on a member's behalf.",
    )
    category = category_field()
    description = text(
        "Describe the interest",
        max_length=2000,
        rows=3,
        help_text="For example: partner in a practice bidding to host the service.",
        missing="Describe the interest",
    )

    def __init__(self, *args: Any, members: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if members is None:
            del self.fields["member"]
        else:
            field = self.fields["member"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = members
            field.required = True
            field.error_messages["required"] = "Choose the member"
