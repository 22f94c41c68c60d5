"""The model-comparison report: its statistics, their names and their JSON.

Every statistic has one stable name, used as the JSON key, in ``name=value``
lines and in gates (``kl.p99<=1e-3``); the report's field for a name is the
name with dots replaced by underscores (``kl.p99.9`` -> ``kl_p99_9``).
Logarithms are natural (nats); probabilities are fractions, not percent.

Over the n rows kept by the mask, with P the base distribution of a row, Q
the new one, and t the row's target class:

- ``rows``: n.
- ``kl.mean``, ``kl.mean_se``: the mean of KL(P||Q) per row and its
  standard error, the sample standard deviation (ddof = 1) / sqrt(n).
- ``kl.min``, ``kl.p0.1``, ``kl.p1``, ``kl.p5``, ``kl.p10``, ``kl.median``,
  ``kl.p90``, ``kl.p95``, ``kl.p99``, ``kl.p99.9``, ``kl.max``: order
  statistics of KL(P||Q), percentiles by definition 7 of Hyndman and Fan
  (NumPy's default and llama.cpp's; see :mod:`nncalc.core.reduce`).
  Never negative.
- ``kl_reverse.mean``: the mean of KL(Q||P); ``js.mean``: the mean
  Jensen-Shannon divergence.
- ``top1_agree``: the share of rows whose most likely class is the same in
  P and Q (the first such class where several tie, as NumPy's argmax).

With targets (``None`` without):

- ``ppl.base``, ``ppl.new``: exp(mean of -ln p(t)) under P and under Q.
- ``ppl.ln_ratio``, ``ppl.ln_ratio_se``: ln(ppl.new / ppl.base), computed
  as the mean of the per-row ln p_P(t) - ln p_Q(t), and the standard error
  of that mean (as llama.cpp's "Mean ln(PPL(Q)/PPL(base))").
  ``ppl.ratio``: exp(ppl.ln_ratio).
- ``dp.mean``, ``dp.mean_se``: the mean of dp = p_Q(t) - p_P(t) and its
  standard error; ``dp.rms``: sqrt(mean of dp^2).
- ``dp.min``, ``dp.p0.1``, ``dp.p1``, ``dp.p5``, ``dp.p10``, ``dp.p25``,
  ``dp.median``, ``dp.p75``, ``dp.p90``, ``dp.p95``, ``dp.p99``,
  ``dp.p99.9``, ``dp.max``: order statistics of dp (llama.cpp's list).
- ``p.pearson_r``: Pearson's r of p_P(t) and p_Q(t); ``ln_p.pearson_r``:
  Pearson's r of ln p_P(t) and ln p_Q(t) (llama.cpp's
  "Cor(ln(PPL(Q)), ln(PPL(base)))").

A statistic with no rows to describe is NaN (and a standard error needs
two rows). ``kl.histogram`` (JSON only, not a gate) counts the rows by
decade of KL: ``[low, rows]`` pairs, ascending, for the non-empty bins
``low <= KL < 10 low`` with ``low`` a power of ten, ``[0.0, rows]`` for
KL exactly 0 and ``["inf", rows]`` for infinite KL.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from nncalc.core.arrays import FloatArray

__all__ = [
    "DP_PERCENTILES",
    "KL_PERCENTILES",
    "STATISTICS",
    "TARGET_STATISTICS",
    "CompareReport",
    "kl_histogram",
]


# Percentile names in report order (median is p50).
KL_PERCENTILES = ("p0.1", "p1", "p5", "p10", "median", "p90", "p95", "p99", "p99.9")
DP_PERCENTILES = (
    "p0.1",
    "p1",
    "p5",
    "p10",
    "p25",
    "median",
    "p75",
    "p90",
    "p95",
    "p99",
    "p99.9",
)


_ALWAYS = (
    "rows",
    "kl.mean",
    "kl.mean_se",
    "kl.min",
    *(f"kl.{name}" for name in KL_PERCENTILES),
    "kl.max",
    "kl_reverse.mean",
    "js.mean",
    "top1_agree",
)


TARGET_STATISTICS = (
    "ppl.base",
    "ppl.new",
    "ppl.ratio",
    "ppl.ln_ratio",
    "ppl.ln_ratio_se",
    "dp.mean",
    "dp.mean_se",
    "dp.rms",
    "dp.min",
    *(f"dp.{name}" for name in DP_PERCENTILES),
    "dp.max",
    "p.pearson_r",
    "ln_p.pearson_r",
)


# Every statistic's name, in report order: JSON keys and gate names.
STATISTICS = _ALWAYS + TARGET_STATISTICS


def field_name(name: str) -> str:
    """The report field holding statistic ``name`` ('kl.p99.9' -> 'kl_p99_9')."""
    return name.replace(".", "_")


@dataclass(frozen=True)
class CompareReport:
    """The comparison of two models' outputs (see the module docstring)."""

    rows: int
    kl_mean: float
    kl_mean_se: float
    kl_min: float
    kl_p0_1: float
    kl_p1: float
    kl_p5: float
    kl_p10: float
    kl_median: float
    kl_p90: float
    kl_p95: float
    kl_p99: float
    kl_p99_9: float
    kl_max: float
    kl_reverse_mean: float
    js_mean: float
    top1_agree: float
    ppl_base: float | None = None
    ppl_new: float | None = None
    ppl_ratio: float | None = None
    ppl_ln_ratio: float | None = None
    ppl_ln_ratio_se: float | None = None
    dp_mean: float | None = None
    dp_mean_se: float | None = None
    dp_rms: float | None = None
    dp_min: float | None = None
    dp_p0_1: float | None = None
    dp_p1: float | None = None
    dp_p5: float | None = None
    dp_p10: float | None = None
    dp_p25: float | None = None
    dp_median: float | None = None
    dp_p75: float | None = None
    dp_p90: float | None = None
    dp_p95: float | None = None
    dp_p99: float | None = None
    dp_p99_9: float | None = None
    dp_max: float | None = None
    p_pearson_r: float | None = None
    ln_p_pearson_r: float | None = None
    kl_histogram: tuple[tuple[float, int], ...] = ()

    @property
    def has_targets(self) -> bool:
        return self.ppl_base is not None

    def value(self, name: str) -> float | int | None:
        """The statistic called ``name`` (KeyError for an unknown name)."""
        if name not in _NAMES:
            raise KeyError(name)
        value: float | int | None = getattr(self, field_name(name))
        return value

    def as_dict(self) -> dict[str, float | int | None]:
        """Every statistic by name, in report order (None: needs targets)."""
        return {name: self.value(name) for name in STATISTICS}

    def to_json(self) -> str:
        """One JSON object: every statistic by name, then ``kl.histogram``.

        Non-finite numbers are the strings "inf", "-inf" and "nan" (so the
        document is valid JSON); statistics that need targets are null
        without them.
        """
        document: dict[str, object] = {
            name: _json_number(value) for name, value in self.as_dict().items()
        }
        document["kl.histogram"] = [[_json_number(low), rows] for low, rows in self.kl_histogram]
        return json.dumps(document)


