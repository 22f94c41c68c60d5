"""`--reduction` on every per-row command: definitions against NumPy, NaN, gates, bounds.

The reductions themselves (exact sums, percentile definition, NaN rules) are
tested in tests/core/test_reduce.py; here they are reached through the
command line and checked against NumPy on the per-row values nncalc prints.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from nncalc.output.environment import Environment
from nncalc.output.scalars import ScalarSink
from nncalc.output.spec import Bounds, Format, Output
from tests.conftest import ok, one_line_error, run

ROWS = 37  # not a multiple of 2 or 10: percentiles fall between rows
PERCENTS = ["0", "0.1", "1", "10", "50", "90", "95", "99", "99.9", "100"]
REDUCTION_SPELLINGS = ["mean", "sum", "max", "min", "median", *[f"p{p}" for p in PERCENTS]]


def write_rows(path: Path, rows: np.ndarray) -> str:
    path.write_text("".join(",".join(repr(float(v)) for v in row) + "\n" for row in rows))
    return f"@{path}"


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Operand files of ROWS rows: distributions P, Q, logits and class indices."""
    folder = tmp_path_factory.mktemp("reductions")
    rng = np.random.default_rng(7)
    p = rng.dirichlet(np.ones(5), ROWS)
    q = rng.dirichlet(np.ones(5), ROWS)
    logits = rng.normal(0.0, 3.0, (ROWS, 5))
    other = rng.normal(0.0, 3.0, (ROWS, 5))
    labels = rng.integers(0, 5, ROWS)
    return {
        "P": write_rows(folder / "p.csv", p),
        "Q": write_rows(folder / "q.csv", q),
        "LOGITS": write_rows(folder / "logits.csv", logits),
        "OTHER": write_rows(folder / "other.csv", other),
        "LABELS": write_rows(folder / "labels.txt", labels[:, None]),
    }


def per_row(*args: str) -> np.ndarray:
    """The per-row values nncalc prints with --reduction none."""
    out = ok(*args, "--reduction", "none", "-f", "plain")
    return np.array([float(line) for line in out.split()])


def exact_percentile(values: np.ndarray, percent: str) -> float:
    """Hyndman and Fan's definition 7 (NumPy's 'linear') in rational arithmetic, rounded once."""
    ordered = sorted(Fraction(v) for v in values.tolist())
    rank = (len(ordered) - 1) * Fraction(percent) / 100
    k = math.floor(rank)
    if k == len(ordered) - 1:
        return float(ordered[k])
    return float(ordered[k] + (rank - k) * (ordered[k + 1] - ordered[k]))


def check_reduction(got: float, values: np.ndarray, reduction: str) -> None:
    """``got`` is NumPy's answer; a percentile to the exact one within 4 ulp of the largest value.

    NumPy rounds the rank (n - 1) NN / 100 before interpolating, nncalc does
    not: the two differ by a few ulp of the gap between neighbours.
    """
    want = expected(values, reduction)
    if reduction.startswith("p") or reduction == "median":
        percent = "50" if reduction == "median" else reduction[1:]
        bound = 4 * math.ulp(float(np.max(np.abs(values))))
        assert abs(got - exact_percentile(values, percent)) <= bound, (got, reduction)
        assert got == pytest.approx(want, rel=1e-13, abs=1e-13)
    else:
        assert got == want


def expected(values: np.ndarray, reduction: str) -> float:
    """NumPy's answer (percentiles: method='linear', NumPy's default)."""
    if reduction == "mean":
        return float(sum(Fraction(v) for v in values.tolist()) / len(values))
    if reduction == "sum":
        return math.fsum(values.tolist())
    if reduction == "max":
        return float(np.max(values))
    if reduction == "min":
        return float(np.min(values))
    if reduction == "median":
        return float(np.median(values))
    return float(np.percentile(values, float(reduction[1:]), method="linear"))


def command_lines(batch: dict[str, str]) -> dict[str, list[str]]:
    return {
        "kl": ["kl", batch["P"], batch["Q"]],
        "kl-logits": ["kl", batch["LOGITS"], batch["P"], "--logits"],
        "xent": ["xent", batch["LABELS"], batch["LOGITS"], "--logits"],
        "xent-soft": ["xent", batch["P"], batch["Q"]],
        "entropy": ["entropy", batch["P"], "--base", "2"],
        "js": ["js", batch["P"], batch["Q"]],
        "kl-approx": ["kl-approx", batch["LOGITS"], batch["OTHER"]],
        "distill": ["distill", batch["LOGITS"], batch["Q"], "-t", "2"],
        "kl-normal": ["kl-normal", batch["LOGITS"], batch["P"]],
    }


