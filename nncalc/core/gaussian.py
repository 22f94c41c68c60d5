"""KL divergence between diagonal Gaussians, in closed form.

KL(N(mu1, diag s1^2) || N(mu2, diag s2^2)) summed over dimensions, per dim

    1/2 [ (s1^2 / s2^2 - 1 - log(s1^2 / s2^2)) + (mu1 - mu2)^2 / s2^2 ]
  = 1/2 [ f(d) + ((mu1 - mu2) / s2)^2 ],   f(d) = e^d - 1 - d,  d = log s1^2 - log s2^2.

Against the standard normal this is the VAE term
-1/2 sum(1 + logvar - mu^2 - e^logvar). Written with f, every term is >= 0
and f is evaluated without cancellation (:func:`nncalc.special.expm1_minus_x`),
so the result keeps full relative accuracy also when the two Gaussians are
nearly equal. NumPy only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import FloatArray, _first, as_rows
from nncalc.core.special import expm1_minus_x
from nncalc.errors import Kind, NncalcError

__all__ = ["check_gaussian", "kl_normal", "kl_normal_terms", "log_variance_difference"]


def check_gaussian(values: FloatArray, *, kind: str) -> None:
    """Raise :class:`NncalcError` at the first entry that does not describe a Gaussian.

    ``kind`` is ``"mean"`` (finite), ``"log-variance"`` (finite: the variance
    is in (0, inf)) or ``"sigma"`` (finite and > 0). The error names the row
    and column (1-based) and the value; a sigma <= 0 has
    ``kind=Kind.SIGMA_NOT_POSITIVE`` (log-variances given as sigmas?).
    """
    bad = ~np.isfinite(values)
    if kind == "sigma":
        bad |= ~(values > 0)
    if not bad.any():
        return
    row, column = _first(bad)
    value = float(values[row - 1, column - 1])
    if kind == "sigma" and np.isfinite(value):
        raise NncalcError(
            "a standard deviation must be > 0",
            row=row,
            column=column,
            token=repr(value),
            hint="with std=False the spreads are log sigma^2",
            kind=Kind.SIGMA_NOT_POSITIVE,
        )
    raise NncalcError(
        f"a {kind} must be a finite number", row=row, column=column, token=repr(value)
    )


def log_variance_difference(
    spread1: FloatArray, spread2: FloatArray, *, std: bool = False
) -> FloatArray:
    """d = log s1^2 - log s2^2, from log-variances or (``std``) from sigmas.

    From sigmas close to each other, 2 log1p((s1 - s2) / s2) keeps the
    relative accuracy of d (the difference s1 - s2 is exact); far apart,
    2 (log s1 - log s2) cannot under- or overflow.
    """
    if not std:
        with np.errstate(over="ignore", invalid="ignore"):
            return np.asarray(spread1 - spread2, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        relative = (spread1 - spread2) / spread2
        close = np.abs(relative) <= 0.5
        near = 2.0 * np.log1p(np.where(close, relative, 0.0))
        far = 2.0 * (np.log(spread1) - np.log(spread2))
    return np.asarray(np.where(close, near, far), dtype=np.float64)


def _scaled_mean_difference(
    mu1: FloatArray, mu2: FloatArray, spread2: FloatArray, *, std: bool
) -> FloatArray:
    """(mu1 - mu2) / s2, with 0 when the means are equal (whatever s2 is)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        difference = mu1 - mu2
        scaled = difference / spread2 if std else difference * np.exp(-0.5 * spread2)
    return np.asarray(np.where(difference == 0, 0.0, scaled), dtype=np.float64)


def kl_normal_terms(
    mu1: FloatArray,
    spread1: FloatArray,
    mu2: FloatArray,
    spread2: FloatArray,
    *,
    std: bool = False,
) -> FloatArray:
    """The per-dimension KL terms (>= 0), for arrays of one shape.

    ``spread`` is the log-variance, or sigma with ``std``. Inputs are
    assumed checked (:func:`check_gaussian`). A term overflows to inf only
    when its exact value exceeds the float64 range.
    """
    d = log_variance_difference(spread1, spread2, std=std)
    m = _scaled_mean_difference(mu1, mu2, spread2, std=std)
    with np.errstate(over="ignore"):
        terms = 0.5 * (expm1_minus_x(d) + m * m)
    return np.asarray(terms, dtype=np.float64)


def kl_normal(
    mu: npt.ArrayLike,
    logvar: npt.ArrayLike,
    mu2: npt.ArrayLike = 0.0,
    logvar2: npt.ArrayLike = 0.0,
    *,
    std: bool = False,
) -> Any:
    """KL(N(mu, diag e^logvar) || N(mu2, diag e^logvar2)) in nats, summed over dims.

    Rows are samples, columns latent dimensions; the defaults make the
    second Gaussian the standard normal N(0, I) (the VAE term). With ``std``
    the spreads ``logvar`` and ``logvar2`` are standard deviations sigma
    (> 0) instead of log-variances. Arrays broadcast as NumPy does (a single
    row against a batch). A vector gives a float, a batch one value per row.

    Domain: finite means and log-variances; sigmas finite and > 0; shapes
    that broadcast. Anything else raises :class:`NncalcError` (a
    ``ValueError``) naming the row and column; a sigma <= 0 has
    ``kind=Kind.SIGMA_NOT_POSITIVE``.

    Edge cases: 0 exactly for equal Gaussians; inf only where the exact
    value exceeds the float64 range (a log-variance gap above ~709, or
    means ~1e154 standard deviations apart).

    Accuracy: a few ulp relative (all terms are >= 0 and free of
    cancellation), also for nearly equal Gaussians.
    """
    arrays = [as_rows(a) for a in (mu, logvar, mu2, logvar2)]
    try:
        arrays = list(np.broadcast_arrays(*arrays))
    except ValueError:
        shapes = ", ".join(str(np.shape(a)) for a in (mu, logvar, mu2, logvar2))
        raise NncalcError(f"shapes {shapes} do not broadcast together") from None
    spread = "sigma" if std else "log-variance"
    for array, kind in zip(arrays, ("mean", spread, "mean", spread), strict=True):
        check_gaussian(array, kind=kind)
    terms = kl_normal_terms(*arrays, std=std)
    result = np.sum(terms, axis=-1)
    if all(np.ndim(a) <= 1 for a in (mu, logvar, mu2, logvar2)):
        return float(result[0])
    return result
