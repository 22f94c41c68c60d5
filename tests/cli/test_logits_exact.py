"""Every quantity from logits is computed in log space through the CLI: finite
for finite logits at any gap and temperature, exact for near-equal logits."""

from __future__ import annotations

from pathlib import Path

import mpmath
import numpy as np
import pytest

from nncalc.core import parallel
from tests.conftest import ok, run

mpmath.mp.dps = 60


def _log_softmax(row: list[float], temperature: float) -> list[mpmath.mpf]:
    scaled = [mpmath.mpf(x) / temperature for x in row]
    top = max(scaled)
    log_norm = top + mpmath.log(mpmath.fsum(mpmath.exp(x - top) for x in scaled))
    return [x - log_norm for x in scaled]


def kl_reference(p: list[float], q: list[float], temperature: float = 1.0) -> mpmath.mpf:
    log_p, log_q = _log_softmax(p, temperature), _log_softmax(q, temperature)
    return mpmath.fsum(mpmath.exp(a) * (a - b) for a, b in zip(log_p, log_q, strict=True))


def js_reference(p: list[float], q: list[float]) -> mpmath.mpf:
    pp = [mpmath.exp(x) for x in _log_softmax(p, 1.0)]
    qq = [mpmath.exp(x) for x in _log_softmax(q, 1.0)]
    m = [(a + b) / 2 for a, b in zip(pp, qq, strict=True)]

    def kl(a: list[mpmath.mpf]) -> mpmath.mpf:
        return mpmath.fsum(x * mpmath.log(x / y) for x, y in zip(a, m, strict=True) if x > 0)

    return (kl(pp) + kl(qq)) / 2


def text(row: list[float]) -> str:
    return ",".join(repr(x) for x in row)


@pytest.mark.parametrize(
    ("p", "q", "temperature"),
    [
        ([0.0, 0.0], [0.0, -746.0], 1.0),
        ([0.0, 0.0], [0.0, -740.0], 1.0),
        ([0.0, 0.0], [0.0, -1000.0], 1.0),
        ([0.0, 0.0], [0.0, -1e300], 1.0),
        ([3.0, -1.0, 0.5], [2.0, 1.0, -60.0], 0.08),
        ([0.0, 0.0], [0.0, -60.0], 0.001),
        ([1.0, 2.0, 3.0], [3.0, 2.0, 1.0], 1000.0),
    ],
)
def test_kl_from_logits_is_finite_and_exact_at_any_gap(
    p: list[float], q: list[float], temperature: float
) -> None:
    value = float(ok("kl", text(p), text(q), "--logits", "-t", repr(temperature)))
    reference = kl_reference(p, q, temperature)
    assert value == pytest.approx(float(reference), rel=1e-13)


@pytest.mark.parametrize("delta", [1e-3, 1e-6, 1e-9, 1e-12])
def test_kl_from_near_equal_logits_keeps_relative_accuracy(delta: float) -> None:
    p = [0.3, -1.2, 2.5, 0.7]
    q = [0.3 + delta, -1.2 - 2 * delta, 2.5 + delta / 2, 0.7 + 3 * delta]
    value = float(ok("kl", text(p), text(q), "--logits"))
    reference = float(kl_reference(p, q))
    assert value >= 0
    tolerance = 1e-13 if reference >= 1e-6 else 1e-9
    assert value == pytest.approx(reference, rel=tolerance)


def test_the_issue_example_of_near_equal_logits() -> None:
    p = [0.3, -1.2, 2.5, 0.7]
    q = [0.300000001, -1.200000002, 2.5000000005, 0.700000003]
    value = float(ok("kl", text(p), text(q), "--logits"))
    assert value == pytest.approx(float(kl_reference(p, q)), rel=1e-9)


def test_js_and_entropy_from_logits_at_a_large_gap() -> None:
    js = float(ok("js", "0,0", "0,-1000", "--logits"))
    assert js == pytest.approx(float(js_reference([0.0, 0.0], [0.0, -1000.0])), rel=1e-13)
    assert float(ok("entropy", "0,0", "--logits")) == pytest.approx(0.6931471805599453)
    assert float(ok("entropy", "0,-1000", "--logits")) == 0.0  # below the smallest double


def test_masked_logits_in_q_give_inf_and_in_p_contribute_nothing() -> None:
    assert ok("kl", "0,0", "0,-inf", "--logits") == "inf\n"
    value = float(ok("kl", "0,-inf,1", "0,5,1", "--logits"))
    assert value == pytest.approx(float(kl_reference([0.0, -1e9, 1.0], [0.0, 5.0, 1.0])))


def test_distill_soft_and_hard_terms_stay_finite_at_a_large_teacher_gap() -> None:
    assert float(ok("distill", "0,-720,0", "0,0,0")) == pytest.approx(
        float(kl_reference([0.0, -720.0, 0.0], [0.0, 0.0, 0.0])), rel=1e-13
    )
    value = float(ok("distill", "0,0", "0,-1000", "--alpha", "1", "--label", "0"))
    assert value == pytest.approx(float(kl_reference([0.0, 0.0], [0.0, -1000.0])), rel=1e-13)


def test_batch_of_logits_from_a_file_matches_the_literal_rows(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "p.csv").write_text("0,0\n0.3,-1.2\n")
    (folder / "q.csv").write_text("0,-746\n0.300000001,-1.200000002\n")
    rows = ok("kl", f"@{folder / 'p.csv'}", f"@{folder / 'q.csv'}", "--logits", "-r", "none")
    first, second = (float(x) for x in rows.split())
    assert first == float(ok("kl", "0,0", "0,-746", "--logits"))
    assert second == float(ok("kl", "0.3,-1.2", "0.300000001,-1.200000002", "--logits"))


@pytest.mark.parametrize("command", ["kl", "js"])
@pytest.mark.parametrize(("threads", "processes"), [(1, 0), (2, 0), (2, 1)])
def test_bad_logits_in_several_tasks_give_the_error_of_the_whole_chunk_check(
    command: str, threads: int, processes: int, tmp_path: Path
) -> None:
    # Each task finds its own bad rows; the error is still P's first, then Q's,
    # as a check of the whole chunk (P, then Q) before the tasks gave it.
    rng = np.random.default_rng(5)
    z = rng.normal(size=(12, 7))
    w = z + 0.01 * rng.normal(size=z.shape)
    w[1, 3] = np.nan  # an earlier row (and task) than P's
    z[6, 2] = np.nan
    z[9] = -np.inf
    np.save(tmp_path / "p.npy", z)
    np.save(tmp_path / "q.npy", w)
    files = (f"@{tmp_path / 'p.npy'}", f"@{tmp_path / 'q.npy'}")
    with parallel.settings(threads=threads, task_values=2 * 7, process_values=processes):
        result = run(command, "--logits", *files)
        assert result.exit_code == 2
        assert result.stderr == "nncalc: error: P row 7, column 3: 'nan': NaN is not a logit\n"
        z[6, 2] = 0.0
        np.save(tmp_path / "p.npy", z)
        result = run(command, "--logits", *files)
        assert result.stderr == (
            "nncalc: error: P row 10: every logit is -inf, so no class has any probability\n"
        )
        z[9] = 1.0
        z[4, 1] = np.inf  # allowed: the limit, computed after the whole-chunk check
        np.save(tmp_path / "p.npy", z)
        result = run(command, "--logits", *files)
        assert result.stderr == "nncalc: error: Q row 2, column 4: 'nan': NaN is not a logit\n"
        w[1, 3] = 0.0
        np.save(tmp_path / "q.npy", w)
        assert float(ok(command, "--logits", *files)) > 0
