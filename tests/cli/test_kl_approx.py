"""`nncalc kl-approx`: Schulman's k1, k2, k3 against mpmath, unbiasedness, output, errors.

The Python API, the estimators' laws and the running mean: tests/core/test_policy.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import mpmath
import numpy as np
import pytest

from tests.conftest import ok, one_line_error, run, run_process

mpmath.mp.dps = 50

LOGP = [-1.2, -0.7, -2.3]
LOGQ = [-1.0, -0.9, -2.0]


def joined(values: list[float]) -> str:
    return ",".join(repr(v) for v in values)


def mp_estimators(logp: list[float], logq: list[float]) -> dict[str, tuple[mpmath.mpf, mpmath.mpf]]:
    """Mean and standard error (ddof 1) of k1, k2, k3 at 50 digits."""
    log_r = [mpmath.mpf(a) - mpmath.mpf(b) for a, b in zip(logp, logq, strict=True)]
    values = {
        "k1": [-x for x in log_r],
        "k2": [x * x / 2 for x in log_r],
        "k3": [mpmath.expm1(x) - x for x in log_r],
    }
    n = len(log_r)
    result = {}
    for name, samples in values.items():
        mean = mpmath.fsum(samples) / n
        variance = mpmath.fsum((v - mean) ** 2 for v in samples) / (n - 1)
        result[name] = (mean, mpmath.sqrt(variance / n))
    return result


def rel(value: float, reference: mpmath.mpf) -> float:
    return float(abs(mpmath.mpf(value) - reference) / abs(reference))


def test_k3_is_the_scalar_result() -> None:
    out = ok("kl-approx", joined(LOGP), joined(LOGQ))
    assert out == "0.026983910639956504\n"
    reference = mp_estimators(LOGP, LOGQ)
    assert rel(float(out), reference["k3"][0]) <= 1e-15
    for name in ("k1", "k2"):
        value = float(ok("kl-approx", joined(LOGP), joined(LOGQ), "--estimator", name))
        assert rel(value, reference[name][0]) <= 1e-14


def test_stats_record_has_mean_and_standard_error_of_each() -> None:
    plain = ok("kl-approx", joined(LOGP), joined(LOGQ), "--stats")
    record = dict(line.split("=") for line in plain.splitlines())
    assert list(record) == [
        "k1_mean",
        "k1_stderr",
        "k2_mean",
        "k2_stderr",
        "k3_mean",
        "k3_stderr",
        "samples",
        "unit",
    ]
    reference = mp_estimators(LOGP, LOGQ)
    for name, (mean, stderr) in reference.items():
        assert rel(float(record[f"{name}_mean"]), mean) <= 1e-14
        assert rel(float(record[f"{name}_stderr"]), stderr) <= 1e-13
    assert record["samples"] == "3"
    assert record["unit"] == "nats"
    document = json.loads(ok("kl-approx", joined(LOGP), joined(LOGQ), "--stats", "-f", "json"))
    assert document["k3_mean"] == float(record["k3_mean"])
    assert document["samples"] == 3
    csv = ok("kl-approx", joined(LOGP), joined(LOGQ), "--stats", "-f", "csv", "--digits", "3")
    assert csv == (
        "k1_mean,k1_stderr,k2_mean,k2_stderr,k3_mean,k3_stderr,samples,unit\n"
        "0.1,0.153,0.0283,0.00833,0.027,0.00696,3,nats\n"
    )


def test_k3_accurate_when_p_and_q_nearly_agree() -> None:
    logq = [-1.0, -2.5, -0.25]
    logp = [v + 1e-10 for v in logq]
    value = float(ok("kl-approx", joined(logp), joined(logq)))
    reference = mp_estimators(logp, logq)["k3"][0]
    assert reference > 0
    assert rel(value, reference) <= 1e-14
    # expm1(x) - x by itself loses about half of the digits here.
    naive = np.mean(np.expm1(np.subtract(logp, logq)) - np.subtract(logp, logq))
    assert rel(float(naive), reference) > 1e-9


def test_one_sample_per_line_pools_with_the_mean(tmp_path: Path) -> None:
    logp = tmp_path / "logp.txt"
    logp.write_text("".join(f"{v!r}\n" for v in LOGP))
    logq = tmp_path / "logq.txt"
    logq.write_text("".join(f"{v!r}\n" for v in LOGQ))
    reference = mp_estimators(LOGP, LOGQ)
    mean = float(ok("kl-approx", f"@{logp}", f"@{logq}"))
    assert rel(mean, reference["k3"][0]) <= 1e-15
    stats = ok("kl-approx", f"@{logp}", f"@{logq}", "--stats")
    assert (
        f"k3_stderr={float(reference['k3'][1])!r}" in stats
        or rel(float(stats.splitlines()[5].split("=")[1]), reference["k3"][1]) <= 1e-13
    )
    none = ok("kl-approx", f"@{logp}", f"@{logq}", "-r", "none", "--estimator", "k1")
    assert [float(v) for v in none.split()] == pytest.approx([0.2, -0.2, 0.3], rel=1e-14)


def test_rows_are_separate_estimates(tmp_path: Path) -> None:
    rows = "-1.2,-0.7,-2.3\n-1,-1,-1\n"
    out = ok("kl-approx", "-", joined(LOGQ), "-r", "none", "-f", "csv", input=rows)
    lines = out.splitlines()
    assert lines[0] == "row,kl_approx_k3"
    assert lines[1] == "1,0.026983910639956504"
    second = mp_estimators([-1, -1, -1], LOGQ)["k3"][0]
    assert rel(float(lines[2].split(",")[1]), second) <= 1e-15
    assert float(ok("kl-approx", "-", joined(LOGQ), "-r", "max", input=rows)) == float(
        lines[2].split(",")[1]
    )


def test_json_table_and_base() -> None:
    document = json.loads(ok("kl-approx", joined(LOGP), joined(LOGQ), "-f", "json", "-b", "2"))
    assert document == {
        "quantity": "kl_approx_k3",
        "unit": "bits",
        "reduction": None,
        "value": 0.026983910639956504 / math.log(2),
    }
    text = ok("kl-approx", joined(LOGP), joined(LOGQ), "-f", "table")
    assert "k1 = -log r" in text and "k2 = (log r)^2 / 2" in text
    assert "k3 = (r - 1) - log r (result)" in text
    assert "standard error" in text
    assert "0.02698" in text and "0.00696" in text and "0.1528" in text
    assert "estimates KL(q||p)" in text
    batch = ok("kl-approx", "-", joined(LOGQ), "--stats", "-f", "table", input="-1.2,-0.7,-2.3\n")
    assert "3 samples" in batch


def test_help_says_which_direction() -> None:
    text = ok("kl-approx", "--help")
    assert "KL(q || p)" in text
    assert "x ~ q" in text


def test_checks_apply_to_the_k3_mean() -> None:
    result = run("kl-approx", joined(LOGP), joined(LOGQ), "--max", "0.02")
    assert result.exit_code == 1
    assert result.stdout == "0.026983910639956504\n"
    assert result.stderr == (
        "nncalc: check failed: kl_approx_k3 = 0.026983910639956504 exceeds --max 0.02\n"
    )
    stats = run("kl-approx", joined(LOGP), joined(LOGQ), "--stats", "--max", "0.02")
    assert stats.exit_code == 1
    assert "k3_mean=0.026983910639956504" in stats.stdout
    assert stats.stderr == (
        "nncalc: check failed: k3_mean = 0.026983910639956504 exceeds --max 0.02\n"
    )
    assert run("kl-approx", joined(LOGP), joined(LOGQ), "--max", "0.03").exit_code == 0


def test_minus_inf_under_p_makes_the_estimates_infinite() -> None:
    assert ok("kl-approx", "-inf,-1", "-1,-1") == "inf\n"


@pytest.mark.parametrize(
    ("args", "input", "expected"),
    [
        (
            ("kl-approx", "-1,-2", "-1,-2,-3"),
            None,
            "nncalc: error: LOGQ: rows have 3 values but LOGP rows have 2; "
            "they must have the same length",
        ),
        (
            ("kl-approx", "-1,nan", "-1,-2"),
            None,
            "nncalc: error: LOGP column 2: 'nan': nan is not a log-probability",
        ),
        (
            ("kl-approx", "-1,-2", "-1,inf"),
            None,
            "nncalc: error: LOGQ column 2: 'inf': inf is not a log-probability",
        ),
        (
            ("kl-approx", "-1,-2", "-1,-inf"),
            None,
            "nncalc: error: LOGQ column 2: '-inf': log q(x) is -inf, but x was sampled "
            "from q (q(x) > 0)",
        ),
        (
            ("kl-approx", "-", "-1"),
            "-1\n-x\n",
            "nncalc: error: LOGP row 2, column 1: '-x': not a number",
        ),
        (
            ("kl-approx", "-1", "-1", "--stats", "-r", "sum"),
            None,
            "nncalc: error: --reduction: --stats pools every sample into one estimate; "
            "--reduction does not apply",
        ),
    ],
)
def test_bad_inputs_exit_2_with_one_line(
    args: tuple[str, ...], input: str | None, expected: str
) -> None:
    assert one_line_error(run(*args, input=input)) == expected


def test_row_count_mismatch(tmp_path: Path) -> None:
    logp = tmp_path / "p.txt"
    logp.write_text("-1\n-2\n")
    logq = tmp_path / "q.txt"
    logq.write_text("-1\n")
    line = one_line_error(run("kl-approx", f"@{logp}", f"@{logq}"))
    assert "LOGP has more rows than LOGQ" in line


def test_the_cli_agrees_with_the_unbiasedness_check(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(0.0, 1.0, 20_000)
    logq = tmp_path / "logq.txt"
    logq.write_text("\n".join(repr(float(v)) for v in -0.5 * x**2) + "\n")
    logp = tmp_path / "logp.txt"
    logp.write_text("\n".join(repr(float(v)) for v in -0.5 * (x - 0.3) ** 2) + "\n")
    record = dict(
        line.split("=") for line in ok("kl-approx", f"@{logp}", f"@{logq}", "--stats").splitlines()
    )
    assert record["samples"] == "20000"
    assert abs(float(record["k3_mean"]) - 0.045) <= 4 * float(record["k3_stderr"])
    assert abs(float(record["k1_mean"]) - 0.045) <= 4 * float(record["k1_stderr"])


def test_kl_approx_through_a_real_pipe() -> None:
    result = run_process("printf -- '-1.2\\n-0.7\\n-2.3\\n' | nncalc kl-approx - -1,-0.9,-2 -k k1")
    # A batch of one-sample rows paired with a literal row of three: widths differ.
    assert result.returncode == 2
    assert result.stdout == b""
    good = run_process("printf -- '-1.2\\n-0.7\\n-2.3\\n' | nncalc kl-approx - -1 -r none -k k1")
    assert good.returncode == 0
    assert [float(v) for v in good.stdout.decode().split()] == pytest.approx(
        [0.2, -0.3, 1.3], rel=1e-14
    )
