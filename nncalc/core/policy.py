"""Monte-Carlo KL estimators of PPO/TRPO/GRPO (Schulman, "Approximating KL Divergence").

For samples x ~ q with log r = log p(x) - log q(x):

    k1 = -log r                unbiased for KL(q || p), high variance, can be < 0
    k2 = 1/2 (log r)^2         biased (low bias when p ~ q), low variance, >= 0
    k3 = (r - 1) - log r       unbiased for KL(q || p), low variance, >= 0

k3 is computed as f(log r) with f(x) = e^x - 1 - x, without cancellation
(:func:`nncalc.special.expm1_minus_x`). Means and standard errors are
accumulated chunk by chunk (Chan et al.'s pairwise update), so a stream of
any length needs constant memory. NumPy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import FloatArray, _first, as_rows
from nncalc.core.special import expm1_minus_x
from nncalc.errors import NncalcError

__all__ = [
    "ESTIMATORS",
    "RunningMean",
    "check_log_probs",
    "estimator_value",
    "estimator_values",
    "kl_estimators",
]

ESTIMATORS = ("k1", "k2", "k3")


def check_log_probs(values: FloatArray, *, sampling: bool) -> None:
    """Raise :class:`NncalcError` at the first entry that is not a log-probability.

    NaN and +inf never are; -inf is impossible for the sampler: ``sampling``
    marks log q(x), x drawn from q, so q(x) > 0. log p(x) may be -inf
    (p(x) = 0), which makes k1 and k3 infinite: KL(q || p) is. The error
    names the row and column (1-based) and the value.
    """
    bad = np.isnan(values) | (values == np.inf)
    if sampling:
        bad |= values == -np.inf
    if not bad.any():
        return
    row, column = _first(bad)
    value = float(values[row - 1, column - 1])
    if value == -np.inf:
        message = "log q(x) is -inf, but x was sampled from q (q(x) > 0)"
    else:
        message = f"{value!r} is not a log-probability"
    raise NncalcError(message, row=row, column=column, token=repr(value))


def estimator_values(logp: FloatArray, logq: FloatArray) -> dict[str, FloatArray]:
    """k1, k2 and k3 for every sample (same shape as the inputs).

    Inputs checked by :func:`check_log_probs`. log p = -inf gives k1 = k3 =
    inf and k2 = inf; each value is exact to a few ulp given log r.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        log_r = logp - logq
    return {name: _estimator(name, log_r) for name in ESTIMATORS}


def estimator_value(name: str, logp: FloatArray, logq: FloatArray) -> FloatArray:
    """One of :func:`estimator_values` (``name`` in ESTIMATORS), computed alone."""
    with np.errstate(invalid="ignore", over="ignore"):
        return _estimator(name, logp - logq)


def _estimator(name: str, log_r: FloatArray) -> FloatArray:
    """k1 = -log r, k2 = (log r)^2 / 2 or k3 = r - 1 - log r, from log r."""
    with np.errstate(invalid="ignore", over="ignore"):
        if name == "k1":
            return -log_r
        if name == "k2":
            return 0.5 * log_r * log_r
        return expm1_minus_x(log_r)


@dataclass
class RunningMean:
    """Count, mean and sum of squared deviations, merged chunk by chunk.

    Chan et al.'s pairwise update: as accurate as a two-pass mean and
    variance of each chunk. Once an infinite value arrives the mean is that
    infinity and the spreads are nan.
    """

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    infinite: bool = False

    def add(self, values: npt.ArrayLike) -> None:
        data = np.asarray(values, dtype=np.float64).reshape(-1)
        if not len(data):
            return
        if not np.all(np.isfinite(data)):
            self.infinite = True
            self.count += len(data)
            self.mean = math.inf if np.any(data == np.inf) else -math.inf
            return
        n = len(data)
        mean = float(np.mean(data))
        m2 = float(np.sum((data - mean) ** 2))
        if self.count == 0:
            self.count, self.mean, self.m2 = n, mean, m2
            return
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.count * n / total
        self.count = total

    @property
    def stderr(self) -> float:
        """Standard error of the mean: sample standard deviation / sqrt(n); nan for n < 2."""
        if self.infinite:
            return math.nan
        if self.count < 2:
            return math.nan
        return math.sqrt(self.m2 / (self.count - 1) / self.count)

    @property
    def std(self) -> float:
        if self.infinite or self.count < 2:
            return math.nan
        return math.sqrt(self.m2 / (self.count - 1))


def kl_estimators(logp: npt.ArrayLike, logq: npt.ArrayLike) -> dict[str, tuple[float, float]]:
    """Mean and standard error of k1, k2, k3 over all samples, estimating KL(q || p).

    ``logp`` and ``logq`` are log p(x_i) and log q(x_i) of the same samples
    x_i ~ q (arrays of one shape; every entry is a sample). Returns
    ``{"k1": (mean, stderr), "k2": ..., "k3": ...}``.

    Domain: log-probabilities; ``logp`` may be -inf (p(x) = 0), ``logq``
    may not (x was drawn from q); NaN and +inf never. Anything else, or
    different shapes, raises :class:`NncalcError` (a ``ValueError``) naming
    the row and column.

    Edge cases: all three are 0 when p = q on every sample; logp = -inf
    makes the means of k1, k2 and k3 inf and their standard errors nan.
    Standard errors use the sample standard deviation (ddof 1); nan for
    fewer than 2 samples.

    Accuracy: each k is exact to a few ulp given log r; k3 has no
    cancellation (see the module docstring); the means are NumPy's pairwise
    sums.
    """
    p = as_rows(logp)
    q = as_rows(logq)
    if p.shape != q.shape:
        raise NncalcError(f"logp has shape {p.shape} and logq {q.shape}; they must match")
    check_log_probs(p, sampling=False)
    check_log_probs(q, sampling=True)
    result = {}
    for name, values in estimator_values(p, q).items():
        stats = RunningMean()
        stats.add(values)
        result[name] = (stats.mean, stats.stderr)
    return result
