"""What people may type: plain text refuses markup, links must be web addresses, and the
Markdown body renders to sanitised HTML."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from icsvoice.errors import DomainError
from icsvoice.text import check_links, check_plain, markup_in, no_markup, render_markdown


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Fund it <b>now</b>", "<b>"),
        ("end of para</p>", "</p>"),
        ('<script src="https://evil.example">', '<script src="https://evil.example">'),
        ("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"),
        ("hidden <!-- comment", "<!--"),
        ("<?php echo 1; ?>", "<?php echo 1; ?>"),
        ("&#60;script&#62;", "&#"),
        ("&lt;script&gt;", "&lt;"),
        ("click javascript:alert(1)", "javascript:"),
        ("JavaScript :alert(1)", "JavaScript :"),
        ("vbscript:msgbox", "vbscript:"),
        ("data: text/html;base64,PHNjcmlwdD4=", "data: text/html"),
    ],
)
def test_markup_in_finds_tags_entities_and_script_links(text, found):
    assert markup_in(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "Same-day access hubs in every place.",
        "Waits fell from 14 to <7 days & we want 5 > 3.",
        "I <3 general practice; AT&T is not an entity.",
        "See https://www.england.nhs.uk/gp/ for the data: it is public.",
        "",
    ],
)
def test_markup_in_lets_ordinary_text_through(text):
    assert markup_in(text) is None


def test_markup_in_quotes_at_most_forty_characters():
    assert markup_in("<a " + "x" * 100 + ">") == ("<a " + "x" * 100 + ">")[:40]


def test_no_markup_is_a_form_validator_that_names_what_to_remove():
    no_markup("Plain words only.")
    no_markup(None)
    with pytest.raises(ValidationError) as caught:
        no_markup("Fund it <b>now</b>")
    assert caught.value.code == "markup"
    assert "remove the HTML (<b>)" in caught.value.messages[0]


def test_check_plain_names_the_field_holding_markup():
    check_plain({"Title": "Hubs", "Summary": ""})
    with pytest.raises(DomainError, match=r"^Summary must be plain text: remove the HTML \(<i>\)"):
        check_plain({"Title": "Hubs", "Summary": "<i>now</i>"})


def test_check_links_returns_one_address_per_line_and_skips_blank_lines():
    value = "  https://www.nhs.uk/a  \n\nhttp://example.org/b?c=d\n   \n"
    assert check_links(value) == ["https://www.nhs.uk/a", "http://example.org/b?c=d"]
    assert check_links("") == []
    assert check_links(None) == []


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("javascript:alert(1)", 1),
        ("https://ok.example\nftp://files.example/x", 2),
        ("https://ok.example\n\nwww.example.org", 2),
        ("data:text/html,<script>alert(1)</script>", 1),
    ],
)
def test_check_links_refuses_anything_but_web_addresses_naming_the_line(value, line):
    with pytest.raises(DomainError, match=f"^Evidence links: line {line} is not a web address"):
        check_links(value)


def test_check_links_uses_the_label_it_is_given():
    with pytest.raises(DomainError, match=r"^Sources: line 1"):
        check_links("nope", label="Sources")


def test_render_markdown_demotes_h1_because_the_page_owns_the_only_one():
    html = render_markdown("# Why\n\nSetext heading\n===\n\n## How")
    assert "<h1" not in html
    assert html.count("<h2>") == 3
    assert "<h2>Why</h2>" in html
    assert "<h2>Setext heading</h2>" in html


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "<a href='javascript:alert(1)'>x</a>",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox)",
    ],
)
def test_render_markdown_strips_script_links(source):
    html = render_markdown(source)
    assert "href" not in html
    assert "script" not in html.lower()
    assert ">x</a>" in html


@pytest.mark.parametrize(
    ("source", "gone"),
    [
        ("<script>alert(1)</script>\n\nok", "alert"),
        ("<img src=x onerror=alert(1)>", "onerror"),
        ("<iframe src=https://evil.example></iframe>", "iframe"),
        ("<style>body{display:none}</style>\n\nok", "display"),
        ('<div onclick="steal()">hi</div>', "onclick"),
        ('<p style="color:red">hi</p>', "style"),
        ("![tracker](https://evil.example/pixel.png)", "img"),
    ],
)
def test_render_markdown_strips_raw_html(source, gone):
    html = render_markdown(source)
    assert gone not in html
    assert "<script" not in html


def test_render_markdown_keeps_safe_formatting_links_and_tables():
    html = render_markdown(
        "Demand is *rising* and **urgent**.\n\n"
        "- one\n- two\n\n"
        "[NHS](https://www.nhs.uk) or [email](mailto:lead@a.example.nhs.uk)\n\n"
        "| Place | Hubs |\n|---|---|\n| North | 2 |"
    )
    assert "<em>rising</em>" in html
    assert "<strong>urgent</strong>" in html
    assert "<li>two</li>" in html
    assert '<a href="https://www.nhs.uk" rel="noopener noreferrer nofollow">NHS</a>' in html
    assert 'href="mailto:lead@a.example.nhs.uk"' in html
    assert "<td>North</td>" in html


def test_render_markdown_of_nothing_is_nothing():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""
