"""Error-free transformations and series: exact sums, TwoSum/TwoProduct, KL and JS near equality."""

from __future__ import annotations

import numpy as np

from nncalc.core.arrays import FloatArray

# 2^27 + 1: splits a float64 into two halves of at most 26 bits (Veltkamp).
_SPLITTER = 134217729.0


# h near 1: with t = d / (2 + d) (so 1 + d = (1 + t) / (1 - t) and
# log(1 + d) = 2 atanh t), h(1 + d) = 2 t^2 (1 + B (t^2 + t)) / (1 - t) with
# B(x) = sum_{k>=0} x^k / (2k + 3). For |d| <= 1/4, |t| <= 1/7 and x <= 1/49:
# ten terms leave a truncation error below 1e-18 relative.
KL_NEAR = 0.25


_B_COEFFICIENTS = [1.0 / (2 * k + 3) for k in range(10)]


# g(a) = 2 a atanh(a) + log1p(-a^2): the two parts differ in sign but at most
# by a factor ~2.7 below a = 0.9, so the sum keeps ~10 ulp; above, the form
# (1 + a) log(1 + a) + (1 - a) log(1 - a) has at most a factor ~5 to lose.
JS_NEAR = 0.9


# Rows up to this length are summed by einsum's loop (several times faster
# than np.sum's per-row pairwise reduction on a batch of short rows); any
# order of summing 16 numbers is within 15 ulp of their magnitudes.
SHORT_ROW = 16


def row_sums(x: FloatArray) -> FloatArray:
    """Sum over the last axis of a 2-D array.

    Long rows use NumPy's pairwise summation (error ~log2(n) ulp of the sum
    of magnitudes, not n ulp), so the order of a 10^5-long sum costs nothing.
    """
    if x.shape[-1] <= SHORT_ROW:
        short: FloatArray = np.einsum("ij->i", x)
        return short
    result: FloatArray = np.sum(x, axis=-1)
    return result


def exact_sums(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Row sums as unevaluated pairs hi + lo, to ~log2(n) * 2^-106 of sum |x|.

    Pairwise TwoSum: each level adds neighbours and keeps every rounding
    error, exactly; only the (tiny) errors are summed in plain float64.
    """
    high = np.array(x, dtype=np.float64)
    low = np.zeros(len(high))
    while high.shape[-1] > 1:
        if high.shape[-1] % 2:
            high = np.concatenate([high, np.zeros((len(high), 1))], axis=-1)
        high, errors = two_sum(high[:, 0::2], high[:, 1::2])
        low += row_sums(errors)
    return high[:, 0], low


def two_sum(a: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(s, e) with s = fl(a + b) and s + e = a + b exactly (Knuth's TwoSum).

    Exact for any finite a, b whose sum does not overflow.
    """
    s = a + b
    virtual_b = s - a
    if not isinstance(virtual_b, np.ndarray):
        return s, (a - (s - virtual_b)) + (b - virtual_b)
    # The same operations, in place on two temporaries (large rows: fewer allocations).
    e = s - virtual_b
    np.subtract(a, e, out=e)
    np.subtract(b, virtual_b, out=virtual_b)
    e += virtual_b
    return s, e


def two_difference(a: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(d, e) with d = fl(a - b) and d + e = a - b exactly: :func:`two_sum` of a and -b.

    The same values (both are exact), without forming -b: for arrays, six
    passes in place on two temporaries.
    """
    d = a - b
    virtual_b = d - a  # -b as the sum saw it
    e = d - virtual_b
    np.subtract(a, e, out=e)
    virtual_b += b  # -(-b - virtual): the error of the second operand, negated
    e -= virtual_b
    return d, e


def _split(a: FloatArray) -> tuple[FloatArray, FloatArray]:
    c = _SPLITTER * a
    high = c - (c - a)
    return high, a - high


def two_product(a: FloatArray, b: FloatArray | float) -> tuple[FloatArray, FloatArray]:
    """(p, e) with p = fl(a * b) and p + e = a * b exactly (Dekker's TwoProduct).

    Exact when neither a, b nor the product is beyond ~1e300 in magnitude
    (the split overflows) and e does not underflow. A scalar b (a
    temperature) is split once, which saves a third of the work.
    """
    p = a * b
    a_high, a_low = _split(a)
    if isinstance(b, float):
        c = _SPLITTER * b
        b_high = c - (c - b)
        b_low = b - b_high
        e = ((a_high * b_high - p) + a_high * b_low + a_low * b_high) + a_low * b_low
        return p, e
    b_high_array, b_low_array = _split(b)
    e = (
        (a_high * b_high_array - p) + a_high * b_low_array + a_low * b_high_array
    ) + a_low * b_low_array
    return p, e


def kl_excess_near(d: FloatArray) -> FloatArray:
    """h(1 + d) = (1 + d) log(1 + d) - d for |d| <= 1/4, a few ulp relative.

    h(r) = r log r - r + 1 >= 0 is the KL term q h(p/q) with r = p/q = 1 + d;
    it vanishes to second order at d = 0 (h ~ d^2 / 2), where evaluating the
    closed form cancels all its digits. No term of this series cancels.
    """
    t = d / (2.0 + d)
    x = t * t
    b = np.full_like(x, _B_COEFFICIENTS[-1])
    for coefficient in reversed(_B_COEFFICIENTS[:-1]):
        b = b * x + coefficient
    result: FloatArray = 2.0 * x * (1.0 + b * (x + t)) / (1.0 - t)
    return result


def js_excess(
    a: FloatArray, up: FloatArray, down: FloatArray, atanh: FloatArray | None = None
) -> FloatArray:
    """g(a) = (1 + a) log(1 + a) + (1 - a) log(1 - a) for 0 <= a <= 1.

    ``up`` and ``down`` are 1 + a and 1 - a computed without cancellation by
    the caller (1 - a loses all its digits when computed from a near 1);
    ``atanh``, when given, is arctanh(a) known more exactly (from logits:
    half the log-ratio). g(0) = 0, g(1) = 2 log 2, g >= 0; a few ulp
    relative (see JS_NEAR). The far form is evaluated only where a > JS_NEAR.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.arctanh(a) if atanh is None else atanh * 1.0
        result *= a
        result *= 2.0
        result += np.log1p(-(a * a))
        far = np.flatnonzero(a > JS_NEAR)
        if len(far):
            high, low = up.ravel().take(far), down.ravel().take(far)
            far_values = high * np.log(high) + np.where(low > 0, low * np.log(low), 0.0)
            result.ravel()[far] = far_values
    return np.maximum(result, 0.0, out=result)
