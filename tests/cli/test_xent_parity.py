"""`nncalc xent --label-smoothing/--weight/--ignore-index`: PyTorch cross_entropy's numbers.

References are computed here by PyTorch's formulas (aten's
cross_entropy_loss_label_smoothing / cross_entropy_loss_prob_target), with
mpmath; a few constants were also checked by hand against torch 2.13 (CPU)
and are marked so. The tests never need torch. The Python API: tests/core/test_xent.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import mpmath
import pytest

from tests.conftest import ok, one_line_error, run

mpmath.mp.dps = 50

LOGITS = [[2.0, 1.0, 0.1], [0.0, 0.0, 5.0], [1.0, 1.0, 1.0]]


def mp_log_softmax(z: list[float]) -> list[mpmath.mpf]:
    values = [mpmath.mpf(v) for v in z]
    log_norm = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in values))
    return [v - log_norm for v in values]


def torch_index_rows(
    logits: list[list[float]],
    targets: list[int],
    weight: list[float] | None,
    smoothing: float,
    ignore: int | None,
) -> tuple[list[mpmath.mpf], list[mpmath.mpf]]:
    """Per-row losses and mean denominators of torch's index-target cross_entropy."""
    losses, denominators = [], []
    for z, y in zip(logits, targets, strict=True):
        classes = len(z)
        w = [mpmath.mpf(v) for v in (weight or [1.0] * classes)]
        if y == ignore:
            losses.append(mpmath.mpf(0))
            denominators.append(mpmath.mpf(0))
            continue
        logp = mp_log_softmax(z)
        eps = mpmath.mpf(smoothing)
        nll = -w[y] * logp[y]
        smooth = -mpmath.fsum(wc * lp for wc, lp in zip(w, logp, strict=True))
        losses.append((1 - eps) * nll + eps / classes * smooth)
        denominators.append(w[y])
    return losses, denominators


def torch_soft_rows(
    logits: list[list[float]], targets: list[list[float]], weight: list[float] | None, eps: float
) -> list[mpmath.mpf]:
    rows = []
    for z, y in zip(logits, targets, strict=True):
        classes = len(z)
        w = [mpmath.mpf(v) for v in (weight or [1.0] * classes)]
        logp = mp_log_softmax(z)
        target = [(1 - mpmath.mpf(eps)) * mpmath.mpf(v) + mpmath.mpf(eps) / classes for v in y]
        rows.append(-mpmath.fsum(wc * t * lp for wc, t, lp in zip(w, target, logp, strict=True)))
    return rows


def rel(value: float, reference: mpmath.mpf) -> float:
    if reference == 0:
        return abs(value)
    return float(abs(mpmath.mpf(value) - reference) / abs(reference))


@pytest.fixture
def batch(tmp_path: Path) -> tuple[Path, Path]:
    logits = tmp_path / "logits.csv"
    logits.write_text("".join(",".join(repr(v) for v in row) + "\n" for row in LOGITS))
    labels = tmp_path / "labels.txt"
    labels.write_text("2\n0\n-100\n")
    return labels, logits


def test_torch_checked_constants() -> None:
    # F.cross_entropy(x, 2, weight=w) for 1-D input: the weights cancel in the mean.
    x, w = "2,1,0.1,-1", "1,2,3,0.5"
    assert ok("xent", "2", x, "--logits", "--weight", w) == "2.349313002380354\n"  # torch 2.13
    assert ok("xent", "2", x, "--logits", "--weight", w, "--label-smoothing", "0.1") == (
        "2.2153861564379214\n"  # torch 2.13
    )
    # torch 2.13 with the log of the probabilities as input: equal within 2 ulp.
    smoothed = float(ok("xent", "0", "0.9,0.1", "--label-smoothing", "0.2"))
    assert smoothed == pytest.approx(0.32508297339144826, rel=4.5e-16)


