"""The comparison report written out: ``name=value`` lines, CSV, JSON, or tables with a histogram.

Names and order are those of :data:`~nncalc.core.compare_report.STATISTICS`
(the JSON keys and the names ``--gate`` takes). Plain text and CSV leave out
the statistics that have no value (those of the targets, without targets);
JSON has every key (null for those) and ``kl.histogram``.
"""

from __future__ import annotations

import math

from nncalc.core.compare_report import DP_PERCENTILES, KL_PERCENTILES, CompareReport
from nncalc.output.sinks import Value, write_record
from nncalc.output.spec import Bar, Format, Output, Table
from nncalc.output.text import dumps, format_number, json_value, write

TITLE = "compare"


def write_report(report: CompareReport, output: Output) -> None:
    """Write ``report`` in ``output``'s format."""
    if output.fmt is Format.table:
        from nncalc.output import tables

        tables.render(report_tables(report, output.table_digits), output.env)
    elif output.fmt is Format.json:
        write(report_json(report, output.digits) + "\n", flush=True)
    else:
        values: dict[str, Value] = {
            name: value for name, value in report.as_dict().items() if value is not None
        }
        write_record(TITLE, values, output)


def report_json(report: CompareReport, digits: int | None = None) -> str:
    """One JSON object, as :meth:`CompareReport.to_json`, numbers to ``digits`` if given."""
    statistics = report.as_dict().items()
    items = [f"{dumps(name)}: {json_value(value, digits)}" for name, value in statistics]
    bins = ", ".join(f"[{json_value(low, digits)}, {rows}]" for low, rows in report.kl_histogram)
    items.append(f'"kl.histogram": [{bins}]')
    return "{" + ", ".join(items) + "}"


class _Cells:
    """The report's statistics as table cells."""

    def __init__(self, report: CompareReport, digits: int) -> None:
        self.report = report
        self.digits = digits

    def row(self, name: str) -> list[str | Bar]:
        value = self.report.value(name)
        return [name, "" if value is None else format_number(value, self.digits)]

    def row_with_error(self, name: str) -> list[str | Bar]:
        """``mean ± standard error``."""
        label, value = self.row(name)
        _, error = self.row(f"{name}_se")
        return [label, f"{value} ± {error}"]


def report_tables(report: CompareReport, digits: int) -> list[Table]:
    """The KL block, top-1 agreement, with targets perplexity and dp, and the histogram."""
    cells = _Cells(report, digits)
    kl = [cells.row_with_error("kl.mean"), cells.row("kl.max")]
    kl += [cells.row(f"kl.{p}") for p in reversed(KL_PERCENTILES)]
    kl += [cells.row(name) for name in ("kl.min", "kl_reverse.mean", "js.mean")]
    rows = f"{report.rows:,} row" + ("" if report.rows == 1 else "s")
    agree = [*cells.row("top1_agree"), Bar(_fraction(report.top1_agree))]
    tables = [
        Table(f"KL(base || new) in nats, over {rows}", ["statistic", "value"], kl),
        Table("top-1 agreement", ["statistic", "value", ""], [agree]),
    ]
    if report.has_targets:
        tables += _target_tables(cells)
    tables.append(histogram_table(report))
    return tables


def _target_tables(cells: _Cells) -> list[Table]:
    ppl = [cells.row(name) for name in ("ppl.base", "ppl.new", "ppl.ratio")]
    ppl += [cells.row_with_error("ppl.ln_ratio"), cells.row("ln_p.pearson_r")]
    dp = [cells.row_with_error("dp.mean"), cells.row("dp.rms"), cells.row("dp.max")]
    dp += [cells.row(f"dp.{p}") for p in reversed(DP_PERCENTILES)]
    dp += [cells.row("dp.min"), cells.row("p.pearson_r")]
    return [
        Table("perplexity of the targets", ["statistic", "value"], ppl),
        Table("dp = p_new(target) - p_base(target)", ["statistic", "value"], dp),
    ]


def histogram_table(report: CompareReport) -> Table:
    """Rows by decade of KL(base || new), a bar each (the longest: the fullest bin)."""
    bins = report.kl_histogram
    fullest = max((rows for _, rows in bins), default=0)
    body: list[list[str | Bar]] = [
        [_decade(low), f"{rows:,}", Bar(rows / fullest if fullest else 0.0)] for low, rows in bins
    ]
    return Table("rows by KL (log10 bins)", ["KL", "rows", ""], body)


def _decade(low: float) -> str:
    """A bin's label: '0', 'inf', or '[1e-06, 1e-05)'."""
    if low == 0.0 or math.isinf(low):
        return format_number(low)
    exponent = round(math.log10(low)) if low >= 1e-323 else -324
    return f"[1e{exponent:+03d}, 1e{exponent + 1:+03d})"


def _fraction(value: float) -> float:
    return value if math.isfinite(value) else 0.0
