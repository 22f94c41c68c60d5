"""Log-softmax rows kept exact enough to exponentiate, and products formed in log space.

Building blocks of :mod:`nncalc.core.from_logits`: a log-softmax row whose
rounding error is carried where it matters (so e^(log p) is p to a few
ulp however far below the maximum), and p * factor for a p below float64's
normal range, formed as exp(log p + log factor) with the exponent in two
parts. NumPy only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import FloatArray, IntArray
from nncalc.core.numerics import two_product, two_sum
from nncalc.core.softmax import _normalizer_parts, _shifted_top

# log of the smallest normal float64 (~ -708.4): below it p = e^(log p) has
# lost bits (subnormal) or is 0, so a term p * (something large) is formed as
# exp(log p + log(something)) instead.
LOG_TINY = math.log(float(np.finfo(np.float64).tiny))


@dataclass(frozen=True)
class LogSoftmax:
    """log softmax(z / T) per row: ``high`` + ``low``, and what made it.

    ``high`` is :func:`nncalc.core.softmax.log_softmax`'s value. ``low`` is
    its rounding error where the rounding of (z - max) / T is carried
    (entries 32 to 746 below the maximum; 0 elsewhere, None when there are
    none): e^high (1 + low) is the probability to a few ulp. ``log_norm``
    is log sum_j exp((z_j - max z) / T). ``logits`` (None when unknown)
    lets :meth:`exact_at` recompute any entry in two parts; ``top`` is
    max z per row, when known.

    ``stored`` is ``high``, or with ``pending`` (z - max z) / T, from which
    ``high`` is made in place when first read: KL needs only the
    probabilities and the log-ratio, and so never pays for that pass.
    """

    stored: FloatArray
    low: FloatArray | None
    log_norm: FloatArray
    logits: FloatArray | None
    temperature: float
    top: FloatArray | None = None
    floor: float | None = None  # a lower bound of high, when known
    pending: bool = False

    @property
    def high(self) -> FloatArray:
        """log softmax(z / T): ``stored``, less log_norm when that is pending (once)."""
        if self.pending and not self.__dict__.get("_made", False):
            np.subtract(self.stored, self.log_norm[:, None], out=self.stored)
            object.__setattr__(self, "_made", True)  # a cache, not a field
        return self.stored

    def probabilities(self) -> FloatArray:
        """e^(high + low): softmax(z / T) to a few ulp (computed once; do not modify it).

        From :func:`log_softmax_parts`: e^((z - max) / T) (the normaliser's
        terms, with their rounding errors carried) times e^-log_norm, a pass
        cheaper than exp and no less exact (a few ulp; exp(high) also
        carries the rounding of high itself, up to ~2^-48 at high ~ -32).
        The first maximum of each row gets e^-log_norm itself, as before.
        """
        cached: FloatArray | None = self.__dict__.get("_probabilities")
        if cached is None:
            parts: tuple[FloatArray, IntArray] | None = self.__dict__.pop("_terms", None)
            if parts is None:
                cached = probabilities(self.high, self.low)
            else:
                cached, first = parts
                with np.errstate(under="ignore"):
                    scale = np.exp(-self.log_norm)
                    cached *= scale[:, None]
                cached[np.arange(len(cached)), first] = scale
            object.__setattr__(self, "_probabilities", cached)  # a cache, not a field
        return cached

    def broadcast(self, rows: int) -> LogSoftmax:
        """The same single row repeated ``rows`` times (read-only views).

        Its probabilities are the single row's, so a broadcast row gives the
        same results bit for bit as the row repeated.
        """
        shape = (rows, self.high.shape[1])
        result = LogSoftmax(
            np.broadcast_to(self.high, shape),
            None if self.low is None else np.broadcast_to(self.low, shape),
            np.broadcast_to(self.log_norm, shape[:1]),
            None if self.logits is None else np.broadcast_to(self.logits, shape),
            self.temperature,
            None if self.top is None else np.broadcast_to(self.top, shape[:1]),
            self.floor,
        )
        object.__setattr__(result, "_probabilities", np.broadcast_to(self.probabilities(), shape))
        return result

    def low_at(self, rows: IntArray, columns: IntArray) -> FloatArray | None:
        return None if self.low is None else self.low[rows, columns]

    def exact_at(self, rows: IntArray, columns: IntArray) -> tuple[FloatArray, FloatArray | None]:
        """(high, low) of the entries at (rows, columns), low exact also below -746.

        (z - max z) / T - log_norm from the logits: the difference by
        TwoSum, the quotient's remainder by TwoProduct. Entries where that
        overflows (logits near +-1e308) keep ``high`` alone: their
        probability is 0 to any precision.
        """
        high = self.high[rows, columns]
        if self.logits is None:
            return high, self.low_at(rows, columns)
        top = np.max(self.logits, axis=-1)[rows]
        with np.errstate(over="ignore", invalid="ignore"):
            difference, error = two_sum(self.logits[rows, columns], -top)
            quotient = difference
            if self.temperature != 1.0:
                quotient = difference / self.temperature
                product, product_error = two_product(quotient, float(self.temperature))
                error = (((difference - product) - product_error) + error) / self.temperature
            exact_high, exact_low = two_sum(quotient, -self.log_norm[rows])
            exact_low += error
        good = np.isfinite(exact_high) & np.isfinite(exact_low)
        return np.where(good, exact_high, high), np.where(good, exact_low, 0.0)


def log_softmax_parts(logits: FloatArray, temperature: float) -> LogSoftmax:
    """log softmax(z / T) of 2-D rows with its carried rounding error (see :class:`LogSoftmax`).

    Domain and errors as :func:`nncalc.core.softmax.log_softmax`.
    """
    shifted, corrections, top, first, lowest = _shifted_top(logits, temperature)
    log_norm, terms, first = _normalizer_parts(shifted, corrections, first)
    if corrections is None:
        # every entry of high is (shifted - log_norm) rounded: none is below this
        floor = lowest - float(np.max(log_norm)) if len(log_norm) else None
        # shifted becomes high in place when first read
        parts = LogSoftmax(shifted, None, log_norm, logits, temperature, top, floor, True)
        return _with_terms(parts, terms, first)
    far = shifted.ravel().take(corrections[0])
    high = shifted  # reused in place: (z - max) / T - log_norm
    high -= log_norm[:, None]
    flat, rows, error = corrections
    exact_high, exact_low = two_sum(far, log_norm.take(rows) * -1.0)
    rounded = exact_high + (exact_low + error)
    high.ravel()[flat] = rounded
    low = np.zeros(high.shape)
    low.ravel()[flat] = (exact_high - rounded) + (exact_low + error)
    return _with_terms(LogSoftmax(high, low, log_norm, logits, temperature, top), terms, first)


def _with_terms(result: LogSoftmax, terms: FloatArray, first: IntArray) -> LogSoftmax:
    """``result``, keeping the normaliser's terms for :meth:`LogSoftmax.probabilities`."""
    object.__setattr__(result, "_terms", (terms, first))
    return result


