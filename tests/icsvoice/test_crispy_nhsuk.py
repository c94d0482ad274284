"""The crispy `nhsuk` pack renders Django forms as nhsuk-frontend's macros do.

Each fixture test builds a Django form asking the question of one of nhsuk-frontend's own
fixtures (tests/icsvoice/nhsuk_fixtures.py reads them from node_modules), renders it through
`{% crispy form %}` and compares the markup with the fixture's after normalising both.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from crispy_forms.bootstrap import FormActions, InlineRadios, PrependedAppendedText
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Layout, Reset, Row, Submit
from crispy_forms.layout import Button as CrispyButton
from crispy_forms.layout import Field as CrispyField
from crispy_forms.layout import Fieldset as CrispyFieldset
from crispy_forms.utils import render_crispy_form
from django import forms
from django.core.validators import MaxValueValidator
from django.template import Context, Template
from django.utils.html import escape

from icsvoice import forms_nhsuk as nhsuk
from tests.icsvoice.nhsuk_fixtures import (
    Fixture,
    canonical,
    find_all,
    fixture,
    fixtures,
    text_of,
)

# --- Building a Django form from a fixture's macro params ------------------------------------


class FixtureForm(forms.Form):
    """A form with the given fields; ids are the field names, as in the macros."""

    def __init__(self, fields: dict[str, forms.Field], **kwargs: Any) -> None:
        super().__init__(auto_id="%s", **kwargs)
        self.fields.update(fields)


def question(param: Any) -> dict[str, Any]:
    """A label or legend param as forms_nhsuk.Field options, and its text as the label."""
    if isinstance(param, str):
        return {"label": param, "label_size": None, "heading_level": None, "caption": None}
    heading = param.get("heading")
    text = param.get("text") or param.get("html")
    level = None
    if isinstance(heading, str):
        text, level = heading, 1
    elif isinstance(heading, dict):
        level = heading.get("level", 1)
    return {
        "label": text,
        "label_size": param.get("size"),
        "heading_level": level,
        "caption": param.get("caption"),
    }


def hint(context: dict[str, Any]) -> str:
    """The hint param as help_text, which Django treats as HTML."""
    value = context.get("hint")
    if value is None:
        return ""
    if isinstance(value, str):
        return escape(value)
    return value["html"] if "html" in value else escape(value["text"])


def error(context: dict[str, Any]) -> str | None:
    value = context.get("errorMessage")
    if value is None:
        return None
    return value if isinstance(value, str) else value["text"]


def field_options(context: dict[str, Any], key: str) -> tuple[str, dict[str, Any]]:
    options = question(context[key])
    return options.pop("label"), options


def render(
    fields: dict[str, forms.Field],
    *layout: Any,
    data: dict[str, Any] | None = None,
    initial: dict[str, Any] | None = None,
    errors: dict[str, str | None] | None = None,
) -> str:
    """The fields rendered through {% crispy %}, without a <form> tag or an error summary.

    errors: {field name: message} to add to a bound form, as a view would with add_error().
    """
    form = FixtureForm(fields, data=data, initial=initial)
    if data is not None:
        form.is_valid()
        for name, message in (errors or {}).items():
            if message:
                form.add_error(name, message)
    form.helper = FormHelper()
    form.helper.form_tag = False
    form.helper.disable_csrf = True
    form.helper.error_summary = False
    form.helper.layout = Layout(*layout)
    return render_crispy_form(form)


def assert_renders_as(html: str, fx: Fixture) -> None:
    assert canonical(html) == canonical(fx.html), f"{fx.component}: {fx.name}"


def text_input(context: dict[str, Any]) -> tuple[str, forms.Field, nhsuk.Field]:
    """A CharField and its layout Field for the input macro's params."""
    name = context["name"]
    attrs = {key: context[key] for key in ("autocomplete", "inputmode", "type") if key in context}
    if "spellcheck" in context:
        attrs["spellcheck"] = str(context["spellcheck"]).lower()
    if context.get("id", name) != name:
        attrs["id"] = context["id"]
    if "classes" in context:
        attrs["class"] = context["classes"]
    label, options = field_options(context, "label")
    field = forms.CharField(
        label=label, help_text=hint(context), required=False, widget=forms.TextInput(attrs)
    )
    prefix, suffix = context.get("prefix"), context.get("suffix")
    layout = nhsuk.Field(
        name,
        width=context.get("width"),
        code=context.get("code", False),
        prefix=prefix["text"] if isinstance(prefix, dict) else prefix,
        suffix=suffix["text"] if isinstance(suffix, dict) else suffix,
        **options,
    )
    return name, field, layout