def test_weighted_mean_divides_by_the_sum_of_target_weights(batch: tuple[Path, Path]) -> None:
    labels, logits = batch
    common = ["xent", f"@{labels}", f"@{logits}", "--logits", "--ignore-index", "-100"]
    common += ["--weight", "1,2,3"]
    assert ok(*common) == "2.991118987638737\n"  # torch 2.13
    assert ok(*common, "-r", "none") == "6.9510900488335\n5.013385901721449\n0.0\n"  # torch
    losses, denominators = torch_index_rows(LOGITS, [2, 0, -100], [1, 2, 3], 0.0, -100)
    assert rel(float(ok(*common)), mpmath.fsum(losses) / mpmath.fsum(denominators)) <= 1e-15
    assert rel(float(ok(*common, "-r", "sum")), mpmath.fsum(losses)) <= 1e-15
    assert rel(float(ok(*common, "-r", "max")), max(losses)) <= 1e-15


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.37, 1.0])
@pytest.mark.parametrize("weight", [None, [0.5, 2.0, 1.5]])
@pytest.mark.parametrize("ignore", [None, 0])
def test_index_targets_against_torch_formula(
    batch: tuple[Path, Path], smoothing: float, weight: list[float] | None, ignore: int | None
) -> None:
    labels, logits = batch
    labels.write_text("2\n0\n1\n")
    args = ["xent", f"@{labels}", f"@{logits}", "--logits", "--label-smoothing", str(smoothing)]
    if weight is not None:
        args += ["--weight", ",".join(map(str, weight))]
    if ignore is not None:
        args += ["--ignore-index", str(ignore)]
    losses, denominators = torch_index_rows(LOGITS, [2, 0, 1], weight, smoothing, ignore)
    per_row = [float(v) for v in ok(*args, "-r", "none").split()]
    for value, reference in zip(per_row, losses, strict=True):
        assert rel(value, reference) <= 1e-14
    mean = float(ok(*args))
    assert rel(mean, mpmath.fsum(losses) / mpmath.fsum(denominators)) <= 1e-14


@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weight", [None, [0.5, 2.0, 1.5]])
def test_soft_targets_against_torch_formula(
    tmp_path: Path, smoothing: float, weight: list[float] | None
) -> None:
    targets = [[0.7, 0.2, 0.1], [0.0, 0.0, 1.0], [0.25, 0.25, 0.5]]
    target_file = tmp_path / "targets.csv"
    target_file.write_text("".join(",".join(map(repr, row)) + "\n" for row in targets))
    logits = tmp_path / "logits.csv"
    logits.write_text("".join(",".join(map(repr, row)) + "\n" for row in LOGITS))
    args = ["xent", f"@{target_file}", f"@{logits}", "--logits"]
    args += ["--label-smoothing", str(smoothing)]
    if weight is not None:
        args += ["--weight", ",".join(map(str, weight))]
    rows = torch_soft_rows(LOGITS, targets, weight, smoothing)
    per_row = [float(v) for v in ok(*args, "-r", "none").split()]
    for value, reference in zip(per_row, rows, strict=True):
        assert rel(value, reference) <= 1e-14
    # Soft targets: the mean divides by the number of rows, weights or not.
    assert rel(float(ok(*args)), mpmath.fsum(rows) / 3) <= 1e-14


def test_smoothing_of_a_literal_soft_target() -> None:
    value = float(ok("xent", "0.7,0.3", "1,-1", "--logits", "--label-smoothing", "0.5"))
    reference = torch_soft_rows([[1.0, -1.0]], [[0.7, 0.3]], None, 0.5)[0]
    assert rel(value, reference) <= 1e-15


def test_all_rows_ignored_gives_nan_like_torch() -> None:
    assert ok("xent", "-", "0.5,0.5", "--ignore-index", "1", input="1\n1\n") == "nan\n"
    assert ok("xent", "1", "0.5,0.5", "--ignore-index", "1") == "nan\n"
    assert ok("xent", "-", "0.5,0.5", "--ignore-index", "1", "-r", "sum", input="1\n1\n") == (
        "0.0\n"
    )


