"""What people may type: plain text everywhere, Markdown in a position's body, and never
markup. Markup is refused with a message rather than silently stripped, so what a person
sees after saving is what they wrote."""

from __future__ import annotations

import re
from collections.abc import Mapping

import markdown
import nh3
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from icsvoice.errors import DomainError

# A tag (<b>, </p>, <script ...>, <!-- -->, <?php) or an HTML entity that could hide one.
_MARKUP = re.compile(r"<[/!?]?[a-zA-Z][^>]*>|<!--|&#|&[a-zA-Z]+;")
_SCRIPT_URL = re.compile(r"(?i)(java|vb)script\s*:|data\s*:\s*text/html")

MARKUP_MESSAGE = (
    "{label} must be plain text: remove the HTML ({found}). "
    "Use Markdown for headings, lists and links."
)

_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}


def markup_in(value: str) -> str | None:
    """The first piece of markup or script link in a text, or None."""
    match = _MARKUP.search(value) or _SCRIPT_URL.search(value)
    return match.group(0)[:40] if match else None


def no_markup(value: str) -> None:
    """A form field validator."""
    found = markup_in(value or "")
    if found:
        raise ValidationError(MARKUP_MESSAGE.format(label="This", found=found), code="markup")


def check_plain(fields: Mapping[str, str]) -> None:
    """For services: refuse the first {label: text} holding markup."""
    for label, value in fields.items():
        found = markup_in(value or "")
        if found:
            raise DomainError(MARKUP_MESSAGE.format(label=label, found=found))


def check_links(value: str, label: str = "Evidence links") -> list[str]:
    """One http(s) address per line; returns them."""
    validate = URLValidator(schemes=["http", "https"])
    links = [line.strip() for line in (value or "").splitlines() if line.strip()]
    for number, link in enumerate(links, start=1):
        try:
            validate(link)
        except ValidationError:
            raise DomainError(
                f"{label}: line {number} is not a web address starting https:// or http://"
            ) from None
    return links


def render_markdown(source: str) -> str:
    """Markdown to HTML, then sanitised by an allow-list (nh3): the stored body never holds
    markup, and this is the second wall should any reach it."""
    html = markdown.markdown(source or "", extensions=["sane_lists", "tables"])
    html = re.sub(r"<h1>(.*?)</h1>", r"<h2>\1</h2>", html)  # the page owns the only h1
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """Text for a CSV cell that a spreadsheet will show, not run as a formula."""
    return "'" + value if value[:1] in _FORMULA_STARTS else value