def render_text_input(fx: Fixture) -> str:
    name, field, layout = text_input(fx.context)
    value = fx.context.get("value")
    if error(fx.context):
        return render(
            {name: field}, layout, data={name: value or ""}, errors={name: error(fx.context)}
        )
    return render({name: field}, layout, initial={name: value})


# --- Inputs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "with hint",
        "with error message",
        "with error message and hint",
        "with error message, without heading",
        "without heading",
        "width class",
        "with code input styling",
        "with prefix and suffix",
        "with prefix and suffix and error message",
        "example address postcode",
        "example address town or city",
        "example email address",
        "example phone number",
    ],
)
def test_text_input_matches_fixture(name: str) -> None:
    """input fixtures of those names: label sizes and page headings, hints (HTML too),
    inline errors, widths as option or class, code styling, prefix and suffix, values and
    the autocomplete, inputmode, spellcheck and type attributes."""
    fx = fixture("input", name)
    assert_renders_as(render_text_input(fx), fx)


@pytest.mark.parametrize("width", [2, 3, 4, 5, 10, 20, 30])
def test_text_input_widths_match_fixtures(width: int) -> None:
    """input fixtures "width" (one per character width)."""
    (fx,) = [fx for fx in fixtures("input") if fx.name == "width" and fx.context["width"] == width]
    assert_renders_as(render_text_input(fx), fx)


# --- Textareas and character counts -------------------------------------------------------


def textarea(context: dict[str, Any], **field_kwargs: Any) -> tuple[str, forms.Field, dict]:
    name = context["name"]
    attrs = {"id": context["id"]} if context.get("id", name) != name else {}
    label, options = field_options(context, "label")
    field = forms.CharField(
        label=label,
        help_text=hint(context),
        required=False,
        widget=forms.Textarea(attrs),
        **field_kwargs,
    )
    return name, field, options


@pytest.mark.parametrize(
    "name",
    [
        "with hint",
        "with error message",
        "with error message and hint",
        "with error message, without heading",
        "without heading",
    ],
)
def test_textarea_matches_fixture(name: str) -> None:
    """textarea fixtures of those names: Django's rows="10" gives way to the macro's 5."""
    fx = fixture("textarea", name)
    field_name, field, options = textarea(fx.context)
    html = render(
        {field_name: field},
        nhsuk.Field(field_name, **options),
        data={field_name: ""},
        errors={field_name: error(fx.context)},
    )
    assert_renders_as(html, fx)


@pytest.mark.parametrize(
    "name",
    [
        "default",
        "with hint",
        "without heading",
        "with value",
        "with error message",
        "with error message and hint",
    ],
)
def test_character_count_from_max_length_matches_fixture(name: str) -> None:
    """character-count fixtures of those names: a CharField with max_length and a Textarea
    becomes a character count with no maxlength attribute; a value over the limit is an
    error (here with the fixture's message for max_length)."""
    fx = fixture("character-count", name)
    field_name, field, options = textarea(
        fx.context,
        max_length=fx.context["maxlength"],
        error_messages={"max_length": error(fx.context) or "Too long"},
    )
    html = render(
        {field_name: field},
        nhsuk.Field(field_name, **options),
        data={field_name: fx.context.get("value", "")},
    )
    assert_renders_as(html, fx)


@pytest.mark.parametrize("name", ["with maxwords", "with threshold"])
def test_character_count_options_match_fixture(name: str) -> None:
    """character-count fixtures "with maxwords" and "with threshold": limits in words and
    the threshold come from the layout."""
    fx = fixture("character-count", name)
    field_name, field, options = textarea(fx.context)
    html = render(
        {field_name: field},
        nhsuk.Field(
            field_name,
            maxlength=fx.context.get("maxlength"),
            maxwords=fx.context.get("maxwords"),
            threshold=fx.context.get("threshold"),
            **options,
        ),
        initial={field_name: fx.context.get("value")},
    )
    assert_renders_as(html, fx)


