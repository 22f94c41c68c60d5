"""Reductions of per-row values: spelling, definitions, exact sums, NaN, masks, streaming."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nncalc.core.moments import CoMoments, ExactSum, Moments
from nncalc.core.reduce import (
    Accumulator,
    apply_mask,
    check_mask,
    parse_reduction,
    reduce,
)
from nncalc.errors import NncalcError

mpmath.mp.dps = 50

PERCENTS = ["0", "0.1", "1", "5", "10", "25", "33.3", "50", "75", "90", "95", "99", "99.9", "100"]


def percentile_reference(values: list[float], percent: str) -> float:
    """Hyndman and Fan's definition 7 in exact rational arithmetic, rounded once."""
    ordered = sorted(Fraction(v) for v in values)
    rank = (len(ordered) - 1) * Fraction(percent) / 100
    k = math.floor(rank)
    if k == len(ordered) - 1:
        return float(ordered[k])
    return float(ordered[k] + (rank - k) * (ordered[k + 1] - ordered[k]))


# --- spelling -------------------------------------------------------------


@pytest.mark.parametrize("name", ["mean", "sum", "max", "min", "none"])
def test_plain_names_parse_to_their_kind(name: str) -> None:
    reduction = parse_reduction(name)
    assert (reduction.name, reduction.kind, reduction.percent) == (name, name, None)
    assert not reduction.keeps_values


@pytest.mark.parametrize(
    ("text", "name", "percent"),
    [
        ("median", "median", Fraction(50)),
        ("p50", "p50", Fraction(50)),
        ("p90", "p90", Fraction(90)),
        ("p99.9", "p99.9", Fraction(999, 10)),
        ("p0.1", "p0.1", Fraction(1, 10)),
        ("p0", "p0", Fraction(0)),
        ("p100", "p100", Fraction(100)),
        ("p100.0", "p100", Fraction(100)),
        ("p99.90", "p99.9", Fraction(999, 10)),
        ("P050", "p50", Fraction(50)),
        (" MEDIAN ", "median", Fraction(50)),
        ("p33.333", "p33.333", Fraction(33333, 1000)),
    ],
)
def test_percentile_spellings(text: str, name: str, percent: Fraction) -> None:
    reduction = parse_reduction(text)
    assert (reduction.name, reduction.kind, reduction.percent) == (name, "percentile", percent)
    assert reduction.keeps_values


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("p1000", "above 100"),
        ("p100.01", "above 100"),
        ("p-1", "cannot be negative, got 'p-1'"),
        ("q50", "unknown reduction 'q50'"),
        ("p", "unknown reduction"),
        ("p.5", "unknown reduction"),
        ("p5.", "unknown reduction"),
        ("p1e2", "unknown reduction"),
        ("50", "unknown reduction"),
        ("", "unknown reduction"),
        ("average", "unknown reduction"),
        ("p nan", "unknown reduction"),
    ],
)
def test_bad_spellings_are_errors_that_say_what_is_valid(text: str, words: str) -> None:
    with pytest.raises(NncalcError) as caught:
        parse_reduction(text)
    message = str(caught.value)
    assert words in message
    assert "mean, sum, max, min, median, none or pNN" in message
    assert isinstance(caught.value, ValueError)


# --- definitions ----------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 1000, 1001])
@pytest.mark.parametrize("percent", PERCENTS)
def test_each_percentile_against_its_definition(n: int, percent: str) -> None:
    values = np.random.default_rng(n).normal(0.0, 10.0, n)
    result = reduce(values, f"p{percent}")
    expected = percentile_reference(values.tolist(), percent)
    bound = 4 * math.ulp(float(np.max(np.abs(values))))
    assert abs(result - expected) <= bound, (result, expected)
    assert result == pytest.approx(np.percentile(values, float(percent)), rel=1e-13, abs=1e-13)


def test_percentiles_of_one_to_ten_are_the_textbook_values() -> None:
    values = np.arange(1.0, 11.0)
    # h = 9 p / 100; x_k + (h - k)(x_{k+1} - x_k) with x_k = k + 1.
    expected = {"p0": 1.0, "p10": 1.9, "p25": 3.25, "median": 5.5, "p90": 9.1, "p95": 9.55}
    expected |= {"p99": 9.91, "p99.9": 9.991, "p100": 10.0, "p0.1": 1.009}
    for name, value in expected.items():
        assert reduce(values, name) == pytest.approx(value, rel=2e-16), name
    # Each label its own percentile (llama.cpp once printed its 90% as a second 99%).
    results = [reduce(values, name) for name in ("p90", "p95", "p99", "p99.9")]
    assert results == sorted(set(results))


@given(hnp.arrays(np.float64, st.integers(1, 60), elements=st.floats(-1e300, 1e300)))
@settings(max_examples=200, deadline=None)
def test_p0_is_min_p100_is_max_median_is_p50(values: np.ndarray) -> None:
    assert reduce(values, "p0") == reduce(values, "min") == np.min(values)
    assert reduce(values, "p100") == reduce(values, "max") == np.max(values)
    assert reduce(values, "median") == reduce(values, "p50")
    ordered = np.sort(values)
    for name in ("p0.1", "p25", "median", "p99.9"):
        assert ordered[0] <= reduce(values, name) <= ordered[-1]


