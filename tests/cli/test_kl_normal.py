"""`nncalc kl-normal`: the closed-form Gaussian KL against mpmath and the VAE loss.

The Python API and the laws: tests/core/test_gaussian.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import mpmath
import pytest

from tests.conftest import ok, one_line_error, run, run_process


def mp_kl(
    mu: list[float], logvar: list[float], mu2: list[float], logvar2: list[float]
) -> mpmath.mpf:
    """Sum over dims of 1/2 (e^(lv1-lv2) - 1 - (lv1-lv2) + (mu1-mu2)^2 e^-lv2), 60 digits."""
    with mpmath.workdps(60):
        total = mpmath.mpf(0)
        for a, b, c, d in zip(mu, logvar, mu2, logvar2, strict=True):
            a, b, c, d = (mpmath.mpf(v) for v in (a, b, c, d))
            x = b - d
            if abs(x) < 0.1:
                # e^x - 1 - x by its series, where even 60 digits would cancel.
                f = mpmath.fsum(x**n / mpmath.factorial(n) for n in range(2, 40))
            else:
                f = mpmath.expm1(x) - x
            total += (f + (a - c) ** 2 * mpmath.exp(-d)) / 2
        return total


def rel(value: float, reference: mpmath.mpf) -> float:
    return float(abs(mpmath.mpf(value) - reference) / abs(reference))


def joined(values: list[float]) -> str:
    return ",".join(repr(v) for v in values)


def test_vae_term_against_the_textbook_formula() -> None:
    mu, logvar = [0.5, -1.0], [0.1, -0.2]
    textbook = -0.5 * sum(1 + lv - m * m - math.exp(lv) for m, lv in zip(mu, logvar, strict=True))
    value = float(ok("kl-normal", "0.5,-1", "0.1,-0.2"))
    assert value == pytest.approx(textbook, rel=1e-15)
    assert ok("kl-normal", "0.5,-1", "0.1,-0.2") == "0.6369508355768148\n"


@pytest.mark.parametrize(
    ("mu", "logvar", "mu2", "logvar2"),
    [
        ([0.5, -1.0], [0.1, -0.2], [0.0, 0.0], [0.0, 0.0]),
        ([1e-9, 0.0], [1e-9, -1e-12], [0.0, 0.0], [0.0, 0.0]),  # nearly N(0, I): KL ~ 1e-18
        ([3.0, -2.0, 0.25], [2.0, -5.0, 0.5], [1.0, 1.0, 0.25], [-1.0, 3.0, 0.5 + 1e-10]),
        ([100.0], [-30.0], [-100.0], [40.0]),
        ([0.0], [300.0], [0.0], [0.0]),  # huge variance ratio
    ],
)
def test_kl_normal_against_mpmath(
    mu: list[float], logvar: list[float], mu2: list[float], logvar2: list[float]
) -> None:
    args = ["kl-normal", joined(mu), joined(logvar), "--mu2", joined(mu2)]
    args += ["--logvar2", joined(logvar2)]
    assert rel(float(ok(*args)), mp_kl(mu, logvar, mu2, logvar2)) <= 4e-16 * 8


def test_kl_normal_std_parametrisation_against_mpmath() -> None:
    sigma, sigma2 = [1.0000001, 2.0, 0.3], [1.0, 0.5, 0.3]
    out = ok(
        "kl-normal", "0,1,2", joined(sigma), "--std", "--mu2", "0,0,2", "--logvar2", "1,0.5,0.3"
    )
    logvar = [2 * mpmath.log(mpmath.mpf(s)) for s in sigma]
    logvar2 = [2 * mpmath.log(mpmath.mpf(s)) for s in sigma2]
    # mp_kl takes floats; pass the exact log-variances through mpmath directly.
    reference = mpmath.mpf(0)
    for a, b, c, d in zip([0, 1, 2], logvar, [0, 0, 2], logvar2, strict=True):
        x = b - d
        f = mpmath.exp(x) - 1 - x
        reference += (f + (a - c) ** 2 * mpmath.exp(-d)) / 2
    assert rel(float(out), reference) <= 1e-14


def test_equal_gaussians_give_exactly_zero() -> None:
    assert ok("kl-normal", "0,0", "0,0") == "0.0\n"
    assert ok("kl-normal", "1.5,-2", "0.3,7", "--mu2", "1.5,-2", "--logvar2", "0.3,7") == "0.0\n"
    assert ok("kl-normal", "1,2", "0.5,3", "--std", "--mu2", "1,2", "--logvar2", "0.5,3") == "0.0\n"


def test_kl_normal_is_not_symmetric() -> None:
    forward = float(ok("kl-normal", "0", "0", "--mu2", "1", "--logvar2", "1"))
    backward = float(ok("kl-normal", "1", "1", "--mu2", "0", "--logvar2", "0"))
    assert forward != pytest.approx(backward)
    assert forward == pytest.approx(0.5 * (math.exp(-1) - 1 + 1 + math.exp(-1)), rel=1e-15)


def test_batch_rows_are_samples_and_dims_are_summed(tmp_path: Path) -> None:
    mu = tmp_path / "mu.csv"
    mu.write_text("0.5,-1\n0,0\n1,1\n")
    logvar = tmp_path / "logvar.csv"
    logvar.write_text("0.1,-0.2\n0,0\n0,0\n")
    per_row = [0.6369508355768148, 0.0, 1.0]
    none = ok("kl-normal", f"@{mu}", f"@{logvar}", "-r", "none")
    assert [float(v) for v in none.split()] == pytest.approx(per_row, rel=1e-15)
    assert float(ok("kl-normal", f"@{mu}", f"@{logvar}")) == pytest.approx(
        sum(per_row) / 3, rel=1e-15
    )
    assert float(ok("kl-normal", f"@{mu}", f"@{logvar}", "-r", "sum")) == pytest.approx(
        sum(per_row), rel=1e-15
    )
    # A literal LOGVAR broadcasts against the batch of means; stdin works too.
    out = ok("kl-normal", "-", "0,0", "-r", "none", input="0,0\n1,1\n")
    assert out == "0.0\n1.0\n"
    # --mu2 as a batch, paired row by row.
    mu2 = tmp_path / "mu2.csv"
    mu2.write_text("0.5,-1\n0,0\n0,1\n")
    out = ok("kl-normal", f"@{mu}", "0,0", "--mu2", f"@{mu2}", "-r", "none")
    assert out == "0.0\n0.0\n0.5\n"


def test_formats_and_base() -> None:
    document = json.loads(ok("kl-normal", "1", "0", "-f", "json", "-b", "2"))
    assert document == {
        "quantity": "kl_normal",
        "unit": "bits",
        "reduction": None,
        "value": 0.5 / math.log(2),
    }
    csv = ok("kl-normal", "-", "0,0", "-r", "none", "-f", "csv", input="0,0\n1,1\n")
    assert csv == "row,kl_normal\n1,0.0\n2,1.0\n"
    assert ok("kl-normal", "0.5,-1", "0.1,-0.2", "--digits", "3") == "0.637\n"


def test_table_shows_each_dimension() -> None:
    text = ok("kl-normal", "0.5,-1", "0.1,-0.2", "-f", "table")
    assert "KL (nats)" in text and "0.637" in text
    assert "N(0, I)" in text
    assert "per latent dimension" in text
    assert "0.1276" in text and "0.5094" in text  # the two per-dim terms
    assert "1.051" in text  # sigma = e^(0.1/2)


def test_vae_loss_record_in_every_format() -> None:
    plain = ok("kl-normal", "0.5,-1", "0.1,-0.2", "--recon", "3", "--beta", "0.5")
    assert plain == (
        "loss=3.3184754177884073\nrecon=3.0\nbeta=0.5\nkl=0.6369508355768148\n"
        "unit=nats\nreduction=\nrows=1\n"
    )
    document = json.loads(
        ok("kl-normal", "-", "0,0", "--recon", "2", "-f", "json", input="1,1\n0,0\n")
    )
    assert document == {
        "loss": 2.5,
        "recon": 2.0,
        "beta": 1.0,
        "kl": 0.5,
        "unit": "nats",
        "reduction": "mean",
        "rows": 2,
    }
    csv = ok("kl-normal", "1,1", "0,0", "--recon", "2", "-f", "csv")
    assert csv == "loss,recon,beta,kl,unit,reduction,rows\n3.0,2.0,1.0,1.0,nats,,1\n"
    table = ok("kl-normal", "1,1", "0,0", "--recon", "2", "-f", "table")
    assert "VAE loss" in table and "recon" in table and "beta" in table


def test_vae_loss_sum_reduction_and_check_on_the_loss() -> None:
    out = ok("kl-normal", "-", "0", "--recon", "10", "--beta", "2", "-r", "sum", input="1\n1\n")
    assert out.splitlines()[0] == "loss=12.0"
    result = run("kl-normal", "1", "0", "--recon", "1", "--max", "1.2")
    assert result.exit_code == 1
    assert result.stdout.startswith("loss=1.5\n")
    assert result.stderr == "nncalc: check failed: loss = 1.5 exceeds --max 1.2\n"


def test_check_on_the_kl_without_recon() -> None:
    result = run("kl-normal", "1", "0", "--max", "0.4")
    assert result.exit_code == 1
    assert result.stdout == "0.5\n"
    assert result.stderr == "nncalc: check failed: kl_normal = 0.5 exceeds --max 0.4\n"


@pytest.mark.parametrize(
    ("args", "input", "expected"),
    [
        (
            ("kl-normal", "0,0", "1,-0.5", "--std"),
            None,
            "nncalc: error: SIGMA column 2: '-0.5': a standard deviation must be > 0 "
            "(without --std the operand is log sigma^2)",
        ),
        (
            ("kl-normal", "0,0", "1,0", "--std"),
            None,
            "nncalc: error: SIGMA column 2: '0.0': a standard deviation must be > 0 "
            "(without --std the operand is log sigma^2)",
        ),
        (
            ("kl-normal", "0", "1", "--logvar2", "-1", "--std"),
            None,
            "nncalc: error: --logvar2 column 1: '-1.0': a standard deviation must be > 0 "
            "(without --std the operand is log sigma^2)",
        ),
        (
            ("kl-normal", "0,0", "0,0,0"),
            None,
            "nncalc: error: LOGVAR: rows have 3 values but MU rows have 2; "
            "they must have the same length",
        ),
        (
            ("kl-normal", "0,0", "0,0", "--mu2", "1"),
            None,
            "nncalc: error: --mu2: rows have 1 value but MU rows have 2; "
            "they must have the same length",
        ),
        (
            ("kl-normal", "0,nan", "0,0"),
            None,
            "nncalc: error: MU column 2: 'nan': a mean must be a finite number",
        ),
        (
            ("kl-normal", "0", "inf"),
            None,
            "nncalc: error: LOGVAR column 1: 'inf': a log-variance must be a finite number",
        ),
        (
            ("kl-normal", "-", "0,0"),
            "0,0\n1,x\n",
            "nncalc: error: MU row 2, column 2: 'x': not a number",
        ),
        (
            ("kl-normal", "0", "0", "--beta", "2"),
            None,
            "nncalc: error: --beta: --beta weights the KL in the VAE loss: give --recon R too",
        ),
        (
            ("kl-normal", "0", "0", "--recon", "1", "--beta", "-1"),
            None,
            "nncalc: error: --beta: '-1': must be a finite number >= 0",
        ),
        (
            ("kl-normal", "0", "0", "--recon", "nan"),
            None,
            "nncalc: error: --recon: 'nan': must be a finite number",
        ),
        (
            ("kl-normal", "-", "0", "--recon", "1", "-r", "none"),
            "0\n",
            "nncalc: error: --recon: the VAE loss adds R to the batch's reduced KL; "
            "--reduction none gives one KL per row (use --reduction mean or sum, as for R)",
        ),
    ],
)
def test_bad_inputs_exit_2_with_one_line(
    args: tuple[str, ...], input: str | None, expected: str
) -> None:
    assert one_line_error(run(*args, input=input)) == expected


def test_batches_with_different_row_counts(tmp_path: Path) -> None:
    mu = tmp_path / "mu.csv"
    mu.write_text("0\n0\n")
    logvar = tmp_path / "lv.csv"
    logvar.write_text("0\n")
    line = one_line_error(run("kl-normal", f"@{mu}", f"@{logvar}"))
    assert "MU has more rows than LOGVAR" in line


def test_kl_normal_through_a_real_pipe() -> None:
    result = run_process("printf '0.5,-1\\n0,0\\n' | nncalc kl-normal - 0.1,-0.2 -r none")
    assert result.returncode == 0
    values = [float(v) for v in result.stdout.decode().split()]
    assert values[0] == pytest.approx(0.6369508355768148, rel=1e-15)
    assert values[1] == pytest.approx(0.5 * (math.exp(0.1) - 1 - 0.1 + math.exp(-0.2) - 1 + 0.2))