# --- Selects ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["default", "with hint", "with error message", "with selected value", "without heading"],
)
def test_select_matches_fixture(name: str) -> None:
    """select fixtures of those names."""
    fx = fixture("select", name)
    context = fx.context
    field_name = context["name"]
    attrs = {"id": context["id"]} if context.get("id", field_name) != field_name else {}
    label, options = field_options(context, "label")
    field = forms.ChoiceField(
        label=label,
        help_text=hint(context),
        choices=[(item["value"], item["text"]) for item in context["items"]],
        widget=forms.Select(attrs),
        error_messages={"required": error(context) or ""},
    )
    layout = nhsuk.Field(field_name, **options)
    if error(context):
        html = render({field_name: field}, layout, data={})
    else:
        html = render({field_name: field}, layout, initial={field_name: context.get("value")})
    assert_renders_as(html, fx)


# --- Radios and checkboxes -------------------------------------------------------------------

CONDITIONAL_FIELDS = {
    "email": ("contact-by-email", "Email address", {"spellcheck": "false"}),
    "phone": ("contact-by-phone", "Phone number", {"type": "tel"}),
    "text": ("contact-by-text", "Mobile phone number", {"type": "tel"}),
}


def choices(fx: Fixture, field_class: type[forms.Field], widget_class: type[forms.Widget]) -> str:
    """A ChoiceField or MultipleChoiceField asking the radios or checkboxes fixture's question,
    with the items' hints, dividers, exclusive options and conditional questions."""
    context = fx.context
    name = context["name"]
    items = [item for item in context["items"] if "value" in item]
    fields: dict[str, forms.Field] = {}
    conditional, item_hints, dividers, exclusive = {}, {}, {}, []
    divider = None
    for item in context["items"]:
        if "divider" in item:
            divider = item["divider"]
            continue
        value = item["value"]
        if divider:
            dividers[value], divider = divider, None
        if "hint" in item:
            item_hints[value] = item["hint"]["text"]
        if item.get("behaviour") == "exclusive":
            exclusive.append(value)
        if "conditional" in item:
            reveal_name, reveal_label, attrs = CONDITIONAL_FIELDS[value]
            fields[reveal_name] = forms.CharField(
                label=reveal_label, required=False, widget=forms.TextInput(attrs)
            )
            conditional[value] = nhsuk.Field(reveal_name, width="two-thirds")
    legend = context.get("fieldset") or {}
    label, options = field_options(legend, "legend") if legend else ("", {})
    fields[name] = field_class(
        label=label,
        help_text=hint(context),
        required=False,
        choices=[(item["value"], item["text"]) for item in items],
        widget=widget_class({"id": context.get("idPrefix", name)}),
    )
    layout = nhsuk.Field(
        name,
        small=context.get("small", False),
        inline=context.get("inline", False),
        fieldset=bool(legend),
        item_hints=item_hints,
        dividers=dividers,
        exclusive=exclusive,
        conditional=conditional,
        **options,
    )
    value = context.get("values", context.get("value"))
    if error(context):
        return render(fields, layout, data={}, errors={name: error(context)})
    return render(fields, layout, initial={name: value})


# Fixtures that come twice, the second time with small: true.
SMALL = {
    "with hint",
    "with error message",
    "with error message and hint",
    "with error message, without heading",
    "with hints on items",
    "with divider",
    "inline",
    "with conditional content",
    "with pre-checked value",
    "with pre-checked values",
    'with "none" option',
    "without fieldset",
}

RADIOS = [
    "with hint",
    "with error message",
    "with error message and hint",
    "with error message, without heading",
    "with hints on items",
    "with divider",
    "inline",
    "with conditional content",
    "with pre-checked value",
    "without fieldset",
    "without heading",
]


