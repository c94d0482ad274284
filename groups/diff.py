"""Word-level differences between two texts, for comparing versions."""

from __future__ import annotations

import difflib
import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> SafeString:
    """HTML with removed words in <del> and added words in <ins>, every word escaped.
    Each change also carries visually hidden "removed:"/"added:" text for screen readers,
    which do not announce <del> and <ins> by themselves."""
    a, b = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(_mark("del", "removed", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            out.append(_mark("ins", "added", "".join(b[j1:j2])))
    return mark_safe("".join(out))  # noqa: S308 - every piece of text above is escaped


def _mark(tag: str, spoken: str, text: str) -> str:
    return (
        f'<{tag} class="icsvoice-diff-{tag}"><span class="nhsuk-u-visually-hidden">'
        f'[{spoken}: </span>{escape(text)}<span class="nhsuk-u-visually-hidden">]</span></{tag}>'
    )
