"""The row-sum tolerance lies in [0, 1), and a row of zeros is never a distribution."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from nncalc import cross_entropy, entropy, js_divergence, kl_divergence
from nncalc.cli.errors import for_cli
from nncalc.core.distribution import check_tol, validate_distribution
from nncalc.errors import NncalcError

HALF = [0.5, 0.5]
ZERO = [0.0, 0.0]


@pytest.mark.parametrize("tol", [-1.0, -0.0 - 1e-300, 1.0, 2.0, float("inf"), float("nan")])
def test_a_tolerance_outside_0_1_is_refused(tol: float) -> None:
    with pytest.raises(NncalcError) as caught:
        kl_divergence(HALF, HALF, tol=tol)
    error = caught.value
    assert error.param == "tol" and error.kind is None
    assert str(error) == f"'{tol!r}': tol must be in [0, 1)"
    assert str(for_cli(error)) == f"--tol: '{tol!r}': tol must be in [0, 1)"


@pytest.mark.parametrize("tol", [0.0, 1e-12, 0.5, 0.999999])
def test_a_tolerance_inside_0_1_is_accepted(tol: float) -> None:
    assert check_tol(tol) == tol
    assert kl_divergence(HALF, HALF, tol=tol) == 0.0


def test_tolerance_zero_still_accepts_an_exact_row() -> None:
    assert kl_divergence([0.25, 0.75], HALF, tol=0.0) > 0


CALLS: list[Callable[..., object]] = [
    lambda row, **options: kl_divergence(row, HALF, **options),
    lambda row, **options: kl_divergence(HALF, row, **options),
    lambda row, **options: js_divergence(row, HALF, **options),
    lambda row, **options: entropy(row, **options),
    lambda row, **options: cross_entropy(np.array([0]), row, **options),
    lambda row, **options: cross_entropy(np.array([0]), row, eps=1e-7, **options),
    lambda row, **options: cross_entropy(row, HALF, **options),
]


CALL_IDS = ["kl-p", "kl-q", "js", "entropy", "xent", "xent-eps", "xent-target"]
OPTIONS = [{}, {"tol": 0.999}, {"normalize": True}, {"tol": 0.5, "normalize": True}]


@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
@pytest.mark.parametrize("options", OPTIONS)
def test_a_row_of_zeros_is_always_an_error(
    call: Callable[..., object], options: dict[str, object]
) -> None:
    with pytest.raises(NncalcError, match="row sums to 0") as caught:
        call(ZERO, **options)
    assert caught.value.where.row == 1 and caught.value.param is None


def test_the_first_bad_row_is_named_whatever_its_fault() -> None:
    rows = [HALF, [0.5, 0.6], ZERO]
    with pytest.raises(NncalcError) as caught:
        validate_distribution(rows)
    assert caught.value.where.row == 2 and "row sums to 1.1" in str(caught.value)
    with pytest.raises(NncalcError) as caught:
        validate_distribution([HALF, ZERO, [0.5, 0.6]])
    assert str(caught.value) == "row 2: row sums to 0, so it is not a distribution"
    with pytest.raises(NncalcError) as caught:
        validate_distribution([HALF, ZERO], normalize=True)
    assert str(caught.value) == "row 2: row sums to 0, so it cannot be normalised"


def test_tiny_rows_are_not_zero_rows() -> None:
    _, sums = validate_distribution([[5e-324, 0.0]], normalize=True)
    assert sums[0] > 0
