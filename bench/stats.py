"""The one statistic the benchmarks share."""

from __future__ import annotations

import math


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    # Nearest rank: the smallest value with at least `share` of the values at or below it.
    index = min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))
    return ordered[index]