@pytest.mark.parametrize("command", ["kl", "kl-logits", "xent", "xent-soft"])
@pytest.mark.parametrize("reduction", REDUCTION_SPELLINGS)
def test_every_reduction_of_kl_and_xent_is_numpys(
    command: str, reduction: str, batch: dict[str, str]
) -> None:
    args = command_lines(batch)[command]
    values = per_row(*args)
    assert len(values) == ROWS
    check_reduction(float(ok(*args, "--reduction", reduction)), values, reduction)


@pytest.mark.parametrize("command", ["entropy", "js", "distill", "kl-normal", "kl-approx"])
@pytest.mark.parametrize("reduction", ["median", "p90", "p99.9", "min", "max"])
def test_order_statistics_of_the_other_commands(
    command: str, reduction: str, batch: dict[str, str]
) -> None:
    args = command_lines(batch)[command]
    values = per_row(*args)
    check_reduction(float(ok(*args, "-r", reduction)), values, reduction)


def test_percentile_ends_and_middle(batch: dict[str, str]) -> None:
    args = command_lines(batch)["kl"]
    values = per_row(*args)
    assert float(ok(*args, "-r", "p0")) == float(ok(*args, "-r", "min")) == values.min()
    assert float(ok(*args, "-r", "p100")) == float(ok(*args, "-r", "max")) == values.max()
    assert ok(*args, "-r", "p50") == ok(*args, "-r", "median")
    assert ok(*args, "-r", "P99.90") == ok(*args, "-r", "p99.9")  # spelled any case and way


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(tmp_path: Path) -> None:
    p = write_rows(tmp_path / "p.csv", np.array([[1, 0], [0.5, 0.5], [0.9, 0.1], [0.2, 0.8]]))
    values = per_row("kl", p, "0.5,0.5")
    middle = np.sort(values)[1:3]
    median = float(ok("kl", p, "0.5,0.5", "-r", "median"))
    assert median == pytest.approx(float(np.mean(middle)), rel=2.3e-16)
    assert median == pytest.approx(float(np.median(values)), rel=2.3e-16)


def test_reduction_is_named_in_json_and_in_the_table(batch: dict[str, str]) -> None:
    args = command_lines(batch)["kl"]
    document = json.loads(ok(*args, "-r", "p99.9", "-f", "json"))
    assert document["reduction"] == "p99.9" and document["rows"] == ROWS
    assert document["value"] == float(ok(*args, "-r", "p99.9"))
    table = ok(*args, "-r", "median", "-f", "table")
    assert f"median over {ROWS} rows" in table
    assert "median kl (nats)" in table


def test_a_literal_row_is_its_own_result_under_every_reduction() -> None:
    for reduction in REDUCTION_SPELLINGS:
        assert ok("kl", "0,0,1,0", "0.1,0.2,0.6,0.1", "-r", reduction) == "0.5108256237659907\n"


def test_weighted_xent_mean_divides_by_the_summed_weights(batch: dict[str, str]) -> None:
    """PyTorch's weighted mean: sum of w[y] * loss over the sum of w[y]; -r none is w[y] * loss."""
    weight = [1.0, 2.0, 0.5, 3.0, 1.5]
    args = [*command_lines(batch)["xent"], "--weight", ",".join(map(str, weight))]
    weighted = per_row(*args)
    labels = np.loadtxt(batch["LABELS"][1:]).astype(np.int64)
    w = np.array(weight)[labels]
    mean = float(ok(*args))
    exact = sum(Fraction(v) for v in weighted.tolist()) / sum(Fraction(v) for v in w.tolist())
    assert mean == float(exact)
    assert float(ok(*args, "-r", "sum")) == math.fsum(weighted.tolist())
    check_reduction(float(ok(*args, "-r", "median")), weighted, "median")


@pytest.mark.parametrize("spelling", ["p1000", "p100.5", "foo", "p", "p-1", "p9x", "average", ""])
def test_a_bad_spelling_is_one_line_listing_the_reductions(spelling: str) -> None:
    line = one_line_error(run("kl", "0.5,0.5", "0.9,0.1", "--reduction", spelling))
    assert line == (
        f"nncalc: error: --reduction: {spelling!r} is not a reduction "
        "(mean, sum, max, min, median, pNN with 0 <= NN <= 100, none)"
    )


def test_a_bad_spelling_is_refused_before_any_input_is_read() -> None:
    line = one_line_error(run("kl", "-", "0.5,0.5", "-r", "p1000", input="not numbers\n"))
    assert line.startswith("nncalc: error: --reduction: 'p1000'")


# --- NaN ------------------------------------------------------------------
# kl, xent, js, entropy, distill and kl-normal reject NaN input and compute
# finite or +inf values; kl-approx's k1 is the mean over samples of
# log q - log p, which is inf - inf = NaN for a row of samples
# (1e308, -1e308) against (-1e308, 1e308).

NAN_LOGP = "1e308,-1e308\n-1,-2\n-1,-1\n"
NAN_LOGQ = "-1e308,1e308\n-1.5,-1\n-1.5,-1.25\n"  # k1 rows: nan, 0.25, -0.375