@pytest.mark.parametrize(
    ("name", "small"),
    [(name, None) for name in RADIOS] + [(name, True) for name in RADIOS if name in SMALL],
)
def test_radios_match_fixture(name: str, small: bool | None) -> None:
    """radios fixtures of those names, and their `small` twins: legends as page headings,
    hints on the group and on items, dividers, inline, conditional reveals (hidden unless
    chosen), pre-checked values."""
    fx = fixture("radios", name, small=small)
    assert_renders_as(choices(fx, forms.ChoiceField, forms.RadioSelect), fx)


CHECKBOXES = [
    "with hint",
    "with error message",
    "with error message and hint",
    "with hints on items",
    "with conditional content",
    "with pre-checked values",
    'with "none" option',
    "without fieldset",
    "without heading",
]


@pytest.mark.parametrize(
    ("name", "small"),
    [(name, None) for name in CHECKBOXES] + [(name, True) for name in CHECKBOXES if name in SMALL],
)
def test_checkboxes_match_fixture(name: str, small: bool | None) -> None:
    """checkboxes fixtures of those names, and their `small` twins: as the radios, plus an
    exclusive "none" option after a divider."""
    fx = fixture("checkboxes", name, small=small)
    html = choices(fx, forms.MultipleChoiceField, forms.CheckboxSelectMultiple)
    assert_renders_as(html, fx)


# --- Dates -----------------------------------------------------------------------------------


def date_input(fx: Fixture, **field_kwargs: Any) -> tuple[str, nhsuk.DateField, nhsuk.Field]:
    label, options = field_options(fx.context["fieldset"], "legend")
    name = fx.context["id"]
    field = nhsuk.DateField(label=label, help_text=hint(fx.context), **field_kwargs)
    return name, field, nhsuk.Field(name, **options)


def date_values(context: dict[str, Any]) -> dict[str, str]:
    """The boxes' values, given as `values`, as `items` or as `day`, `month` and `year`."""
    items = {item["name"]: item for item in context.get("items", [])}
    return {
        part: (context.get("values") or {}).get(part)
        or (items.get(part) or context.get(part) or {}).get("value", "")
        for part in ("day", "month", "year")
    }


def expected_date_names(fx: Fixture) -> Fixture:
    """DateInput always posts <name>[day] (the macro's namePrefix), so give the fixture one."""
    if "namePrefix" in fx.context:
        return fx
    html = fx.html
    for part in ("day", "month", "year"):
        html = html.replace(f'name="{part}"', f'name="{fx.context["id"]}[{part}]"')
    return Fixture(fx.component, fx.name, fx.context, html)


@pytest.mark.parametrize(
    "name", ["default", "with custom name prefix", "with values", "without heading"]
)
def test_date_input_matches_fixture(name: str) -> None:
    """date-input fixtures of those names (names with the field's prefix, see
    expected_date_names)."""
    fx = fixture("date-input", name)
    field_name, field, layout = date_input(fx)
    values = date_values(fx.context)
    initial = (
        datetime.date(int(values["year"]), int(values["month"]), int(values["day"]))
        if all(values.values())
        else None
    )
    html = render({field_name: field}, layout, initial={field_name: initial})
    assert_renders_as(html, expected_date_names(fx))


@pytest.mark.parametrize(
    "name",
    ["with error message", "with error message and hint", "with error message, without heading"],
)
def test_date_input_left_empty_matches_fixture(name: str) -> None:
    """date-input fixtures of those names: a required date left empty marks all three boxes."""
    fx = fixture("date-input", name)
    field_name, field, layout = date_input(fx, error_messages={"required": error(fx.context)})
    html = render({field_name: field}, layout, data={})
    assert_renders_as(html, expected_date_names(fx))


@pytest.mark.parametrize("part", ["day", "month", "year"])
def test_date_input_missing_part_matches_fixture(part: str) -> None:
    """date-input fixtures "with error on day input", "... month input", "... year input":
    DateField names the missing box, and only that box is marked."""
    fx = fixture("date-input", f"with error on {part} input")
    message = error(fx.context).replace(part, "%(missing)s")
    field_name, field, layout = date_input(fx, error_messages={"incomplete": message})
    data = {f"{field_name}[{key}]": value for key, value in date_values(fx.context).items()}
    html = render({field_name: field}, layout, data=data)
    assert_renders_as(html, expected_date_names(fx))