def test_ignore_index_negative_and_in_range(tmp_path: Path) -> None:
    assert ok("xent", "-100", "0.5,0.5", "--ignore-index", "-100") == "nan\n"
    out = ok("xent", "-", "0.25,0.75", "--ignore-index", "0", "-r", "none", input="0\n1\n")
    assert out == f"0.0\n{-math.log(0.75)!r}\n"
    # Other indices are still checked against the number of classes.
    line = one_line_error(run("xent", "-", "0.5,0.5", "--ignore-index", "-100", input="-100\n2\n"))
    assert line == (
        "nncalc: error: TARGET row 2: '2': class index out of range for 2 classes (0-based: 0..1)"
    )


def test_defaults_are_unchanged() -> None:
    assert ok("xent", "2", "0.1,0.2,0.6,0.1") == "0.5108256237659907\n"
    assert ok("xent", "2", "0.1,0.2,0.6,0.1", "--label-smoothing", "0") == "0.5108256237659907\n"
    assert ok("xent", "2", "0.1,0.2,0.6,0.1", "--weight", "1,1,1,1") == "0.5108256237659907\n"


def test_json_and_table() -> None:
    document = json.loads(
        ok("xent", "0", "0.9,0.1", "--label-smoothing", "0.2", "-f", "json", "-b", "2")
    )
    assert document["quantity"] == "xent"
    assert document["value"] == pytest.approx(0.32508297339144826 / math.log(2), rel=1e-15)
    text = ok("xent", "0", "0.9,0.1", "--label-smoothing", "0.2", "--weight", "1,3", "-f", "table")
    assert "PyTorch options" in text
    assert "label smoothing" in text and "0.2" in text
    assert "class weights" in text and "1,3" in text
    csv = ok(
        "xent",
        "-",
        "1,2,0",
        "--logits",
        "--weight",
        "1,2,0",
        "-r",
        "none",
        "-f",
        "csv",
        "--digits",
        "6",
        input="0\n2\n",
    )
    # Row 1: w_0 (-log q_0); row 2: its class has weight 0.
    nll = math.log(math.e + math.e**2 + 1) - 1
    assert csv == f"row,xent\n1,{nll:.6g}\n2,0\n"
    # The smoothed target is the one shown per class.
    assert "0.9" in text and "0.1" in text


@pytest.mark.parametrize(
    ("args", "input", "expected"),
    [
        (
            ("xent", "0.2,0.8", "0.5,0.5", "--ignore-index", "1"),
            None,
            "nncalc: error: TARGET: --ignore-index applies to class-index targets only, and "
            "TARGET rows are distributions (drop --ignore-index, or give class indices)",
        ),
        (
            ("xent", "1", "0.5,0.5", "--weight", "1,2,3"),
            None,
            "nncalc: error: --weight: 3 weights for 2 classes; give one weight per class",
        ),
        (
            ("xent", "1", "0.5,0.5", "--weight", "1,-2"),
            None,
            "nncalc: error: --weight column 2: '-2.0': a class weight must be a finite number >= 0",
        ),
        (
            ("xent", "1", "0.5,0.5", "--weight", "1,x"),
            None,
            "nncalc: error: --weight column 2: 'x': not a number",
        ),
        (
            ("xent", "1", "0.5,0.5", "--label-smoothing", "1.5"),
            None,
            "nncalc: error: --label-smoothing: '1.5': must be a number in [0, 1]",
        ),
        (
            ("xent", "1", "0.5,0.5", "--label-smoothing", "-0.1"),
            None,
            "nncalc: error: --label-smoothing: '-0.1': must be a number in [0, 1]",
        ),
    ],
)
def test_bad_options_exit_2_with_one_line(
    args: tuple[str, ...], input: str | None, expected: str
) -> None:
    assert one_line_error(run(*args, input=input)) == expected
