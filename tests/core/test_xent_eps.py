"""``eps`` in cross-entropy follows scikit-learn's ``log_loss``: clip, no renormalising.

scikit-learn (1.5 and later, checked on 1.9.1) clips predictions to
[eps, 1 - eps] with eps the float64 machine epsilon and takes the log of
the clipped values as they are. nncalc's ``eps`` must give the same numbers,
bit for bit, on scikit-learn's own test cases and on random ones.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import log_loss

from nncalc import cross_entropy
from nncalc.core.xent import log_predictions
from nncalc.errors import NncalcError

EPS = float(np.finfo(np.float64).eps)


def sklearn_rows(y: list[int], proba: np.ndarray, classes: int) -> list[float]:
    """log_loss of each row alone: the per-row losses scikit-learn averages."""
    labels = list(range(classes))
    return [log_loss(y[i : i + 1], proba[i : i + 1], labels=labels) for i in range(len(y))]


def ours(y: list[int], proba: np.ndarray) -> np.ndarray:
    return np.atleast_1d(cross_entropy(np.array(y), proba, eps=EPS))


# scikit-learn's test_log_loss (sklearn/metrics/tests/test_classification.py):
# (labels as class indices, predictions, expected mean loss or None).
SKLEARN_CASES = [
    # binary, symbolic labels "no" < "yes"
    (
        [0, 0, 0, 1, 1, 1],
        [[0.5, 0.5], [0.1, 0.9], [0.01, 0.99], [0.9, 0.1], [0.75, 0.25], [0.001, 0.999]],
        None,
    ),
    # multiclass, expected 0.6904911
    ([1, 0, 2], [[0.2, 0.7, 0.1], [0.6, 0.2, 0.2], [0.6, 0.1, 0.3]], 0.6904911),
    # doubled: the same mean
    ([1, 0, 2] * 2, [[0.2, 0.7, 0.1], [0.6, 0.2, 0.2], [0.6, 0.1, 0.3]] * 2, 0.6904911),
    # string labels "ham" < "spam", expected 0.7469410
    ([0, 1, 1, 0], [[0.3, 0.7], [0.6, 0.4], [0.4, 0.6], [0.7, 0.3]], 0.7469410),
    # labels=[1, 2] on y_true [2, 2]: the loss is -log 0.9
    ([1, 1], [[0.1, 0.9], [0.1, 0.9]], -np.log(0.9)),
    # labels=[1, 2, 3], y_true [1, 2, 2]: -log 0.7
    ([0, 1, 1], [[0.7, 0.1, 0.2], [0.2, 0.7, 0.1], [0.1, 0.7, 0.2]], -np.log(0.7)),
    # test_log_loss_eps: certain and wrong, finite only through the clipping
    ([0, 1], [[0.0, 1.0], [1.0, 0.0]], None),
    # test_log_loss_perfect_predictions: about 0, not exactly (clipped to 1 - eps)
    ([0, 1, 0], [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], 0.0),
    ([0, 1, 2], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], 0.0),
]


@pytest.mark.parametrize(("y", "proba", "expected"), SKLEARN_CASES)
def test_eps_matches_log_loss_on_its_own_cases(
    y: list[int], proba: list[list[float]], expected: float | None
) -> None:
    array = np.array(proba)
    classes = array.shape[1]
    losses = ours(y, array)
    assert losses.tolist() == sklearn_rows(y, array, classes)
    assert float(np.mean(losses)) == log_loss(y, array, labels=list(range(classes)))
    assert float(np.sum(losses)) == log_loss(y, array, labels=list(range(classes)), normalize=False)
    assert np.isfinite(losses).all()
    if expected is not None:
        # scikit-learn's own tolerance for these expected values.
        assert float(np.mean(losses)) == pytest.approx(expected, rel=1e-7, abs=1e-12)


def test_perfect_predictions_are_not_exactly_zero() -> None:
    # Clipped to 1 - eps and not renormalised: -log(1 - eps), as scikit-learn gives.
    loss = cross_entropy(np.array([0]), [1.0, 0.0], eps=EPS)
    assert loss == -np.log(1 - EPS) and loss > 0
    assert loss == log_loss([0, 1], [[1.0, 0.0], [0.0, 1.0]])


def test_eps_matches_log_loss_on_random_cases() -> None:
    rng = np.random.default_rng(20240611)
    for _ in range(200):
        rows, classes = int(rng.integers(1, 40)), int(rng.integers(2, 9))
        proba = rng.dirichlet(np.full(classes, 0.05), size=rows)
        proba[rng.random(proba.shape) < 0.2] = 0.0
        proba[proba.sum(axis=1) == 0, 0] = 1.0
        proba = proba / proba.sum(axis=1, keepdims=True)
        y = rng.integers(0, classes, size=rows).tolist()
        losses = ours(y, proba)
        assert losses.tolist() == sklearn_rows(y, proba, classes)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert float(np.mean(losses)) == log_loss(y, proba, labels=list(range(classes)))


def test_eps_clips_without_renormalising() -> None:
    eps = 0.1
    log_q = log_predictions([[0.0, 0.05, 0.95]], eps=eps)
    assert log_q.tolist() == [np.log([0.1, 0.1, 0.9]).tolist()]
    # The clipped row sums to 1.1: it was not divided by its sum.
    assert float(np.exp(log_q).sum()) == pytest.approx(1.1)
    assert cross_entropy(np.array([2]), [0.0, 0.05, 0.95], eps=eps) == -np.log(0.9)


def test_soft_one_hot_targets_agree_with_index_targets() -> None:
    proba = np.array([[0.2, 0.7, 0.1], [0.0, 0.0, 1.0]])
    one_hot = np.eye(3)[[1, 0]]
    soft = cross_entropy(one_hot, proba, eps=EPS)
    index = cross_entropy(np.array([1, 0]), proba, eps=EPS)
    assert soft.tolist() == index.tolist()


def test_eps_zero_clips_nothing() -> None:
    assert cross_entropy(np.array([1]), [0.25, 0.75], eps=0.0) == -np.log(0.75)
    assert cross_entropy(np.array([0]), [0.0, 1.0], eps=0.0) == np.inf


@pytest.mark.parametrize("eps", [-0.1, 0.5, 0.7, float("nan"), float("inf")])
def test_eps_out_of_its_domain(eps: float) -> None:
    with pytest.raises(NncalcError, match=r"eps must be in \[0, 0\.5\)") as caught:
        cross_entropy(np.array([0]), [0.5, 0.5], eps=eps)
    assert caught.value.param == "eps"
    assert caught.value.where.token == repr(eps)
