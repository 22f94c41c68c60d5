"""`nncalc distill`: Hinton et al.'s loss against mpmath, labels and bad inputs.

The Python API and its laws: tests/core/test_distill.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import mpmath
import pytest

from tests.conftest import ok, one_line_error, run, run_process

mpmath.mp.dps = 50


def mp_log_softmax(z: list[float], temperature: float) -> list[mpmath.mpf]:
    scaled = [mpmath.mpf(v) / mpmath.mpf(temperature) for v in z]
    top = max(scaled)
    log_norm = top + mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in scaled))
    return [v - log_norm for v in scaled]


def mp_distill(
    teacher: list[float],
    student: list[float],
    label: int | None,
    temperature: float,
    alpha: float,
) -> mpmath.mpf:
    log_p = mp_log_softmax(teacher, temperature)
    log_q = mp_log_softmax(student, temperature)
    kl = mpmath.fsum(mpmath.exp(a) * (a - b) for a, b in zip(log_p, log_q, strict=True))
    soft = mpmath.mpf(temperature) ** 2 * kl
    if label is None:
        return soft
    hard = -mp_log_softmax(student, 1.0)[label]
    return mpmath.mpf(alpha) * soft + (1 - mpmath.mpf(alpha)) * hard


def rel(value: float, reference: mpmath.mpf) -> float:
    return float(abs(mpmath.mpf(value) - reference) / abs(reference))


CASES = [
    ([2.0, 1.0, 0.1], [1.5, 1.2, 0.3], 0, 2.0, 0.7),
    ([2.0, 1.0, 0.1], [1.5, 1.2, 0.3], None, 4.0, 0.5),
    ([10.0, -3.0, 0.0, 2.5], [9.0, -2.0, 1.0, 2.5], 3, 1.0, 0.1),
    ([0.0, 0.0], [0.0, -1000.0], 1, 1.0, 0.5),  # the student's softmax underflows
    ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0 + 1e-9], None, 3.0, 0.5),  # KL ~ 1e-19
    ([300.0, -200.0, 5.0], [-100.0, 250.0, 0.0], 2, 20.0, 0.9),
]


@pytest.mark.parametrize(("teacher", "student", "label", "temperature", "alpha"), CASES)
def test_distill_against_mpmath(
    teacher: list[float],
    student: list[float],
    label: int | None,
    temperature: float,
    alpha: float,
) -> None:
    args = ["distill", ",".join(map(repr, teacher)), ",".join(map(repr, student))]
    args += ["-t", repr(temperature)]
    if label is not None:
        args += ["--alpha", repr(alpha), "--label", str(label)]
    value = float(ok(*args))
    reference = mp_distill(teacher, student, label, temperature, alpha)
    assert math.isfinite(value)
    assert rel(value, reference) <= 1e-12


def test_seed_example() -> None:
    out = ok("distill", "2,1,0.1", "1.5,1.2,0.3", "-t", "2", "--alpha", "0.7", "--label", "0")
    assert out == "0.2568548734481938\n"


def test_alpha_one_temperature_one_is_the_kl_of_the_softmaxes() -> None:
    value = float(ok("distill", "2,1,0.1", "1.5,1.2,0.3", "--alpha", "1", "--label", "2"))
    kl = float(ok("kl", "2,1,0.1", "1.5,1.2,0.3", "--logits"))
    assert value == pytest.approx(kl, rel=1e-14)


def test_alpha_zero_is_the_cross_entropy_of_the_student() -> None:
    value = float(ok("distill", "2,1,0.1", "1.5,1.2,0.3", "-t", "3", "--alpha", "0", "-y", "1"))
    xent = float(ok("xent", "1", "1.5,1.2,0.3", "--logits"))
    assert value == xent


def test_without_labels_the_loss_is_t_squared_kl() -> None:
    plain = float(ok("distill", "2,1,0.1", "1.5,1.2,0.3", "-t", "2"))
    kl = float(ok("kl", "2,1,0.1", "1.5,1.2,0.3", "--logits", "-t", "2"))
    assert plain == pytest.approx(4 * kl, rel=1e-14)


def test_alpha_without_labels_says_it_does_not_apply() -> None:
    result = run("distill", "2,1,0.1", "1.5,1.2,0.3", "-t", "2", "--alpha", "0.3")
    assert result.exit_code == 0
    assert float(result.stdout) == pytest.approx(
        float(ok("distill", "2,1,0.1", "1.5,1.2,0.3", "-t", "2")), rel=0
    )
    assert result.stderr == (
        "nncalc: note: --alpha applies only with --label; "
        "without labels the loss is the soft term T^2*KL alone\n"
    )


def test_batches_labels_from_a_file_and_broadcasting(tmp_path: Path) -> None:
    teacher = tmp_path / "teacher.csv"
    teacher.write_text("2,1,0.1\n0,0,5\n")
    student = tmp_path / "student.csv"
    student.write_text("1.5,1.2,0.3\n0,1,4\n")
    labels = tmp_path / "labels.txt"
    labels.write_text("0\n2\n")
    rows = [
        float(mp_distill([2, 1, 0.1], [1.5, 1.2, 0.3], 0, 2.0, 0.7)),
        float(mp_distill([0, 0, 5], [0, 1, 4], 2, 2.0, 0.7)),
    ]
    common = ["-t", "2", "--alpha", "0.7", "--label", f"@{labels}"]
    none = ok("distill", f"@{teacher}", f"@{student}", *common, "-r", "none")
    assert [float(v) for v in none.split()] == pytest.approx(rows, rel=1e-13)
    mean = float(ok("distill", f"@{teacher}", f"@{student}", *common))
    assert mean == pytest.approx(sum(rows) / 2, rel=1e-13)
    # Labels from stdin, one literal teacher row broadcast against the student batch.
    out = ok(
        "distill", "2,1,0.1", f"@{student}", "-t", "2", "-y", "-", "-r", "none", input="0\n2\n"
    )
    expected = [
        float(mp_distill([2, 1, 0.1], [1.5, 1.2, 0.3], 0, 2.0, 0.5)),
        float(mp_distill([2, 1, 0.1], [0, 1, 4], 2, 2.0, 0.5)),
    ]
    assert [float(v) for v in out.split()] == pytest.approx(expected, rel=1e-13)
    # A batch of labels against one literal pair: one loss per label.
    out = ok("distill", "2,1,0.1", "1.5,1.2,0.3", "-y", "-", "-r", "none", input="0\n1\n2\n")
    assert len(out.split()) == 3


def test_formats_and_base() -> None:
    args = ["distill", "2,1,0.1", "1.5,1.2,0.3", "-t", "2", "--alpha", "0.7", "-y", "0"]
    document = json.loads(ok(*args, "-f", "json", "-b", "2"))
    assert document["quantity"] == "distill"
    assert document["unit"] == "bits"
    assert document["value"] == pytest.approx(0.2568548734481938 / math.log(2), rel=1e-15)
    csv = ok("distill", "-", "1,1", "-r", "none", "-f", "csv", input="1,1\n1,1\n")
    assert csv == "row,distill\n1,0.0\n2,0.0\n"


def test_table_shows_both_terms_and_softened_distributions() -> None:
    args = ["distill", "2,1,0.1", "1.5,1.2,0.3", "-t", "2", "--alpha", "0.7", "-y", "0"]
    text = ok(*args, "-f", "table")
    assert "soft: T^2 KL(teacher_T||student_T)" in text and "0.06096" in text
    assert "hard: CE(label, student)" in text and "0.7139" in text
    assert "alpha * soft" in text and "(1 - alpha) * hard" in text
    assert "softened distributions (T = 2)" in text
    assert "0.5017" in text and "0.415" in text  # teacher and student at T = 2, class 0
    assert "0 *" in text  # the label is marked
    unlabeled = ok("distill", "2,1,0.1", "1.5,1.2,0.3", "-f", "table")
    assert "n/a (no --label)" in unlabeled


def test_check_exits_1() -> None:
    result = run("distill", "2,1,0.1", "1.5,1.2,0.3", "-t", "2", "--max", "0.01")
    assert result.exit_code == 1
    value = float(result.stdout)
    assert rel(value, mp_distill([2, 1, 0.1], [1.5, 1.2, 0.3], None, 2.0, 0.5)) <= 1e-14
    assert result.stderr == (f"nncalc: check failed: distill = {value!r} exceeds --max 0.01\n")


@pytest.mark.parametrize(
    ("args", "input", "expected"),
    [
        (
            ("distill", "1,2,3", "1,2"),
            None,
            "nncalc: error: STUDENT: rows have 2 values but TEACHER rows have 3; "
            "they must have the same length",
        ),
        (
            ("distill", "1,2", "1,2", "-t", "0"),
            None,
            "nncalc: error: --temperature: '0': must be a finite number > 0",
        ),
        (
            ("distill", "1,2", "1,2", "-t", "-2"),
            None,
            "nncalc: error: --temperature: '-2': must be a finite number > 0",
        ),
        (
            ("distill", "1,2", "1,2", "--alpha", "1.5", "-y", "0"),
            None,
            "nncalc: error: --alpha: '1.5': must be a number in [0, 1]",
        ),
        (
            ("distill", "1,2", "1,2", "--alpha", "-0.1", "-y", "0"),
            None,
            "nncalc: error: --alpha: '-0.1': must be a number in [0, 1]",
        ),
        (
            ("distill", "1,2", "1,2", "-y", "2"),
            None,
            "nncalc: error: --label: '2': class index out of range for 2 classes (0-based: 0..1)",
        ),
        (
            ("distill", "1,2", "1,2", "-y", "-"),
            "0\n0.5\n",
            "nncalc: error: --label row 2: '0.5': a class index must be a whole number",
        ),
        (
            ("distill", "1,2", "1,2", "-y", "-"),
            "0,1\n",
            "nncalc: error: --label: rows have 2 values; give one class index per row",
        ),
        (
            ("distill", "1,nan", "1,2"),
            None,
            "nncalc: error: TEACHER column 2: 'nan': NaN is not a logit",
        ),
        (
            ("distill", "1,2", "-inf,-inf"),
            None,
            "nncalc: error: STUDENT: every logit is -inf, so no class has any probability",
        ),
    ],
)
def test_bad_inputs_exit_2_with_one_line(
    args: tuple[str, ...], input: str | None, expected: str
) -> None:
    assert one_line_error(run(*args, input=input)) == expected


def test_row_count_mismatch(tmp_path: Path) -> None:
    teacher = tmp_path / "t.csv"
    teacher.write_text("1,2\n1,2\n")
    labels = tmp_path / "y.txt"
    labels.write_text("0\n")
    line = one_line_error(run("distill", f"@{teacher}", "1,2", "-y", f"@{labels}"))
    assert "TEACHER has more rows than --label" in line


def test_distill_through_a_real_pipe() -> None:
    result = run_process("printf '0\\n2\\n' | nncalc distill 2,1,0.1 1.5,1.2,0.3 -y - -r sum")
    assert result.returncode == 0
    expected = float(mp_distill([2, 1, 0.1], [1.5, 1.2, 0.3], 0, 1.0, 0.5)) + float(
        mp_distill([2, 1, 0.1], [1.5, 1.2, 0.3], 2, 1.0, 0.5)
    )
    assert float(result.stdout) == pytest.approx(expected, rel=1e-13)
