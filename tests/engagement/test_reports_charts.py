"""The influence report's bar charts: geometry worked out by hand, no database."""

from __future__ import annotations

from engagement import charts
from engagement.charts import Row, bar_chart


def _chart(*rows: Row) -> charts.BarChart:
    return bar_chart(
        slug="test", title="Test", label_heading="Stage", value_heading="Count", rows=rows
    )


def test_bars_are_proportional_to_their_values():
    chart = _chart(Row("Drafted", 4, "4"), Row("Agreed", 2, "2"), Row("Tabled", 1, "1"))
    # Room for bars: 360 wide, less 96 kept for the value text and 4 of padding = 260.
    assert [bar.bar_width for bar in chart.bars] == ["260", "130", "65"]
    # Each value sits 8 after its bar's end.
    assert [bar.value_x for bar in chart.bars] == ["268", "138", "73"]
    # Rows are 22 (label) + 6 + 24 (bar) + 14 apart = 66, from 4 down.
    assert [bar.label_y for bar in chart.bars] == [20, 86, 152]
    assert [bar.bar_y for bar in chart.bars] == [32, 98, 164]
    # The axis mark beside each bar reaches 3 above and below it.
    assert (chart.bars[0].tick_top, chart.bars[0].tick_bottom) == (29, 59)
    # 3 rows of 66, less the last gap, and 4 of padding above and below.
    assert chart.height == 3 * 66 - 14 + 8


def test_zero_and_missing_values_have_no_bar_but_say_so():
    chart = _chart(Row("Adopted", 0, "0"), Row("Median", None, "No data"))
    assert [bar.bar_width for bar in chart.bars] == ["0", "0"]
    assert [bar.text for bar in chart.bars] == ["0", "No data"]
    assert chart.description == "Bar chart. Adopted: 0; Median: No data."


def test_fractional_values_and_names():
    chart = _chart(Row("Draft to agreed", 17, "17 days"), Row("Agreed to tabled", 7.5, "7.5 days"))
    # 260 * 7.5 / 17 = 114.705...: one decimal place.
    assert chart.bars[1].bar_width == "114.7"
    assert (chart.title_id, chart.desc_id) == ("chart-test-title", "chart-test-desc")
    assert chart.colour == charts.NHS_BLUE
    assert not chart.has_definitions