def test_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    assert reduce([4.0, 1.0, 3.0, 2.0], "median") == 2.5
    assert reduce([-1e308, 1e308], "median") == 0.0  # no overflow in high - low


def test_percentile_interpolation_with_infinite_neighbours() -> None:
    assert reduce([-math.inf, 0.0], "median") == -math.inf
    assert reduce([0.0, math.inf], "median") == math.inf
    assert reduce([0.0, math.inf], "p0") == 0.0
    assert reduce([math.inf, math.inf], "median") == math.inf
    assert math.isnan(reduce([-math.inf, math.inf], "median"))


def test_mean_sum_max_min_against_numpy() -> None:
    values = np.random.default_rng(3).lognormal(0.0, 4.0, 10_001) - 3.0
    assert reduce(values, "sum") == math.fsum(values.tolist())
    assert reduce(values, "mean") == pytest.approx(float(np.mean(values)), rel=1e-14)
    assert reduce(values, "max") == np.max(values)
    assert reduce(values, "min") == np.min(values)


def test_sum_and_mean_are_exact() -> None:
    assert reduce([1e16, 1.0, -1e16], "sum") == 1.0  # a naive sum gives 0
    assert reduce([1e100, 1.0, -1e100, 2.0], "mean") == 0.75
    assert reduce([1e308, 1e308], "mean") == 1e308  # the exact sum overflows float64
    assert reduce([1e308, 1e308], "sum") == math.inf
    assert reduce([-1e308, -1e308], "sum") == -math.inf
    assert reduce([5e-324, 5e-324, 5e-324], "sum") == 1.5e-323
    assert reduce([0.1] * 10, "sum") == 1.0


@given(
    st.lists(
        st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True),
        min_size=1,
        max_size=80,
    )
)
@settings(max_examples=300, deadline=None)
def test_exact_sum_is_the_correctly_rounded_sum(values: list[float]) -> None:
    total = ExactSum()
    total.add(np.array(values))
    exact = sum((Fraction(v) for v in values), Fraction(0))
    try:
        expected = float(exact)
    except OverflowError:
        expected = math.inf if exact > 0 else -math.inf
    assert total.value() == expected
    mean = exact / len(values)
    assert total.mean(len(values)) == float(mean)


def test_exact_sum_over_many_values_of_one_exponent() -> None:
    # More than 2^26 equal terms would round in the bucket sums; they are split.
    total = ExactSum()
    total.add(np.full(3_000_000, 0.1))
    assert total.value() == float(Fraction(0.1) * 3_000_000)


# --- NaN, infinities, empty -------------------------------------------------


@pytest.mark.parametrize("name", ["mean", "sum", "max", "min", "median", "p0", "p99", "p100"])
@pytest.mark.parametrize("where", [0, 2, 4])
def test_a_nan_row_makes_every_reduction_nan(name: str, where: int) -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    values[where] = math.nan
    assert math.isnan(reduce(values, name))


def test_max_is_nan_where_pythons_max_skips_the_nan() -> None:
    values = [1.0, math.nan, 3.0]
    assert max(values) == 3.0
    assert math.isnan(reduce(values, "max"))


@pytest.mark.parametrize("name", ["mean", "sum", "max", "min", "median", "p1"])
def test_a_nan_in_a_later_chunk_makes_the_result_nan(name: str) -> None:
    accumulator = Accumulator(name)
    accumulator.add([1.0, 2.0])
    accumulator.add([math.nan])
    accumulator.add([3.0])
    assert math.isnan(accumulator.result())
    assert accumulator.rows == 4


def test_infinities() -> None:
    assert reduce([1.0, math.inf], "mean") == math.inf
    assert reduce([1.0, -math.inf], "sum") == -math.inf
    assert math.isnan(reduce([math.inf, -math.inf], "mean"))
    assert reduce([1.0, math.inf], "max") == math.inf
    assert reduce([1.0, math.inf], "min") == 1.0
    assert reduce([math.inf, math.inf], "min") == math.inf
    assert reduce([-math.inf], "max") == -math.inf


@pytest.mark.parametrize("name", ["mean", "max", "min", "median", "p90"])
def test_no_rows_give_nan_and_a_zero_sum(name: str) -> None:
    assert math.isnan(reduce([], name))
    assert reduce([], "sum") == 0.0
    assert reduce([1.0, 2.0], "sum", mask=[0, 0]) == 0.0


# --- masks ----------------------------------------------------------------


def test_masked_rows_are_dropped_from_every_reduction() -> None:
    values = np.array([1.0, 100.0, 3.0, math.nan, 5.0])
    mask = np.array([1, 0, 1, 0, 1])
    kept = [1.0, 3.0, 5.0]
    for name in ("mean", "sum", "max", "min", "median", "p90"):
        assert reduce(values, name, mask) == reduce(kept, name), name
    assert reduce(values, "none", mask).tolist() == kept


