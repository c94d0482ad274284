"""Word differences between versions: changes marked, every word escaped."""

from __future__ import annotations

from django.utils.safestring import SafeString

from groups.diff import word_diff

DEL_OPEN = '<del class="icsvoice-diff-del"><span class="nhsuk-u-visually-hidden">[removed: </span>'
INS_OPEN = '<ins class="icsvoice-diff-ins"><span class="nhsuk-u-visually-hidden">[added: </span>'
CLOSE_HIDDEN = '<span class="nhsuk-u-visually-hidden">]</span>'


def test_same_text_has_no_marks():
    html = word_diff("Fund one hub per place.", "Fund one hub per place.")
    assert html == "Fund one hub per place."
    assert "<del" not in html
    assert "<ins" not in html


def test_a_changed_word_is_removed_then_added_with_words_for_screen_readers():
    html = word_diff("Fund one hub from April.", "Fund one hub from July.")
    assert html == (
        f"Fund one hub from {DEL_OPEN}April.{CLOSE_HIDDEN}</del>{INS_OPEN}July.{CLOSE_HIDDEN}</ins>"
    )


def test_added_and_removed_words_only_mark_what_changed():
    html = word_diff("Fund a hub now", "Fund a new hub")
    assert f"{INS_OPEN}new {CLOSE_HIDDEN}</ins>" in html
    assert f"{DEL_OPEN} now{CLOSE_HIDDEN}</del>" in html
    assert html.startswith("Fund a ")


def test_every_word_is_escaped_changed_or_not():
    html = word_diff('Tom & Jerry said "<b>hi</b>"', "Tom & Jerry said <script>alert('x')</script>")
    assert "<script>" not in html
    assert "<b>" not in html
    assert "Tom &amp; Jerry said " in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&quot;&lt;b&gt;hi&lt;/b&gt;&quot;" in html


def test_the_result_is_safe_to_put_in_a_template_as_it_is():
    assert isinstance(word_diff("a", "b"), SafeString)


def test_empty_or_missing_text_is_all_added_or_all_removed():
    assert word_diff("", "") == ""
    assert word_diff(None, "New text") == f"{INS_OPEN}New text{CLOSE_HIDDEN}</ins>"
    assert word_diff("Old text", None) == f"{DEL_OPEN}Old text{CLOSE_HIDDEN}</del>"


def test_line_breaks_are_kept():
    assert word_diff("one\ntwo", "one\ntwo\nthree") == (
        f"one\ntwo{INS_OPEN}\nthree{CLOSE_HIDDEN}</ins>"
    )