@pytest.fixture
def nan_batch(tmp_path: Path) -> list[str]:
    (tmp_path / "logp.csv").write_text(NAN_LOGP)
    (tmp_path / "logq.csv").write_text(NAN_LOGQ)
    return ["kl-approx", f"@{tmp_path / 'logp.csv'}", f"@{tmp_path / 'logq.csv'}", "-k", "k1"]


def test_the_nan_row_is_nan(nan_batch: list[str]) -> None:
    assert ok(*nan_batch, "-r", "none") == "nan\n0.25\n-0.375\n"


@pytest.mark.parametrize("reduction", REDUCTION_SPELLINGS)
def test_a_nan_row_makes_every_reduction_nan(reduction: str, nan_batch: list[str]) -> None:
    assert ok(*nan_batch, "-r", reduction) == "nan\n"


@pytest.mark.parametrize(
    ("bounds", "said"),
    [
        (["--max", "1"], "bound --max 1.0"),
        (["--min", "0"], "bound --min 0.0"),
        (["--max", "1", "--min", "-1"], "bounds --max 1.0, --min -1.0"),
    ],
)
@pytest.mark.parametrize("reduction", ["mean", "max", "min", "p99"])
def test_a_gate_on_nan_fails_and_says_so(
    reduction: str, bounds: list[str], said: str, nan_batch: list[str]
) -> None:
    result = run(*nan_batch, "-r", reduction, *bounds)
    assert result.exit_code == 1
    assert result.stdout == "nan\n"
    assert result.stderr == f"nncalc: check failed: kl_approx_k1 = nan is not a number ({said})\n"


def test_a_gate_on_every_row_names_the_nan_row(nan_batch: list[str]) -> None:
    result = run(*nan_batch, "-r", "none", "--max", "1", "--min", "-1")
    assert result.exit_code == 1
    assert result.stdout == "nan\n0.25\n-0.375\n"
    assert result.stderr == (
        "nncalc: check failed: row 1: kl_approx_k1 = nan is not a number "
        "(bounds --max 1.0, --min -1.0)\n"
    )


def test_a_nan_result_without_a_gate_is_exit_0(nan_batch: list[str]) -> None:
    assert json.loads(ok(*nan_batch, "-f", "json"))["value"] == "nan"


def sink(reduction: str, bounds: Bounds | None = None) -> ScalarSink:
    output = Output(Format.plain, None, Environment(stdout_isatty=False))
    return ScalarSink("kl", output, batch=True, reduction=reduction, bounds=bounds or Bounds())


@pytest.mark.parametrize("reduction", REDUCTION_SPELLINGS)
@pytest.mark.parametrize("where", [0, 3, 9])
def test_the_sink_gives_nan_wherever_the_nan_row_arrives(reduction: str, where: int) -> None:
    values = np.linspace(0.0, 1.0, 10)
    values[where] = math.nan
    scalar = sink(reduction)
    scalar.add(values[:5], 1)
    scalar.add(values[5:], 6)
    assert math.isnan(scalar.result())


def test_the_sink_gives_the_nan_of_a_weighted_mean() -> None:
    scalar = sink("mean")
    scalar.add(np.array([1.0, math.nan]), 1, np.array([1.0, 2.0]))
    assert math.isnan(scalar.result())


def test_bounds_fail_on_nan_without_a_max() -> None:
    bounds = Bounds(minimum=0.0)
    bounds.check("kl", np.array([0.5, math.nan, -1.0]), 4)
    assert bounds.violations == [
        "check failed: row 5: kl = nan is not a number (bound --min 0.0)",
        "check failed: row 6: kl = -1.0 is below --min 0.0",
    ]


# --- bounds must be finite -------------------------------------------------


@pytest.mark.parametrize("flag", ["--max", "--min"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999", "NaN"])
def test_a_bound_must_be_a_finite_number(flag: str, value: str) -> None:
    line = one_line_error(run("kl", "0.5,0.5", "0.9,0.1", flag, value))
    assert line == f"nncalc: error: {flag}: {value!r}: must be a finite number"


@pytest.mark.parametrize(
    "args",
    [
        ["kl-normal", "0.5,-1", "0.1,-0.2", "--recon", "2"],
        ["kl-approx", "-1,-2", "-1.5,-1", "--stats"],
        ["xent", "1", "0.2,0.8"],
        ["entropy", "0.5,0.5"],
        ["js", "1,0", "0,1"],
        ["distill", "1,2", "2,1"],
    ],
)
def test_every_per_row_command_refuses_a_non_finite_bound(args: list[str]) -> None:
    line = one_line_error(run(*args, "--max", "nan"))
    assert line == "nncalc: error: --max: 'nan': must be a finite number"


def test_finite_bounds_at_the_ends_of_float64_are_fine() -> None:
    assert ok("kl", "0.5,0.5", "0.9,0.1", "--max", "1.7976931348623157e308", "--min", "-1e308")
