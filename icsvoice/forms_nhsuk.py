"""NHS.UK design system pieces for the crispy `nhsuk` template pack (templates/nhsuk/).

Plain Django forms render correctly through `{% crispy form %}` or `{{ form|crispy }}`
without anything from this module: labels, hints (a field's help_text), inline errors, the
error summary, text inputs, textareas (with a character count when the field has a
max_length), selects, radios, checkboxes, file uploads and hidden fields.

This module adds what a Django form cannot say on its own:

- `Field`: a crispy Field with the design system's options: label or legend size and
  heading level, input width, prefix/suffix, code styling, small or inline radios and
  checkboxes, hints on single options, dividers, an exclusive "none" checkbox, conditional
  reveals, and character count limits in words.
- `Fieldset`: a crispy Fieldset whose legend can be sized, captioned and be the page heading.
- `Button`: an nhsuk-button (primary, secondary, warning...), optionally a link.
- `DateField` with its `DateInput` widget: day, month and year boxes (nhsuk-date-input),
  validated with the design system's error messages and highlighting only the boxes that
  are wrong.

Everything is rendered by templates in templates/nhsuk/, whose markup follows nhsuk-frontend's
own Nunjucks macros; tests/icsvoice/test_crispy_nhsuk.py compares the two.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from crispy_forms import layout
from crispy_forms.utils import TEMPLATE_PACK, render_field
from django import forms
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString

SIZES = ("s", "m", "l", "xl")
INPUT_WIDTHS = (2, 3, 4, 5, 10, 20, 30)
FLUID_WIDTHS = ("full", "three-quarters", "two-thirds", "one-half", "one-third", "one-quarter")
BUTTON_VARIANTS = ("secondary", "secondary-solid", "reverse", "warning", "login", "brand")
HEADING_LEVELS = (1, 2, 3, 4, 5, 6)


def _check(name: str, value: Any, allowed: Iterable[Any]) -> None:
    allowed = tuple(allowed)
    if value is not None and value not in allowed:
        raise ValueError(f"{name}={value!r} is not one of {allowed}")


def width_class(width: int | str | None) -> str:
    """The input class for a character width (10) or a fluid width ("two-thirds")."""
    if width is None:
        return ""
    if isinstance(width, int):
        _check("width", width, INPUT_WIDTHS)
        return f"nhsuk-input--width-{width}"
    _check("width", width, FLUID_WIDTHS)
    return f"nhsuk-u-width-{width}"


class Field(layout.Field):
    """A crispy Field with the design system's options.

    label_size: "s", "m", "l" or "xl" (the label, or the legend for radios, checkboxes and
    dates). heading_level: wrap the label or legend in <h1>..<h6> (1 when the question is
    the page heading). caption: a caption shown above the label or legend text.

    Text inputs: width (2, 3, 4, 5, 10, 20, 30 characters, or a fluid "two-thirds"...),
    code (monospace, for codes like NHS numbers), prefix and suffix ("£", "per item").

    Textareas: rows; a character count appears for any field with a max_length, or with
    maxlength/maxwords here, and threshold (a percentage) delays the count message.
    character_count=False turns it off.

    Radios and checkboxes: small, inline, fieldset=False (no fieldset and legend),
    item_hints {value: hint}, dividers {value: "or"} (shown before that option),
    exclusive [values] (a checkbox that unticks the others, like "None of these"),
    conditional {value: field name, layout object or a list of them} revealed when that
    option is chosen (name those fields only here, not elsewhere in the layout).

    Any other keyword is an HTML attribute for the widget, as in crispy's Field:
    `Field("nhs_number", width=10, code=True, inputmode="numeric", spellcheck="false")`.
    """

    def __init__(
        self,
        *fields: str,
        label_size: str | None = None,
        heading_level: int | None = None,
        caption: str | None = None,
        width: int | str | None = None,
        code: bool = False,
        prefix: str | None = None,
        suffix: str | None = None,
        rows: int | None = None,
        maxlength: int | None = None,
        maxwords: int | None = None,
        threshold: int | None = None,
        character_count: bool | None = None,
        small: bool = False,
        inline: bool = False,
        fieldset: bool = True,
        item_hints: Mapping[Any, str] | None = None,
        dividers: Mapping[Any, str] | None = None,
        exclusive: Iterable[Any] = (),
        conditional: Mapping[Any, Any] | None = None,
        css_class: str | None = None,
        wrapper_class: str | None = None,
        template: str | None = None,
        **attrs: Any,
    ) -> None:
        super().__init__(
            *fields, css_class=css_class, wrapper_class=wrapper_class, template=template, **attrs
        )
        _check("label_size", label_size, SIZES)
        _check("heading_level", heading_level, HEADING_LEVELS)
        self.options: dict[str, Any] = {
            "label_size": label_size,
            "heading_level": heading_level,
            "caption": caption,
            "width_class": width_class(width),
            "code": code,
            "prefix": prefix,
            "suffix": suffix,
            "rows": rows,
            "maxlength": maxlength,
            "maxwords": maxwords,
            "threshold": threshold,
            "character_count": character_count,
            "small": small,
            "inline": inline,
            "fieldset": fieldset,
        }
        self.item_hints = {str(k): v for k, v in (item_hints or {}).items()}
        self.dividers = {str(k): v for k, v in (dividers or {}).items()}
        self.exclusive = {str(v) for v in exclusive}
        self.conditional = {str(k): v for k, v in (conditional or {}).items()}
        if (self.item_hints or self.dividers or self.exclusive or self.conditional) and len(
            self.fields
        ) != 1:
            raise ValueError("per-option settings need a Field with exactly one field name")

    def render(
        self,
        form: forms.BaseForm,
        context: Any,
        template_pack: Any = TEMPLATE_PACK,
        extra_context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> SafeString:
        options = dict(self.options)
        if self.item_hints or self.dividers or self.exclusive or self.conditional:
            options["choices"] = self._choice_items(form, context, template_pack)
        extra_context = {**(extra_context or {}), "nhsuk": options}
        return super().render(
            form, context, template_pack=template_pack, extra_context=extra_context, **kwargs
        )

    def _choice_items(self, form: forms.BaseForm, context: Any, template_pack: Any) -> list:
        """One dict per option, numbered as nhsuk-frontend numbers them (dividers count)."""
        bound = form[self.fields[0]]
        base_id = bound.field.widget.attrs.get("id") or bound.auto_id
        items = []
        index = 0
        for option in bound.subwidgets:
            value = str(option.data["value"])
            divider = self.dividers.get(value, "")
            if divider:
                index += 1
            index += 1
            reveal = self.conditional.get(value)
            items.append(
                {
                    "data": option.data,
                    "id": base_id if index == 1 else f"{base_id}-{index}",
                    "hint": self.item_hints.get(value, ""),
                    "divider": divider,
                    "behaviour": "exclusive" if value in self.exclusive else "",
                    "conditional": self._render_reveal(reveal, form, context, template_pack)
                    if reveal is not None
                    else "",
                }
            )
        return items

    @staticmethod
    def _render_reveal(reveal: Any, form: Any, context: Any, template_pack: Any) -> SafeString:
        parts = reveal if isinstance(reveal, list | tuple) else [reveal]
        return SafeString(
            "".join(
                render_field(part, form, context, template_pack=template_pack) for part in parts
            )
        )


class Fieldset(layout.Fieldset):
    """A crispy Fieldset whose legend can be sized, captioned and be a heading.

    `Fieldset("What is your address?", "line1", "town", legend_size="l", heading_level=1)`
    """

    def __init__(
        self,
        legend: str,
        *fields: Any,
        legend_size: str | None = None,
        heading_level: int | None = None,
        caption: str | None = None,
        css_class: str | None = None,
        css_id: str | None = None,
        template: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            legend, *fields, css_class=css_class, css_id=css_id, template=template, **kwargs
        )
        _check("legend_size", legend_size, SIZES)
        _check("heading_level", heading_level, HEADING_LEVELS)
        self.legend_size = legend_size
        self.heading_level = heading_level
        self.caption = caption


class Button(layout.BaseInput):
    """An nhsuk-button: `Button("Save and continue")`, `Button("Delete", variant="warning")`.

    Use it in a Layout or with helper.add_input(). name and value are sent with the form
    when given; href makes it a link styled as a button. Crispy's own Submit, Button and
    Reset also render as nhsuk-buttons (primary), keeping their name and value.
    """

    nhsuk = True

    def __init__(
        self,
        text: str,
        *,
        name: str = "",
        value: str = "",
        variant: str | None = None,
        type: str = "submit",
        href: str | None = None,
        small: bool = False,
        disabled: bool = False,
        prevent_double_click: bool = False,
        css_id: str | None = None,
        css_class: str | None = None,
        template: str | None = None,
        **attrs: Any,
    ) -> None:
        _check("variant", variant, BUTTON_VARIANTS)
        self.input_type = type
        super().__init__(name, text, css_id=css_id, template=template, **attrs)
        self.id = css_id or ""
        self.button_value = value
        self.variant = variant
        self.href = href
        self.small = small
        self.disabled = disabled
        self.prevent_double_click = prevent_double_click
        self.css_class = css_class or ""


# --- Dates -----------------------------------------------------------------------------------

DATE_PARTS = (("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4))


def _date_parts(value: datetime.date | None) -> list[str | None]:
    if value:
        return [str(value.day), str(value.month), str(value.year)]
    return [None, None, None]


class DateInput(forms.MultiWidget):
    """Day, month and year text boxes, posted as `<name>[day]`, `<name>[month]`, `<name>[year]`.

    The crispy `nhsuk` pack renders it as an nhsuk-date-input inside a fieldset whose
    legend is the field's label; the error summary links to the day box.
    autocomplete="bday" adds bday-day, bday-month and bday-year for a date of birth.
    """

    nhsuk_date_input = True

    def __init__(self, attrs: dict[str, Any] | None = None, autocomplete: str = "") -> None:
        widgets: dict[str, forms.Widget | type[forms.Widget]] = {}
        for part, _label, _width in DATE_PARTS:
            part_attrs = {"inputmode": "numeric"}
            if autocomplete:
                part_attrs["autocomplete"] = f"{autocomplete}-{part}"
            widgets[part] = forms.TextInput(attrs=part_attrs)
        super().__init__(widgets, attrs)
        self.widgets_names = [f"[{part}]" for part, _label, _width in DATE_PARTS]

    def decompress(self, value: datetime.date | None) -> list[str | None]:
        return _date_parts(value)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict:
        context = super().get_context(name, value, attrs)
        for subwidget, (part, label, width) in zip(
            context["widget"]["subwidgets"], DATE_PARTS, strict=True
        ):
            subwidget.update({"part": part, "part_label": label, "part_width": width})
        return context


class DateField(forms.MultiValueField):
    """A date entered as day, month and year, with the design system's error messages.

    An error names the boxes that are wrong (ValidationError params["parts"]), so the
    pack highlights just those and the error summary links to the first of them.
    """

    widget = DateInput
    default_error_messages = {
        "required": "Enter a date",
        "incomplete": "%(label)s must include a %(missing)s",
        "invalid": "%(label)s must be a real date",
        "year": "Year must include 4 numbers",
    }

    def __init__(self, **kwargs: Any) -> None:
        parts = (forms.CharField(), forms.CharField(), forms.CharField())
        super().__init__(fields=parts, require_all_fields=False, **kwargs)

    def compress(self, data_list: list[Any]) -> datetime.date | None:
        if not data_list or not any(data_list):
            return None
        day, month, year = (int(part) for part in data_list)
        return datetime.date(year, month, day)

    def _error(self, code: str, parts: list[str], **params: str) -> ValidationError:
        label = str(self.label) if self.label else "Date"
        message = self.error_messages[code] % {"label": label, **params}
        # Escaped, because Django formats the message again with the params.
        return ValidationError(message.replace("%", "%%"), code=code, params={"parts": parts})

    def clean(self, value: Any) -> datetime.date | None:
        if isinstance(value, datetime.date):  # a disabled field is cleaned from its initial
            value = _date_parts(value)
        raw = list(value) if isinstance(value, list | tuple) else [None, None, None]
        values = dict(
            zip(
                (part for part, _label, _width in DATE_PARTS),
                ((str(v).strip() if v is not None else "") for v in raw),
                strict=False,
            )
        )
        if not any(values.values()):
            if self.required:
                raise ValidationError(
                    self.error_messages["required"],
                    code="required",
                    params={"parts": list(values)},
                )
            return None
        missing = [part for part, text in values.items() if not text]
        if missing:
            raise self._error("incomplete", missing, missing=" and ".join(missing))
        not_numbers = [
            part for part, text in values.items() if not (text.isascii() and text.isdigit())
        ]
        if not_numbers:
            raise self._error("invalid", not_numbers)
        if len(values["year"]) != 4:
            raise self._error("year", ["year"])
        day, month, year = (int(values[part]) for part, _label, _width in DATE_PARTS)
        if not 1 <= month <= 12:
            raise self._error("invalid", ["month"])
        try:
            date = datetime.date(year, month, day)
        except (ValueError, OverflowError):  # a day of 20 digits is no date either
            raise self._error("invalid", ["day"]) from None
        self.validate(date)
        self.run_validators(date)
        return date

    def validate(self, value: Any) -> None:
        """Required-ness is checked in clean(), box by box."""