# --- File upload, fieldset, buttons ----------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "default",
        "with hint",
        "with error message",
        "with error message and hint",
        "without heading",
    ],
)
def test_file_upload_matches_fixture(name: str) -> None:
    """file-upload fixtures of those names."""
    fx = fixture("file-upload", name)
    field_name = fx.context["name"]
    label, options = field_options(fx.context, "label")
    field = forms.FileField(label=label, help_text=hint(fx.context), required=False)
    layout = nhsuk.Field(field_name, **options)
    if error(fx.context):
        html = render({field_name: field}, layout, data={}, errors={field_name: error(fx.context)})
    else:
        html = render({field_name: field}, layout)
    assert_renders_as(html, fx)


@pytest.mark.parametrize("name", ["default", "with HTML", "without legend heading"])
def test_fieldset_matches_fixture(name: str) -> None:
    """fieldset fixtures of those names; "with HTML" holds the address questions of the
    input fixtures "example address line 1", "... line 2", "... town or city", "... postcode"."""
    fx = fixture("fieldset", name)
    fields, layouts = {}, []
    if "html" in fx.context:
        for example in ("line 1", "line 2", "town or city", "postcode"):
            field_name, field, layout = text_input(
                fixture("input", f"example address {example}").context
            )
            fields[field_name], layouts = field, [*layouts, layout]
    label, options = field_options(fx.context, "legend")
    html = render(
        fields,
        nhsuk.Fieldset(
            label,
            *layouts,
            legend_size=options["label_size"],
            heading_level=options["heading_level"],
            caption=options["caption"],
        ),
    )
    assert_renders_as(html, fx)


@pytest.mark.parametrize(
    "name",
    [
        "default",
        "secondary",
        "secondary, solid background",
        "warning",
        "reverse",
        "login",
        "disabled",
        "with double click prevented",
        "as a link",
        "secondary as a link",
        "default, small",
    ],
)
def test_button_matches_fixture(name: str) -> None:
    """button fixtures of those names."""
    fx = fixture("button", name)
    context = fx.context
    button = nhsuk.Button(
        context["text"],
        variant=context.get("variant"),
        href=context.get("href"),
        small=context.get("small", False),
        disabled=context.get("disabled", False),
        prevent_double_click=context.get("preventDoubleClick", False),
    )
    assert_renders_as(render({}, button), fx)


# --- The error summary -----------------------------------------------------------------------


def error_summary(form: forms.Form) -> str:
    return Template("{% load crispy_forms_tags %}{{ form|as_crispy_errors }}").render(
        Context({"form": form})
    )


def test_error_summary_links_a_date_to_its_day_box() -> None:
    """error-summary fixture "default": a date's error links to the day box."""
    fx = fixture("error-summary", "default")
    message = fx.context["errorList"][0]["text"]
    form = FixtureForm(
        {
            "example": nhsuk.DateField(
                validators=[MaxValueValidator(datetime.date(2000, 1, 1), message)]
            )
        },
        data={"example[day]": "1", "example[month]": "1", "example[year]": "2020"},
    )
    assert not form.is_valid()
    assert_renders_as(error_summary(form), fx)


def test_error_summary_links_each_field() -> None:
    """error-summary fixture "with multiple errors": one linked item per field, in form order."""
    fx = fixture("error-summary", "with multiple errors")
    fields = {}
    for item in fx.context["errorList"]:
        field_id = item["href"].removeprefix("#")
        fields[field_id.removeprefix("example-")] = forms.CharField(
            widget=forms.TextInput({"id": field_id}), error_messages={"required": item["text"]}
        )
    form = FixtureForm(fields, data={})
    assert not form.is_valid()
    assert_renders_as(error_summary(form), fx)