@pytest.mark.parametrize(
    "mask",
    [
        [True, False, True],
        [1, 0, 1],
        [1.0, 0.0, 1.0],
        np.array([1, 0, 1], dtype=np.uint8),
        np.array([1, 0, 1], dtype=np.float16),
    ],
)
def test_masks_of_booleans_integers_and_floats(mask: object) -> None:
    assert check_mask(mask, 3).tolist() == [True, False, True]  # type: ignore[arg-type]


def test_a_two_dimensional_mask_is_read_in_row_order() -> None:
    values = np.arange(6.0).reshape(2, 3)
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    assert apply_mask(values, mask).tolist() == [0.0, 1.0, 3.0]


@pytest.mark.parametrize(("mask", "token"), [([1, 2, 0], "2"), ([1, 0.5, 1], "0.5")])
def test_a_mask_entry_other_than_0_or_1_is_an_error_naming_its_row(
    mask: list[float], token: str
) -> None:
    with pytest.raises(NncalcError) as caught:
        check_mask(mask, 3)
    assert caught.value.where.row == 2
    assert caught.value.where.token == token
    assert "must be 0 or 1" in str(caught.value)


def test_a_nan_mask_entry_and_a_wrong_length_are_errors() -> None:
    with pytest.raises(NncalcError, match="row 3"):
        check_mask([1, 1, math.nan], 3)
    with pytest.raises(NncalcError, match="2 entries for 3 rows"):
        check_mask([1, 1], 3)
    with pytest.raises(NncalcError, match="0 or 1 per row"):
        check_mask(np.array(["1", "0", "1"]), 3)


# --- streaming ------------------------------------------------------------


def test_none_has_no_single_result() -> None:
    with pytest.raises(ValueError, match="nothing to accumulate"):
        Accumulator("none")


def test_only_order_statistics_keep_the_values() -> None:
    for name in ("mean", "sum", "max", "min"):
        assert Accumulator(name).values is None
    for name in ("median", "p99"):
        assert Accumulator(name).values is not None


@given(
    hnp.arrays(np.float64, st.integers(0, 50), elements=st.floats(-1e6, 1e6)),
    st.lists(st.integers(0, 50), max_size=5),
    st.sampled_from(["mean", "sum", "max", "min", "median", "p0.1", "p99.9"]),
)
@settings(max_examples=200, deadline=None)
def test_any_chunking_gives_the_same_result_as_one_chunk(
    values: np.ndarray, cuts: list[int], name: str
) -> None:
    accumulator = Accumulator(name)
    for part in np.split(values, sorted(c for c in cuts if c <= len(values))):
        accumulator.add(part)
    expected = reduce(values, name)
    result = accumulator.result()
    assert result == expected or (math.isnan(result) and math.isnan(expected))


# --- moments: mean, standard error, correlation ------------------------------


def se_reference(values: list[float]) -> mpmath.mpf:
    n = len(values)
    mean = mpmath.fsum(mpmath.mpf(v) for v in values) / n
    variance = mpmath.fsum((mpmath.mpf(v) - mean) ** 2 for v in values) / (n - 1)
    return mpmath.sqrt(variance / n)


@pytest.mark.parametrize("offset", [0.0, 1e8, -3e12])
def test_standard_error_streamed_in_chunks_against_mpmath(offset: float) -> None:
    values = offset + np.random.default_rng(5).normal(0.0, 1.0, 5_000)
    moments = Moments()
    for part in np.array_split(values, 13):
        moments.add(part)
    reference = se_reference(values.tolist())
    assert abs(moments.std_error() - reference) <= 1e-12 * reference
    # NumPy's two-pass std (ddof=1) agrees; it loses ~1e-7 of itself at offset 3e12.
    expected = float(np.std(values, ddof=1) / np.sqrt(len(values)))
    assert moments.std_error() == pytest.approx(expected, rel=1e-6 if offset else 1e-13)


def test_standard_error_needs_two_finite_values() -> None:
    one = Moments()
    one.add(np.array([3.0]))
    assert math.isnan(one.std_error())
    assert one.mean() == 3.0
    infinite = Moments()
    infinite.add(np.array([1.0, 2.0, math.inf]))
    assert infinite.mean() == math.inf
    assert math.isnan(infinite.std_error())


def test_pearson_r_streamed_against_numpy() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=3_001)
    y = 0.3 * x + rng.normal(size=3_001) + 1e9
    pair = CoMoments()
    for a, b in zip(np.array_split(x, 7), np.array_split(y, 7), strict=True):
        pair.add(a, b)
    assert pair.pearson_r() == pytest.approx(np.corrcoef(x, y)[0, 1], rel=1e-12)


def test_pearson_r_of_a_constant_or_non_finite_stream_is_nan() -> None:
    constant = CoMoments()
    constant.add(np.array([1.0, 2.0, 3.0]), np.array([5.0, 5.0, 5.0]))
    assert math.isnan(constant.pearson_r())
    infinite = CoMoments()
    infinite.add(np.array([1.0, 2.0, 3.0]), np.array([1.0, -math.inf, 3.0]))
    assert math.isnan(infinite.pearson_r())
    same = CoMoments()
    same.add(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    same.add(np.array([4.0]), np.array([4.0]))
    assert same.pearson_r() == 1.0
