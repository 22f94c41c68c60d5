"""Report helpers: sgd's sparklines and when a run counts as long."""

from __future__ import annotations

import math

from nncalc.output.reports import sgd as reports


def test_sparkline() -> None:
    assert reports.sparkline([1.0, 10.0, 100.0], 1.0, 100.0) == "▁▅█"
    assert reports.sparkline([100.0, 10.0, 1.0], 1.0, 100.0) == "█▅▁"
    assert reports.sparkline([math.inf, math.nan, 1.0], 1.0, 100.0) == "█ ▁"
    assert reports.sparkline([3.0, 3.0], 3.0, 3.0) == "▁▁"
    long = reports.sparkline([float(i + 1) for i in range(1000)], 1.0, 1000.0, width=40)
    assert len(long) == 40 and long[0] == "▁" and long[-1] == "█"
    assert list(long) == sorted(long)


def test_long_run_threshold() -> None:
    assert reports.is_long_run(100_000, 0, 1)
    assert not reports.is_long_run(2_020, 24_000, 5)  # the defaults