_NAMES = frozenset(STATISTICS)


def _json_number(value: float | int | None) -> float | int | str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def kl_histogram(ordered: FloatArray) -> tuple[tuple[float, int], ...]:
    """Rows by decade of KL from sorted, non-negative values (see the module docstring).

    The decade of x > 0 is the k with 10.0**k <= x < 10.0**(k + 1) (the
    floating-point powers, so bins meet exactly); below 1e-323 the lowest
    edge is the smallest subnormal.
    """
    zeros = int(np.count_nonzero(ordered == 0))
    infinite = int(np.count_nonzero(np.isinf(ordered)))
    positive = ordered[(ordered > 0) & np.isfinite(ordered)]
    bins: list[tuple[float, int]] = [(0.0, zeros)] if zeros else []
    if len(positive):
        decades = np.floor(np.log10(positive)).astype(np.int64)
        with np.errstate(over="ignore"):  # 10^309 is inf: nothing finite reaches it
            decades -= positive < 10.0 ** decades.astype(np.float64)
            decades += positive >= 10.0 ** (decades + 1).astype(np.float64)
        found, counts = np.unique(decades, return_counts=True)
        for decade, count in zip(found.tolist(), counts.tolist(), strict=True):
            bins.append((max(10.0**decade, 5e-324), count))
    if infinite:
        bins.append((math.inf, infinite))
    return tuple(bins)