@pytest.mark.parametrize("name", ["without error link", "without error link (mixed)"])
def test_error_summary_lists_form_errors_without_a_link(name: str) -> None:
    """error-summary fixtures of those names: errors about the whole form (a failed sign-in)
    come first and link nowhere; a required checkbox's error links to it."""
    fx = fixture("error-summary", name)
    general = [item["text"] for item in fx.context["errorList"] if "href" not in item]
    linked = [item for item in fx.context["errorList"] if "href" in item]

    class SignInForm(FixtureForm):
        def clean(self) -> None:
            raise forms.ValidationError(general)

    fields = {
        item["href"].removeprefix("#"): forms.BooleanField(
            error_messages={"required": item["text"]}
        )
        for item in linked
    }
    form = SignInForm(fields, data={})
    assert not form.is_valid()
    assert_renders_as(error_summary(form), fx)


class ContactForm(forms.Form):
    full_name = forms.CharField(error_messages={"required": "Enter your full name"})
    contact = forms.ChoiceField(
        label="How should we contact you?",
        choices=[("email", "Email"), ("phone", "Phone")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select how we should contact you"},
    )
    topics = forms.MultipleChoiceField(
        choices=[("votes", "Votes"), ("meetings", "Meetings")],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one topic"},
    )
    meeting = nhsuk.DateField(
        label="Meeting date",
        error_messages={"incomplete": "Meeting date must include a %(missing)s"},
    )
    summary = forms.CharField(
        widget=forms.Textarea,
        max_length=20,
        error_messages={"max_length": "Summary must be 20 characters or fewer"},
    )

    def clean(self) -> None:
        raise forms.ValidationError("We could not save your details")


def test_form_with_errors_has_summary_first_and_inline_errors() -> None:
    """A form with errors starts with the error summary: form-wide errors unlinked, then one
    link per field error to an element on the page (the first radio or checkbox, the
    month box of a date missing its month); each field shows its own message."""
    form = ContactForm(data={"meeting[day]": "1", "meeting[year]": "2026", "summary": "x" * 21})
    form.helper = FormHelper()
    form.helper.add_input(nhsuk.Button("Save"))
    html = render_crispy_form(form)

    form_element = find_all(html, "form")[0]
    first = next(child for child in form_element.children if not isinstance(child, str))
    assert first.attrs["class"] == "nhsuk-error-summary"
    assert first.attrs["data-module"] == "nhsuk-error-summary"
    assert find_all(html, "div", role="alert")
    assert text_of(find_all(html, "h2", class_="nhsuk-error-summary__heading")[0]) == (
        "There is a problem"
    )
    items = find_all(html, "li")
    assert text_of(items[0]) == "We could not save your details"
    assert all(isinstance(child, str) for child in items[0].children)
    links = {text_of(a): a.attrs["href"] for a in find_all(html, "a")}
    assert links == {
        "Enter your full name": "#id_full_name",
        "Select how we should contact you": "#id_contact",
        "Select at least one topic": "#id_topics",
        "Meeting date must include a month": "#id_meeting-month",
        "Summary must be 20 characters or fewer": "#id_summary",
    }
    ids = {element.attrs["id"] for tag in ("input", "textarea") for element in find_all(html, tag)}
    assert {href.removeprefix("#") for href in links.values()} <= ids

    for name, message in [
        ("full_name", "Enter your full name"),
        ("contact", "Select how we should contact you"),
        ("topics", "Select at least one topic"),
        ("meeting", "Meeting date must include a month"),
        ("summary", "Summary must be 20 characters or fewer"),
    ]:
        (inline,) = find_all(html, "span", id=f"id_{name}-error")
        assert inline.attrs["class"] == "nhsuk-error-message"
        assert text_of(inline) == f"Error: {message}"
    # the five questions, and the date's month box
    assert len(find_all(html, "div", class_="nhsuk-form-group--error")) == 6
    assert find_all(html, "input", id="id_full_name", class_="nhsuk-input--error")
    assert find_all(html, "input", id="id_meeting-month", class_="nhsuk-input--error")
    assert not find_all(html, "input", id="id_meeting-day", class_="nhsuk-input--error")
    assert find_all(html, "textarea", id="id_summary", class_="nhsuk-textarea--error")
    assert find_all(html, "fieldset", aria_describedby="id_contact-error")


def test_form_without_errors_has_no_summary() -> None:
    """An unbound form shows neither a summary nor error messages."""
    html = render_crispy_form(ContactForm())
    assert "nhsuk-error-summary" not in html
    assert "nhsuk-error-message" not in html
    assert "novalidate" in html


def test_error_summary_can_be_rendered_elsewhere() -> None:
    """helper.error_summary = False leaves it to {{ form|as_crispy_errors }} above the h1."""
    form = ContactForm(data={})
    form.helper = FormHelper()
    form.helper.error_summary = False
    assert "nhsuk-error-summary" not in render_crispy_form(form)
    assert "nhsuk-error-message" in render_crispy_form(form)
    assert "nhsuk-error-summary" in error_summary(form)


# --- Behaviour beyond the fixtures -----------------------------------------------------------


def test_crispy_filter_renders_the_same_fields() -> None:
    """{{ form|crispy }} uses the same templates as {% crispy form %}."""
    form = ContactForm(data={})
    html = Template("{% load crispy_forms_tags %}{{ form|crispy }}").render(Context({"form": form}))
    assert "nhsuk-error-summary" in html
    assert find_all(html, "div", class_="nhsuk-radios")
    assert find_all(html, "div", class_="nhsuk-date-input")
    assert "<form" not in html


def test_single_checkbox_is_an_nhsuk_checkbox() -> None:
    """A BooleanField is one nhsuk checkbox, its label beside it, described by its hint."""
    fields = {"agree": forms.BooleanField(label="I agree", help_text="You can change this later")}
    html = render(fields, "agree", initial={"agree": True})
    (box,) = find_all(html, "input", type="checkbox")
    assert box.attrs["class"] == "nhsuk-checkboxes__input"
    assert "checked" in box.attrs
    assert box.attrs["aria-describedby"] == "agree-hint"
    assert find_all(html, "div", class_="nhsuk-checkboxes", data_module="nhsuk-checkboxes")
    (label,) = find_all(html, "label")
    assert label.attrs == {"class": "nhsuk-label nhsuk-checkboxes__label", "for": "agree"}
    assert text_of(label) == "I agree"


def test_crispy_inputs_render_as_nhsuk_buttons() -> None:
    """crispy's own Submit, Button and Reset become nhsuk-buttons, keeping name and value."""
    html = render(
        {},
        FormActions(
            Submit("decision", "Approve"), CrispyButton("help", "Help"), Reset("r", "Reset")
        ),
    )
    buttons = find_all(html, "button")
    assert [b.attrs["class"] for b in buttons] == ["nhsuk-button"] * 3
    assert [(b.attrs["type"], b.attrs["name"], b.attrs["value"]) for b in buttons] == [
        ("submit", "decision", "Approve"),
        ("button", "help", "Help"),
        ("reset", "r", "Reset"),
    ]
    assert "btn" not in html
    assert find_all(html, "div", class_="nhsuk-button-group")


def test_crispy_layout_objects_render() -> None:
    """The layout objects people reach for render with nhsuk markup (no missing templates)."""
    fields = {
        "amount": forms.DecimalField(label="Cost per item"),
        "colour": forms.ChoiceField(
            choices=[("r", "Red"), ("g", "Green")], widget=forms.RadioSelect
        ),
        "first": forms.CharField(),
        "last": forms.CharField(),
        "note": forms.CharField(required=False),
    }
    html = render(
        fields,
        CrispyFieldset("About you", Row(Column("first", css_class="nhsuk-grid-column-one-half"))),
        Div("last", css_class="extra"),
        PrependedAppendedText("amount", "£", "per item"),
        InlineRadios("colour"),
        CrispyField("note", css_class="nhsuk-u-width-two-thirds", autocomplete="off"),
        HTML("<p class='nhsuk-body'>Check your answers</p>"),
    )
    assert find_all(html, "legend", class_="nhsuk-fieldset__legend")
    assert find_all(html, "div", class_="nhsuk-grid-row")
    assert find_all(html, "div", class_="nhsuk-input-wrapper__prefix")
    assert find_all(html, "div", class_="nhsuk-radios--inline")
    (note,) = find_all(html, "input", id="note")
    assert note.attrs["class"] == "nhsuk-input nhsuk-u-width-two-thirds"
    assert note.attrs["autocomplete"] == "off"
    assert find_all(html, "p", class_="nhsuk-body")


def test_rendered_forms_have_no_inline_script_or_style() -> None:
    """The Content Security Policy refuses inline scripts and styles."""
    html = render_crispy_form(ContactForm(data={}))
    assert "<script" not in html
    assert "style=" not in html
    assert "<style" not in html


@pytest.mark.parametrize(
    ("data", "message", "parts"),
    [
        ({}, "Enter a date", ["day", "month", "year"]),
        ({"day": "1", "year": "2026"}, "Meeting date must include a month", ["month"]),
        ({"day": "1"}, "Meeting date must include a month and year", ["month", "year"]),
        ({"day": "31", "month": "2", "year": "2026"}, "Meeting date must be a real date", ["day"]),
        (
            {"day": "1", "month": "13", "year": "2026"},
            "Meeting date must be a real date",
            ["month"],
        ),
        ({"day": "x", "month": "1", "year": "2026"}, "Meeting date must be a real date", ["day"]),
        ({"day": "1", "month": "1", "year": "26"}, "Year must include 4 numbers", ["year"]),
    ],
)
def test_date_field_names_what_is_wrong(data: dict, message: str, parts: list[str]) -> None:
    form = FixtureForm(
        {"meeting": nhsuk.DateField(label="Meeting date")},
        data={f"meeting[{key}]": value for key, value in data.items()},
    )
    assert not form.is_valid()
    (error_,) = form.errors.as_data()["meeting"]
    assert error_.messages == [message]
    assert error_.params["parts"] == parts


def test_date_field_cleans_to_a_date() -> None:
    form = FixtureForm(
        {"meeting": nhsuk.DateField(), "other": nhsuk.DateField(required=False)},
        data={"meeting[day]": " 5", "meeting[month]": "08", "meeting[year]": "2026"},
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"meeting": datetime.date(2026, 8, 5), "other": None}


def test_layout_options_are_checked() -> None:
    with pytest.raises(ValueError, match="label_size"):
        nhsuk.Field("x", label_size="xxl")
    with pytest.raises(ValueError, match="width"):
        nhsuk.Field("x", width=7)
    with pytest.raises(ValueError, match="variant"):
        nhsuk.Button("Go", variant="primary")


def test_a_single_field_renders_with_as_crispy_field() -> None:
    """{{ form.field|as_crispy_field }} renders one question with its inline error."""
    form = ContactForm(data={})
    html = Template("{% load crispy_forms_tags %}{{ form.full_name|as_crispy_field }}").render(
        Context({"form": form})
    )
    assert find_all(html, "input", id="id_full_name", class_="nhsuk-input--error")
    assert find_all(html, "span", id="id_full_name-error")
    assert "nhsuk-error-summary" not in html


def test_formset_has_one_summary_linking_into_each_form() -> None:
    """{% crispy formset helper %}: one error summary for every form in the formset."""
    formset_class = forms.formset_factory(ContactForm, extra=2)
    formset = formset_class(
        data={
            "form-TOTAL_FORMS": "2",
            "form-INITIAL_FORMS": "0",
            "form-0-full_name": "Ann",
            "form-1-summary": "Votes",
        }
    )
    helper = FormHelper()
    helper.template_pack = "nhsuk"
    html = Template("{% load crispy_forms_tags %}{% crispy formset helper %}").render(
        Context({"formset": formset, "helper": helper})
    )
    assert len(find_all(html, "div", class_="nhsuk-error-summary")) == 1
    hrefs = [a.attrs["href"] for a in find_all(html, "a")]
    assert "#id_form-1-full_name" in hrefs
    assert "#id_form-0-full_name" not in hrefs
    assert "#id_form-0-contact" in hrefs
    assert find_all(html, "input", name="form-TOTAL_FORMS")
    ids = {e.attrs.get("id") for tag in ("input", "textarea") for e in find_all(html, tag)}
    assert {href.removeprefix("#") for href in hrefs} <= ids


def test_disabled_date_field_keeps_its_initial_date() -> None:
    form = FixtureForm(
        {"meeting": nhsuk.DateField(disabled=True, initial=datetime.date(2026, 3, 1))},
        data={},
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["meeting"] == datetime.date(2026, 3, 1)
