"""An option that would change the result but does not apply is an error, never ignored."""

from __future__ import annotations

import pytest

from tests.conftest import ok, one_line_error, run

TEMPERATURE_HINT = "(pass --logits if they are logits, or drop --temperature)"


@pytest.mark.parametrize(
    ("args", "rows"),
    [
        (["kl", "0.2,0.8", "0.5,0.5"], "the rows"),
        (["js", "0.2,0.8", "0.5,0.5"], "the rows"),
        (["entropy", "0.2,0.8"], "the rows"),
        (["xent", "1", "0.2,0.8"], "PRED rows"),
    ],
)
@pytest.mark.parametrize("temperature", ["-t", "--temperature"])
def test_temperature_without_logits_is_an_error(
    args: list[str], rows: str, temperature: str
) -> None:
    line = one_line_error(run(*args, temperature, "2"))
    assert line == (
        f"nncalc: error: --temperature: divides logits only, and without --logits {rows} "
        f"are probabilities {TEMPERATURE_HINT}"
    )


@pytest.mark.parametrize(
    "args",
    [["kl", "0.2,0.8", "0.5,0.5"], ["js", "0.2,0.8", "0.5,0.5"], ["entropy", "0.2,0.8"]],
)
def test_temperature_applies_with_logits_and_one_is_the_default(args: list[str]) -> None:
    untempered = ok(*args)
    assert ok(*args, "-t", "1") == untempered  # the default, given: same answer
    assert ok(*args, "--logits", "-t", "2") != ok(*args, "--logits")


def test_temperature_changes_xent_with_logits() -> None:
    assert ok("xent", "1", "0.2,0.8", "--logits", "-t", "2") != ok(
        "xent", "1", "0.2,0.8", "--logits"
    )


@pytest.mark.parametrize("args", [["kl", "1,2", "1,3"], ["js", "1,2", "1,3"], ["entropy", "1,2"]])
def test_normalize_with_logits_is_an_error(args: list[str]) -> None:
    line = one_line_error(run(*args, "--logits", "--normalize"))
    assert line == (
        "nncalc: error: --normalize: rescales probabilities, and with --logits the rows are "
        "logits (drop --normalize, or --logits if they are probabilities)"
    )


def test_xent_normalize_still_applies_to_targets_with_logits() -> None:
    assert ok("xent", "1,3", "1,2", "--logits", "--normalize") == ok(
        "xent", "0.25,0.75", "1,2", "--logits"
    )


def test_compare_normalize_without_probs_is_an_error() -> None:
    line = one_line_error(run("compare", "1,2", "1,3", "--normalize"))
    assert line == (
        "nncalc: error: --normalize: rescales probabilities, and without --probs BASE and NEW "
        "are logits (pass --probs if they are probabilities, or drop --normalize)"
    )


def test_softmax_and_distill_always_apply_temperature() -> None:
    assert ok("softmax", "1,2", "-t", "2") != ok("softmax", "1,2")
    assert ok("distill", "1,2", "1,3", "-t", "2") != ok("distill", "1,2", "1,3")
