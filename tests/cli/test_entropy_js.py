"""`nncalc entropy` and `nncalc js`: SPEC §2-§5 and mpmath references.

The laws, from the Python API: tests/core/test_divergence.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import mpmath
import numpy as np
import pytest

from nncalc import js_divergence
from tests.conftest import ok, one_line_error, run, run_process

mpmath.mp.dps = 50


def mp_entropy(p: list[float]) -> mpmath.mpf:
    # Enough digits to hold the exact sum of the float inputs (1 + 1e-300 too).
    with mpmath.workdps(700):
        P = [mpmath.mpf(v) for v in p]
        total = mpmath.fsum(P)
        return -mpmath.fsum((a / total) * mpmath.log(a / total) for a in P if a > 0)


def mp_js(p: list[float], q: list[float]) -> mpmath.mpf:
    with mpmath.workdps(700):
        return _mp_js(p, q)


def _mp_js(p: list[float], q: list[float]) -> mpmath.mpf:
    P = [mpmath.mpf(v) for v in p]
    Q = [mpmath.mpf(v) for v in q]
    sp, sq = mpmath.fsum(P), mpmath.fsum(Q)
    P = [a / sp for a in P]
    Q = [b / sq for b in Q]
    M = [(a + b) / 2 for a, b in zip(P, Q, strict=True)]

    def kl(x: list[mpmath.mpf]) -> mpmath.mpf:
        return mpmath.fsum(a * mpmath.log(a / m) for a, m in zip(x, M, strict=True) if a > 0)

    return (kl(P) + kl(Q)) / 2


def rel(value: float, reference: mpmath.mpf) -> float:
    return float(abs(mpmath.mpf(value) - reference) / abs(reference))


# --- entropy ---------------------------------------------------------------


def test_entropy_exact_values_in_every_base() -> None:
    assert ok("entropy", "0.5,0.25,0.25", "--base", "2") == "1.5\n"
    assert ok("entropy", "0.5,0.5", "--base", "2") == "1.0\n"
    assert ok("entropy", "0,0,1,0") == "0.0\n"
    assert float(ok("entropy", "0.25,0.25,0.25,0.25")) == pytest.approx(math.log(4), rel=1e-15)
    assert float(ok("entropy", "0.1,0.9", "--base", "10")) == pytest.approx(
        0.3250829733914482 / math.log(10), rel=1e-15
    )


@pytest.mark.parametrize(
    "p",
    [
        [0.1, 0.2, 0.6, 0.1],
        [2**-52, 1 - 2**-52],
        [0.5, 0.25, 0.125, 0.0625, 0.0625],
        [0.5, 0.5 - 1e-12, 1e-12],
        [1 / 3, 1 / 3, 1 / 3],
        [1 - 2**-20, 2**-20],  # sums to exactly 1: no renormalisation
    ],
)
def test_entropy_against_mpmath(p: list[float]) -> None:
    text = ",".join(repr(v) for v in p)
    assert rel(float(ok("entropy", text)), mp_entropy(p)) <= 1e-14


def test_entropy_from_logits_with_temperature() -> None:
    z = [2.0, 1.0, 0.1]
    probabilities = [math.exp(v / 2) for v in z]
    total = sum(probabilities)
    reference = mp_entropy([v / total for v in probabilities])
    assert rel(float(ok("entropy", "2,1,0.1", "--logits", "-t", "2")), reference) <= 1e-14


def test_entropy_normalize_and_tolerance() -> None:
    assert float(ok("entropy", "1,1,2", "--normalize")) == pytest.approx(
        1.0397207708399179, rel=1e-15
    )
    line = one_line_error(run("entropy", "1,1,2"))
    assert line == (
        "nncalc: error: P: row sums to 4, not 1 within tolerance 1e-06 "
        "(pass --normalize to rescale it, or --logits if these are logits)"
    )


def test_entropy_batches_from_stdin_and_file(tmp_path: Path) -> None:
    rows = "0.5,0.5\n1,0\n0.9,0.1\n"
    per_row = [math.log(2), 0.0, 0.3250829733914482]
    none = ok("entropy", "-", "--reduction", "none", input=rows)
    assert [float(v) for v in none.split()] == pytest.approx(per_row, rel=1e-15)
    path = tmp_path / "p.csv"
    path.write_text(rows)
    assert float(ok("entropy", f"@{path}")) == pytest.approx(sum(per_row) / 3, rel=1e-15)
    assert float(ok("entropy", f"@{path}", "-r", "sum")) == pytest.approx(sum(per_row), rel=1e-15)
    assert float(ok("entropy", f"@{path}", "-r", "max")) == pytest.approx(math.log(2), rel=1e-15)
    # An omitted operand is read from a pipe.
    assert float(ok("entropy", input=rows)) == pytest.approx(sum(per_row) / 3, rel=1e-15)


def test_entropy_csv_json_and_digits() -> None:
    rows = "0.5,0.5\n1,0\n"
    assert ok("entropy", "-", "-r", "none", "-f", "csv", "--digits", "4", input=rows) == (
        "row,entropy\n1,0.6931\n2,0\n"
    )
    document = json.loads(ok("entropy", "0.5,0.5", "-f", "json", "-b", "2"))
    assert document == {"quantity": "entropy", "unit": "bits", "reduction": None, "value": 1.0}
    batch = json.loads(ok("entropy", "-", "-f", "json", input=rows))
    assert batch["reduction"] == "mean"
    assert batch["rows"] == 2
    assert batch["value"] == pytest.approx(math.log(2) / 2, rel=1e-15)


def test_entropy_table_has_perplexity_and_per_class_terms() -> None:
    text = ok("entropy", "0.5,0.25,0.25", "-f", "table", "-b", "2")
    assert "H(P) (bits)" in text
    assert "perplexity 2^H" in text
    assert "2.828" in text  # 2^1.5
    assert "maximum log C (bits)" in text and "1.585" in text
    assert "-P log P" in text
    assert "\x1b[" not in text  # no colour on a pipe


def test_entropy_batch_table_has_rows_and_reduction() -> None:
    text = ok("entropy", "-", "-f", "table", input="cat,dog\n0.5,0.5\n1,0\n")
    assert "| 1   |  0.6931 |" in text
    assert "| 2   |       0 |" in text
    assert "mean entropy (nats)" in text and "0.3466" in text


def test_entropy_checks() -> None:
    result = run("entropy", "0.5,0.5", "--base", "2", "--min", "1.5")
    assert result.exit_code == 1
    assert result.stdout == "1.0\n"
    assert result.stderr == "nncalc: check failed: entropy = 1.0 is below --min 1.5\n"
    assert run("entropy", "0.5,0.5", "--max", "1").exit_code == 0


@pytest.mark.parametrize(
    ("args", "input", "expected"),
    [
        (("entropy", "0.5,-0.5,1"), None, "P column 2: '-0.5': probabilities must be >= 0"),
        (("entropy", "0.5,nan"), None, "P column 2: 'nan': NaN is not a probability"),
        (("entropy", "-"), "0.5,0.5\n0.5\n", "P row 2: ragged rows: this row has 1 value"),
        (("entropy", "-"), "0.5,0.5\n0.2,0.2\n", "P row 2: row sums to 0.4"),
        (("entropy", "-"), "", "P: input has no data rows"),
        (
            ("entropy", "1,2", "--logits", "-t", "0"),
            None,
            "--temperature: '0': must be a finite number > 0",
        ),
        (("entropy", "-inf,-inf", "--logits"), None, "every logit is -inf"),
    ],
)
def test_entropy_bad_inputs(args: tuple[str, ...], input: str | None, expected: str) -> None:
    line = one_line_error(run(*args, input=input))
    assert expected in line


# --- js --------------------------------------------------------------------


def test_js_disjoint_is_exactly_one_bit_where_kl_is_infinite() -> None:
    assert ok("js", "1,0", "0,1", "--base", "2") == "1.0\n"
    assert float(ok("js", "1,0", "0,1")) == math.log(2)
    assert ok("kl", "1,0", "0,1") == "inf\n"
    assert float(ok("js", "1,0", "0.5,0.5")) < math.log(2)


@pytest.mark.parametrize(
    ("p", "q"),
    [
        ([0.5, 0.5], [0.9, 0.1]),
        ([0, 0, 1, 0], [0.1, 0.2, 0.6, 0.1]),
        ([0.25, 0.25, 0.5], [0.5, 0.25, 0.25]),
        ([1e-9, 1 - 1e-9], [2e-9, 1 - 2e-9]),
    ],
)
def test_js_against_mpmath(p: list[float], q: list[float]) -> None:
    args = [",".join(repr(v) for v in p), ",".join(repr(v) for v in q)]
    value = float(ok("js", *args))
    assert rel(value, mp_js(p, q)) <= 1e-12
    assert float(ok("js", *reversed(args))) == pytest.approx(value, rel=1e-15)


def test_js_near_equal_is_small_and_not_negative() -> None:
    value = float(ok("js", "0.5,0.5", "0.5000001,0.4999999"))
    assert value >= 0.0
    assert rel(value, mp_js([0.5, 0.5], [0.5000001, 0.4999999])) <= 1e-6


def test_js_logits_and_normalize() -> None:
    logits = float(ok("js", "2,1,0", "0,1,2", "--logits"))
    z = np.array([2.0, 1.0, 0.0])
    p = np.exp(z) / np.exp(z).sum()
    assert logits == pytest.approx(float(js_divergence(p, p[::-1])), rel=1e-13)
    assert float(ok("js", "1,1", "1,3", "--normalize")) == pytest.approx(
        float(mp_js([0.5, 0.5], [0.25, 0.75])), rel=1e-13
    )


def test_js_batches_broadcast_and_pair(tmp_path: Path) -> None:
    rows = "0.5,0.5\n0.9,0.1\n1,0\n"
    out = ok("js", "-", "1,0", "-r", "none", "-f", "csv", "--digits", "6", input=rows)
    assert out == "row,js\n1,0.215762\n2,0.0359738\n3,0\n"
    other = tmp_path / "q.csv"
    other.write_text("0.5,0.5\n0.5,0.5\n0,1\n")
    paired = ok("js", "-", f"@{other}", "-r", "none", input=rows)
    values = [float(v) for v in paired.split()]
    assert values[0] == 0.0
    assert values[2] == math.log(2)
    assert float(ok("js", "-", f"@{other}", "-r", "max", input=rows)) == math.log(2)


def test_js_json_and_table() -> None:
    document = json.loads(ok("js", "1,0", "0,1", "-f", "json", "-b", "2"))
    assert document == {"quantity": "js", "unit": "bits", "reduction": None, "value": 1.0}
    text = ok("js", "0.5,0.5", "0.9,0.1", "-f", "table")
    for quantity in ("JS(P,Q) (nats)", "bound log 2", "JS distance", "KL(P||M)", "KL(Q||P)"):
        assert quantity in text
    assert "M = (P+Q)/2" in text
    assert "0.1017" in text  # JS
    assert "0.319" in text  # sqrt(JS), scipy's jensenshannon


def test_js_check_exits_1() -> None:
    result = run("js", "1,0", "0,1", "-b", "2", "--max", "0.5")
    assert result.exit_code == 1
    assert result.stdout == "1.0\n"
    assert "check failed: js = 1.0 exceeds --max 0.5" in result.stderr


@pytest.mark.parametrize(
    ("args", "input", "expected"),
    [
        (("js", "0.5,0.5", "0.2,0.3,0.5"), None, "rows have 3 values but P rows have 2"),
        (("js", "-", "@/nonexistent"), "0.5,0.5\n", "Q: '@/nonexistent': no such file"),
        (("js", "0.5,0.6", "0.5,0.5"), None, "P: row sums to 1.1"),
        (("js", "0.5,0.5", "inf,0"), None, "Q column 1: 'inf': infinity is not a probability"),
        (("js", "-", "-"), "0.5,0.5\n", "already reads standard input"),
    ],
)
def test_js_bad_inputs(args: tuple[str, ...], input: str | None, expected: str) -> None:
    line = one_line_error(run(*args, input=input))
    assert expected in line


def test_js_row_count_mismatch(tmp_path: Path) -> None:
    p = tmp_path / "p.csv"
    p.write_text("0.5,0.5\n0.5,0.5\n")
    q = tmp_path / "q.csv"
    q.write_text("0.5,0.5\n")
    line = one_line_error(run("js", f"@{p}", f"@{q}"))
    assert "P has more rows than Q" in line


def test_js_through_a_real_pipe() -> None:
    result = run_process("printf '1,0\\n0.5,0.5\\n' | nncalc js - 0,1 --base 2 --reduction none")
    assert result.returncode == 0
    values = [float(v) for v in result.stdout.decode().split()]
    assert values[0] == 1.0
    assert values[1] == pytest.approx(0.31127812445913283, rel=1e-14)
