"""The report's names, JSON and histogram; gates on its statistics."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from nncalc.core.compare import compare
from nncalc.core.compare_report import (
    STATISTICS,
    TARGET_STATISTICS,
    CompareReport,
    field_name,
    kl_histogram,
)
from nncalc.core.gates import Gate, parse_gate
from nncalc.errors import NncalcError


@pytest.fixture(scope="module")
def report() -> CompareReport:
    rng = np.random.default_rng(6)
    base = rng.normal(size=(200, 10))
    return compare(base, base + rng.normal(0.0, 0.05, base.shape), rng.integers(0, 10, 200))


# --- names, JSON, histogram ---------------------------------------------------


def test_every_statistic_is_a_field_named_by_the_dots_to_underscores_rule() -> None:
    fields = [f.name for f in dataclasses.fields(CompareReport)]
    assert fields == [field_name(name) for name in STATISTICS] + ["kl_histogram"]
    assert len(set(STATISTICS)) == len(STATISTICS)
    assert set(TARGET_STATISTICS) < set(STATISTICS)
    assert {"kl.mean", "kl.p99", "kl.p99.9", "top1_agree", "ppl.ratio", "dp.rms"} < set(STATISTICS)


def test_json_holds_every_statistic_with_inf_and_nan_as_strings() -> None:
    report = compare([[0.0, 1.0], [0.0, 1.0]], [[0.0, -np.inf], [0.0, 1.0]])
    document = json.loads(report.to_json())
    assert list(document) == [*STATISTICS, "kl.histogram"]
    assert document["rows"] == 2
    assert document["kl.max"] == "inf"
    assert document["kl.mean_se"] == "nan"
    assert document["ppl.ratio"] is None
    assert document["kl.histogram"] == [[0.0, 1], ["inf", 1]]
    assert report.as_dict()["kl.max"] == math.inf


def test_json_numbers_round_trip(report: CompareReport) -> None:
    document = json.loads(report.to_json())
    for name in STATISTICS:
        assert document[name] == report.value(name), name


def test_histogram_bins_by_decade_with_exact_edges() -> None:
    values = np.sort(np.array([0.0, 0.0, 5e-324, 1e-12, 9.99e-4, 1e-3, 0.0015, 0.5, 2.0, np.inf]))
    bins = kl_histogram(values)
    assert bins == (
        (0.0, 2),
        (5e-324, 1),
        (1e-12, 1),
        (1e-4, 1),
        (1e-3, 2),
        (0.1, 1),
        (1.0, 1),
        (math.inf, 1),
    )
    assert sum(count for _, count in bins) == len(values)


# --- gates ------------------------------------------------------------------


def test_a_gate_that_holds_passes(report: CompareReport) -> None:
    result = parse_gate("top1_agree>=0.5").check(report)
    assert result.passed
    assert result.value == report.top1_agree
    assert str(result) == f"top1_agree = {report.top1_agree!r}, >= 0.5"


def test_a_gate_that_does_not_hold_fails_naming_value_and_bound(report: CompareReport) -> None:
    result = parse_gate("kl.p99 <= 1e-9").check(report)
    assert not result.passed
    assert str(result) == f"kl.p99 = {report.kl_p99!r}, not <= 1e-09"
    assert not parse_gate("rows>=201").check(report).passed
    assert parse_gate("rows>=200").check(report).passed


def test_a_gate_on_nan_fails_both_ways() -> None:
    empty = compare(np.zeros((1, 3)), np.zeros((1, 3)), mask=[0])
    for expr in ("kl.mean<=1", "kl.mean>=0", "top1_agree>=0"):
        result = parse_gate(expr).check(empty)
        assert not result.passed
        assert math.isnan(result.value)


def test_a_gate_on_infinity_compares_as_infinity() -> None:
    infinite = compare([[0.0, 1.0]], [[0.0, -np.inf]])
    assert not parse_gate("kl.max<=1e300").check(infinite).passed
    assert parse_gate("kl.max>=1e300").check(infinite).passed


def test_an_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(NncalcError) as caught:
        parse_gate("kl.p9<=1e-3")
    message = str(caught.value)
    assert "unknown statistic 'kl.p9'" in message
    assert ", ".join(STATISTICS) in message
    assert caught.value.hint == f"did you mean 'kl.p99'? valid names: {', '.join(STATISTICS)}"
    assert caught.value.where.token == "kl.p9<=1e-3"


@pytest.mark.parametrize("bound", ["inf", "-inf", "nan", "1e999"])
def test_a_non_finite_bound_is_an_error(bound: str) -> None:
    with pytest.raises(NncalcError, match="must be a finite number"):
        parse_gate(f"kl.max<={bound}")


@pytest.mark.parametrize(
    "expr", ["kl.max<1", "kl.max=1", "kl.max", "<=1", "kl.max<=", "kl.max<=1<=2"]
)
def test_a_gate_in_another_form_is_an_error(expr: str) -> None:
    with pytest.raises(NncalcError, match="NAME<=X or NAME>=X"):
        parse_gate(expr)


def test_a_bound_that_is_not_a_number_is_an_error() -> None:
    with pytest.raises(NncalcError, match=r"'abc' in gate 'kl\.max<=abc' is not a number"):
        parse_gate("kl.max<=abc")


def test_a_target_statistic_without_targets_is_an_error() -> None:
    plain = compare(np.zeros((2, 3)), np.ones((2, 3)))
    with pytest.raises(NncalcError, match=r"ppl\.ratio has no value"):
        parse_gate("ppl.ratio<=1.01").check(plain)


def test_gates_read_a_mapping_and_parse_with_spaces() -> None:
    gate = parse_gate("  kl.mean  <=  0.5 ")
    assert gate == Gate("kl.mean", "<=", 0.5)
    assert gate.check({"kl.mean": 0.25}).passed
    assert not gate.check({"kl.mean": math.nan}).passed
