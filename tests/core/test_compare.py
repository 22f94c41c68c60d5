"""nncalc.compare: the report against NumPy references, laws, masks, shapes, errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nncalc
from nncalc.core import compare as compare_module
from nncalc.core.compare import CompareAccumulator, Operands, compare
from nncalc.core.compare_report import (
    DP_PERCENTILES,
    KL_PERCENTILES,
    STATISTICS,
)
from nncalc.core.softmax import softmax
from nncalc.errors import NncalcError
from tests.core.mp_reference import mp_kl, mp_log_softmax

# --- the report against NumPy references ----------------------------------


@pytest.fixture(scope="module")
def batch() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    base = rng.normal(0.0, 2.0, (6, 25, 12))
    new = base + rng.normal(0.0, 0.3, base.shape)
    new[0, 0] = base[0, 0]  # one identical row: KL exactly 0
    target = rng.integers(0, 12, (6, 25))
    flat_base, flat_new = base.reshape(-1, 12), new.reshape(-1, 12)
    kl = np.array([float(mp_kl(b, n)) for b, n in zip(flat_base, flat_new, strict=True)])
    kl_reverse = np.array([float(mp_kl(n, b)) for b, n in zip(flat_base, flat_new, strict=True)])
    log_p = np.array(
        [float(mp_log_softmax(b)[t]) for b, t in zip(flat_base, target.reshape(-1), strict=True)]
    )
    log_q = np.array(
        [float(mp_log_softmax(n)[t]) for n, t in zip(flat_new, target.reshape(-1), strict=True)]
    )
    return {"base": base, "new": new, "target": target, "kl": kl, "kl_reverse": kl_reverse,
            "log_p": log_p, "log_q": log_q}  # fmt: skip


def se(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1) / np.sqrt(len(values)))


def numpy_percentile(values: np.ndarray, name: str) -> float:
    return float(np.percentile(values, 50.0 if name == "median" else float(name[1:])))


def test_kl_statistics_against_numpy_and_mpmath(batch: dict[str, np.ndarray]) -> None:
    report = compare(batch["base"], batch["new"], batch["target"])
    kl = batch["kl"]
    assert report.rows == 150
    assert report.kl_mean == pytest.approx(np.mean(kl), rel=1e-13)
    assert report.kl_mean_se == pytest.approx(se(kl), rel=1e-12)
    assert report.kl_min == 0.0
    assert report.kl_max == pytest.approx(np.max(kl), rel=1e-13)
    for name in KL_PERCENTILES:
        value = report.value(f"kl.{name}")
        assert value == pytest.approx(numpy_percentile(kl, name), rel=1e-12, abs=1e-300), name
    assert report.kl_reverse_mean == pytest.approx(np.mean(batch["kl_reverse"]), rel=1e-13)
    argmax_base = batch["base"].reshape(-1, 12).argmax(-1)
    argmax_new = batch["new"].reshape(-1, 12).argmax(-1)
    assert report.top1_agree == np.mean(argmax_base == argmax_new)
    assert 0 < report.js_mean < report.kl_mean


def test_target_statistics_against_numpy(batch: dict[str, np.ndarray]) -> None:
    report = compare(batch["base"], batch["new"], batch["target"])
    log_p, log_q = batch["log_p"], batch["log_q"]
    p, q = np.exp(log_p), np.exp(log_q)
    dp = q - p
    assert report.ppl_base == pytest.approx(np.exp(-np.mean(log_p)), rel=1e-13)
    assert report.ppl_new == pytest.approx(np.exp(-np.mean(log_q)), rel=1e-13)
    assert report.ppl_ln_ratio == pytest.approx(np.mean(log_p - log_q), rel=1e-12)
    assert report.ppl_ln_ratio_se == pytest.approx(se(log_p - log_q), rel=1e-12)
    assert report.ppl_ratio == pytest.approx(report.ppl_new / report.ppl_base, rel=1e-13)
    assert report.dp_mean == pytest.approx(np.mean(dp), rel=1e-12)
    assert report.dp_mean_se == pytest.approx(se(dp), rel=1e-12)
    assert report.dp_rms == pytest.approx(np.sqrt(np.mean(dp * dp)), rel=1e-13)
    assert report.dp_min == pytest.approx(np.min(dp), rel=1e-13)
    assert report.dp_max == pytest.approx(np.max(dp), rel=1e-13)
    for name in DP_PERCENTILES:
        value = report.value(f"dp.{name}")
        assert value == pytest.approx(numpy_percentile(dp, name), rel=1e-11, abs=1e-15), name
    assert report.p_pearson_r == pytest.approx(np.corrcoef(p, q)[0, 1], rel=1e-12)
    assert report.ln_p_pearson_r == pytest.approx(np.corrcoef(log_p, log_q)[0, 1], rel=1e-12)


def test_chunked_streaming_gives_the_same_report(
    batch: dict[str, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = compare(batch["base"], batch["new"], batch["target"])
    monkeypatch.setattr(compare_module, "CHUNK_VALUES", 12 * 7)  # chunks of 7 rows
    chunked = compare(batch["base"], batch["new"], batch["target"])
    for name in STATISTICS:
        value, expected = chunked.value(name), whole.value(name)
        assert value == pytest.approx(expected, rel=1e-13), name
        if not name.endswith(("_se", "pearson_r")):
            assert value == expected, name  # exact sums and order statistics
    assert chunked.kl_histogram == whole.kl_histogram


# --- laws (hypothesis) ------------------------------------------------------

logit_rows = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 6), st.integers(2, 8)),
    elements=st.floats(-50.0, 50.0, allow_subnormal=False),
)


@given(logit_rows, st.data())
@settings(max_examples=150, deadline=None)
def test_kl_statistics_are_never_negative_and_top1_is_a_share(
    base: np.ndarray, data: st.DataObject
) -> None:
    new = data.draw(hnp.arrays(np.float64, base.shape, elements=st.floats(-50.0, 50.0)))
    report = compare(base, new)
    for name in ("kl.mean", "kl.min", *(f"kl.{p}" for p in KL_PERCENTILES), "kl.max"):
        assert report.value(name) >= 0, name
    assert report.kl_reverse_mean >= 0
    assert 0 <= report.js_mean <= math.log(2)
    assert 0 <= report.top1_agree <= 1


@given(logit_rows, st.data())
@settings(max_examples=100, deadline=None)
def test_identical_inputs_give_kl_zero_top1_one_dp_zero(
    base: np.ndarray, data: st.DataObject
) -> None:
    target = data.draw(hnp.arrays(np.int64, len(base), elements=st.integers(0, base.shape[1] - 1)))
    report = compare(base, base.copy(), target)
    assert report.kl_max == report.kl_mean == report.kl_reverse_mean == report.js_mean == 0.0
    assert report.top1_agree == 1.0
    assert report.dp_min == report.dp_max == report.dp_mean == report.dp_rms == 0.0
    assert report.ppl_ratio == 1.0
    assert report.ppl_ln_ratio == 0.0


# --- masks, shapes, inputs --------------------------------------------------


def test_masked_rows_are_dropped_and_never_checked() -> None:
    rng = np.random.default_rng(8)
    base = rng.normal(size=(2, 5, 4))
    new = rng.normal(size=(2, 5, 4))
    target = rng.integers(0, 4, (2, 5))
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]])
    base[0, 4] = np.nan  # padding: garbage logits and an ignore-index target
    target[1, 3] = -100
    report = compare(base, new, target, mask)
    keep = mask.reshape(-1) == 1
    expected = compare(
        base.reshape(-1, 4)[keep], new.reshape(-1, 4)[keep], target.reshape(-1)[keep]
    )
    assert report == expected
    assert report.rows == 5


def test_all_rows_masked_give_nan_statistics_and_zero_rows() -> None:
    report = compare(np.zeros((3, 4)), np.ones((3, 4)), [0, 1, 2], mask=[0, 0, 0])
    assert report.rows == 0
    assert (
        math.isnan(report.kl_mean) and math.isnan(report.kl_p99) and math.isnan(report.top1_agree)
    )
    assert report.ppl_base is not None and math.isnan(report.ppl_base)
    assert report.kl_histogram == ()


def test_a_single_row_pairs_with_every_row_and_1d_is_one_row() -> None:
    rng = np.random.default_rng(4)
    base = rng.normal(size=(5, 6))
    row = rng.normal(size=6)
    paired = compare(base, row)
    expected = compare(base, np.tile(row, (5, 1)))
    assert paired == expected
    assert compare(row, row + 1.0).rows == 1
    # A shift of every logit changes nothing but the rounding of row + 1.0,
    # whose exact KL is a few 1e-34, not 0.
    assert 0.0 <= compare(row, row + 1.0).kl_mean < 1e-30


def test_probabilities_mode_matches_logits_mode() -> None:
    rng = np.random.default_rng(9)
    base = rng.normal(size=(30, 7))
    new = base + rng.normal(0.0, 0.5, base.shape)
    target = rng.integers(0, 7, 30)
    from_logits = compare(base, new, target)
    from_probs = compare(softmax(base), softmax(new), target, probs=True)
    for name in STATISTICS:
        assert from_probs.value(name) == pytest.approx(from_logits.value(name), rel=1e-11), name


def test_probabilities_mode_checks_distributions_like_kl() -> None:
    good = np.array([[0.5, 0.5], [0.25, 0.75]])
    with pytest.raises(NncalcError) as caught:
        compare(good, np.array([[0.5, 0.5], [0.5, 0.6]]), probs=True)
    assert caught.value.where.operand == "new"
    assert caught.value.where.row == 2
    assert "normalize=True" in str(caught.value) and "--" not in str(caught.value)
    assert (
        compare(good, np.array([[1.0, 1.0], [2.0, 6.0]]), probs=True, normalize=True).kl_max == 0.0
    )
    with pytest.raises(NncalcError, match=">= 0"):
        compare(good, np.array([[1.5, -0.5], [0.5, 0.5]]), probs=True)


def test_a_target_with_probability_zero_gives_infinite_perplexity() -> None:
    report = compare([[0.5, 0.5, 0.0]], [[0.4, 0.4, 0.2]], target=[2], probs=True)
    assert report.ppl_base == math.inf
    assert report.ppl_new == pytest.approx(5.0, rel=1e-15)
    assert report.ppl_ln_ratio == -math.inf


def test_errors_name_the_operand_and_the_row_of_the_whole_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compare_module, "CHUNK_VALUES", 8)  # chunks of 2 rows of 4
    base = np.zeros((3, 3, 4))
    new = np.zeros((3, 3, 4))
    new[2, 1, 3] = np.nan  # row 8 of 9
    mask = np.ones((3, 3))
    mask[0, 1] = 0
    with pytest.raises(NncalcError) as caught:
        compare(base, new, mask=mask)
    where = caught.value.where
    assert (where.operand, where.row, where.column, where.token) == ("new", 8, 4, "nan")
    target = np.zeros((3, 3), dtype=np.int64)
    target[1, 2] = 4
    with pytest.raises(NncalcError) as caught:
        compare(base, base, target, mask)
    assert (caught.value.where.operand, caught.value.where.row) == ("target", 6)
    bad_mask = mask.copy()
    bad_mask[2, 2] = 3
    with pytest.raises(NncalcError) as caught:
        compare(base, base, mask=bad_mask)
    assert (caught.value.where.operand, caught.value.where.row) == ("mask", 9)


def test_accumulator_uses_the_callers_operand_names() -> None:
    accumulator = CompareAccumulator(names=Operands("@base.npy", "@new.npy", "-t", "--mask"))
    accumulator.add(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(NncalcError) as caught:
        accumulator.add(np.zeros((2, 3)), np.array([[0.0, 0.0, 0.0], [-np.inf] * 3]))
    assert (caught.value.where.operand, caught.value.where.row) == ("@new.npy", 4)
    with pytest.raises(ValueError, match="with targets"):
        accumulator.add(np.zeros((1, 3)), np.zeros((1, 3)), target=[0])


@pytest.mark.parametrize(
    ("base", "new", "target", "words"),
    [
        (np.zeros((2, 3)), np.zeros((2, 4)), None, "3 values and new rows have 4"),
        (np.zeros((2, 3)), np.zeros((3, 3)), None, "2 rows and new has 3"),
        (np.zeros((2, 3)), np.zeros((2, 3)), [0], "1 targets for 2 rows"),
        (np.zeros((2, 3)), np.zeros((2, 3)), [0, 1.5], "whole number"),
        (np.zeros((2, 0)), np.zeros((2, 0)), None, "no classes"),
        (np.array(1.0), np.array(1.0), None, "single number"),
        (np.array([["a", "b"]]), np.zeros((1, 2)), None, "must hold numbers"),
    ],
)
def test_mismatched_inputs_are_errors(
    base: object, new: object, target: object, words: str
) -> None:
    with pytest.raises(NncalcError, match=words):
        compare(base, new, target)  # type: ignore[arg-type]


def test_memory_mapped_float16_files_stream(tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    base = rng.normal(size=(40, 16)).astype(np.float16)
    new = (base + rng.normal(0.0, 0.01, base.shape)).astype(np.float16)
    np.save(tmp_path / "base.npy", base)
    np.save(tmp_path / "new.npy", new)
    mapped = compare(
        np.load(tmp_path / "base.npy", mmap_mode="r"),
        np.load(tmp_path / "new.npy", mmap_mode="r"),
    )
    assert mapped == compare(base.astype(np.float64), new.astype(np.float64))


def test_exported_from_the_package() -> None:
    assert nncalc.compare is compare
    assert "compare" in nncalc.__all__
