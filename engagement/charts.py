"""Horizontal bar charts drawn on the server as SVG, for the influence report.

Pure geometry: `bar_chart()` turns rows of (label, value, text) into a chart whose bars,
labels and values have their places worked out here; templates/engagement/report_chart.html
draws it, with role="img", a <title> and <desc>, and the same data as a table below it.
No JavaScript and no style attributes (the Content Security Policy forbids them): colours
are SVG presentation attributes, from the NHS palette, and every bar carries its label and
value as text, so colour never carries meaning on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# NHS identity colours, each at least 4.5:1 against white and the page's grey (#f0f4f5).
NHS_BLUE = "#005eb8"
NHS_DARK_BLUE = "#003087"
NHS_PURPLE = "#330072"
TEXT = "#212b32"
AXIS = "#4c6272"

WIDTH = 360
FONT_SIZE = 16
LABEL_HEIGHT = 22  # from the top of a row to the baseline of its label
BAR_GAP = 6  # between the label's baseline and the bar
BAR_HEIGHT = 24
ROW_GAP = 14
VALUE_GAP = 8  # between a bar's end and its value
VALUE_ROOM = 96  # kept free right of the longest bar for its value ("No data", "381 days")
TICK = 3  # how far the axis mark beside each bar reaches above and below it
PADDING = 4


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str  # the value as people read it: "3", "17.5 days", "No data"
    definition: str
    label_y: int
    bar_y: int
    bar_width: str
    value_x: str
    value_y: int

    @property
    def tick_top(self) -> int:
        return self.bar_y - TICK

    @property
    def tick_bottom(self) -> int:
        return self.bar_y + BAR_HEIGHT + TICK


@dataclass(frozen=True)
class BarChart:
    slug: str  # makes the ids on the page: chart-<slug>-title, chart-<slug>-desc
    title: str
    description: str
    label_heading: str  # the table's column headings
    value_heading: str
    colour: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    text_colour: str = TEXT
    axis_colour: str = AXIS

    @property
    def title_id(self) -> str:
        return f"chart-{self.slug}-title"

    @property
    def desc_id(self) -> str:
        return f"chart-{self.slug}-desc"

    @property
    def bar_height(self) -> int:
        return BAR_HEIGHT

    @property
    def font_size(self) -> int:
        return FONT_SIZE

    @property
    def has_definitions(self) -> bool:
        return any(bar.definition for bar in self.bars)


@dataclass(frozen=True)
class Row:
    label: str
    value: float | None
    text: str
    definition: str = ""


def _coordinate(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def bar_chart(
    *,
    slug: str,
    title: str,
    label_heading: str,
    value_heading: str,
    rows: Sequence[Row],
    colour: str = NHS_BLUE,
) -> BarChart:
    """A bar per row, longest for the largest value; a row with no value has no bar and
    says so in its text. The description reads every bar out, for screen readers."""
    top = max((row.value for row in rows if row.value is not None), default=0) or 1
    room = WIDTH - VALUE_ROOM - PADDING
    bars = []
    for index, row in enumerate(rows):
        row_top = PADDING + index * (LABEL_HEIGHT + BAR_GAP + BAR_HEIGHT + ROW_GAP)
        length = 0.0 if row.value is None else room * max(row.value, 0) / top
        bar_y = row_top + LABEL_HEIGHT + BAR_GAP
        bars.append(
            Bar(
                label=row.label,
                value=row.value,
                text=row.text,
                definition=row.definition,
                label_y=row_top + LABEL_HEIGHT - 6,
                bar_y=bar_y,
                bar_width=_coordinate(length),
                value_x=_coordinate(length + VALUE_GAP),
                value_y=bar_y + BAR_HEIGHT - 6,
            )
        )
    height = PADDING * 2 + len(rows) * (LABEL_HEIGHT + BAR_GAP + BAR_HEIGHT + ROW_GAP) - ROW_GAP
    readout = "; ".join(f"{row.label}: {row.text}" for row in rows)
    return BarChart(
        slug=slug,
        title=title,
        description=f"Bar chart. {readout}.",
        label_heading=label_heading,
        value_heading=value_heading,
        colour=colour,
        bars=tuple(bars),
        width=WIDTH,
        height=height,
    )