def probabilities(high: FloatArray, low: FloatArray | None) -> FloatArray:
    """e^(high + low) to a few ulp (low is 0 or tiny: e^low = 1 + low)."""
    with np.errstate(under="ignore"):
        p = np.exp(high)
        if low is not None:
            p += p * low
    return p


def underflowed(
    weights: LogSoftmax, where: Callable[[], npt.NDArray[np.bool_]]
) -> tuple[IntArray, IntArray]:
    """(rows, columns) within ``where()`` whose weight e^(weights.high) is below the normal range.

    There e^(high) has lost bits or is 0, so a term weight * factor is
    formed as :func:`log_product` instead. ``where`` is called only when
    some weight is that small (one pass over the rows otherwise, none when
    the known lower bound ``weights.floor`` rules it out: then ``high`` is
    not even formed).
    """
    floor = weights.floor
    if (floor is not None and floor >= LOG_TINY) or not np.min(weights.high) < LOG_TINY:
        none = np.zeros(0, dtype=np.intp)
        return none, none
    log_weight = weights.high
    rows, columns = np.nonzero(where() & (log_weight < LOG_TINY) & (log_weight > -np.inf))
    return rows, columns


# ln 2 = LN2_HIGH + LN2_LOW to ~1e-26; LN2_HIGH has 32 significant bits, so
# k * LN2_HIGH is exact for every binary exponent k of a float64.
LN2_HIGH = float.fromhex("0x1.62e42fee00000p-1")
LN2_LOW = float.fromhex("0x1.a39ef35793c76p-33")


def log_product(high: FloatArray, low: FloatArray | None, factor: FloatArray) -> FloatArray:
    """e^(high + low) * factor for factor >= 0, with e^(high + low) below the normal range.

    factor = m 2^k exactly (frexp), and the exponent high + low + k ln 2 is
    kept in two parts, so the result is exact to a few ulp wherever it is a
    normal float64 (it is correctly placed on the subnormal grid below).
    An infinite factor gives inf.
    """
    mantissa, exponent = np.frexp(factor)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        total, error = two_sum(high, exponent * LN2_HIGH)
        error += exponent * LN2_LOW
        if low is not None:
            error += low
        total, error = two_sum(total, error)
        value = np.exp(total)
        result: FloatArray = mantissa * (value + value * error)
    result[np.isinf(factor)] = np.inf  # a class Q masks: inf whatever P's weight
    return result
