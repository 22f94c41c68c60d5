"""GD against mini-batch SGD on least squares: 50-digit references, counts, seeds, schedules."""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncalc.core.sgd import (
    SCHEDULES,
    OnlineLearner,
    Problem,
    Thinned,
    compare,
    curvature,
    gradient_descent,
    learning_rate,
    minibatch_sgd,
    optimal_loss,
    problem_from_rows,
    synthetic_problem,
)

mpmath.mp.dps = 50


def mp_loss(x: list[list[float]], y: list[float], w: list[mpmath.mpf]) -> mpmath.mpf:
    n = len(y)
    residuals = [
        mpmath.fsum(a * b for a, b in zip(row, w, strict=True)) - t
        for row, t in zip(x, y, strict=True)
    ]
    return mpmath.fsum(r * r for r in residuals) / (2 * n)


def mp_gradient(x: list[list[float]], y: list[float], w: list[mpmath.mpf]) -> list[mpmath.mpf]:
    n = len(y)
    residuals = [
        mpmath.fsum(a * b for a, b in zip(row, w, strict=True)) - t
        for row, t in zip(x, y, strict=True)
    ]
    return [
        mpmath.fsum(row[j] * r for row, r in zip(x, residuals, strict=True)) / n
        for j in range(len(w))
    ]


def test_gd_matches_a_50_digit_reference() -> None:
    problem = synthetic_problem(6, 3, noise=0.3, seed=7)
    x, y = problem.features.tolist(), problem.targets.tolist()
    run_ = gradient_descent(problem, lr=0.3, schedule="cosine", epochs=5)
    w = [mpmath.mpf(0)] * 3
    expected = [mp_loss(x, y, w)]
    for epoch in range(5):
        step = mpmath.mpf(0.3) * (1 + mpmath.cos(mpmath.pi * epoch / 5)) / 2
        w = [wj - step * gj for wj, gj in zip(w, mp_gradient(x, y, w), strict=True)]
        expected.append(mp_loss(x, y, w))
    for got, want in zip(run_.losses, expected, strict=True):
        assert got == pytest.approx(float(want), rel=1e-12)


def test_minibatch_steps_match_a_50_digit_reference() -> None:
    problem = synthetic_problem(5, 2, seed=3)
    x, y = problem.features.tolist(), problem.targets.tolist()
    result = minibatch_sgd(problem, batch_size=2, lr=0.2, epochs=2, rng=np.random.default_rng(11))
    # The same shuffles, replayed with 50 digits: batches [2, 2, 1].
    rng = np.random.default_rng(11)
    w = [mpmath.mpf(0)] * 2
    expected = [mp_loss(x, y, w)]
    for _ in range(2):
        order = rng.permutation(5).tolist()
        for start in range(0, 5, 2):
            batch = order[start : start + 2]
            g = mp_gradient([x[i] for i in batch], [y[i] for i in batch], w)
            w = [wj - mpmath.mpf(0.2) * gj for wj, gj in zip(w, g, strict=True)]
        expected.append(mp_loss(x, y, w))
    assert result.updates == 6
    for got, want in zip(result.losses, expected, strict=True):
        assert got == pytest.approx(float(want), rel=1e-12)


def test_optimal_loss_matches_the_normal_equations() -> None:
    problem = synthetic_problem(8, 3, seed=5)
    x = mpmath.matrix(problem.features.tolist())
    y = mpmath.matrix(problem.targets.tolist())
    w = mpmath.lu_solve(x.T * x, x.T * y)
    want = mp_loss(problem.features.tolist(), problem.targets.tolist(), list(w))
    assert optimal_loss(problem) == pytest.approx(float(want), rel=1e-10)


def test_online_learner_matches_a_50_digit_reference() -> None:
    rows = [[0.5, 1.0, 2.1], [1.5, -0.5, 1.4], [-1.0, 2.0, -0.1], [2.0, 0.5, 3.2]]
    learner = OnlineLearner(2, lr=0.1, schedule="inverse-sqrt")
    w = [mpmath.mpf(0)] * 2
    total = mpmath.mpf(0)
    for t, (*x, y) in enumerate(rows):
        residual = mpmath.fsum(a * b for a, b in zip(x, w, strict=True)) - y
        total += residual**2 / 2
        step = mpmath.mpf(0.1) / mpmath.sqrt(1 + t)
        w = [wj - step * residual * xj for wj, xj in zip(w, x, strict=True)]
        row_loss, running = learner.update(np.array(x), y)
        assert row_loss == pytest.approx(float(residual**2 / 2), rel=1e-12)
        assert running == pytest.approx(float(total / (t + 1)), rel=1e-12)
    assert learner.weights.tolist() == pytest.approx([float(v) for v in w], rel=1e-12)


@pytest.mark.parametrize(
    ("samples", "batch", "per_epoch"), [(10, 3, 4), (10, 10, 1), (10, 1, 10), (7, 2, 4), (9, 9, 1)]
)
def test_per_sample_gradient_counts_are_exact(samples: int, batch: int, per_epoch: int) -> None:
    problem = synthetic_problem(samples, 2, seed=1)
    result = compare(problem, batch_size=batch, lr=0.05, epochs=3, seeds=2)
    assert result.gd.updates == 3
    assert result.gd.gradients == 3 * samples
    for run_ in result.sgd:
        assert run_.updates == 3 * per_epoch
        assert run_.gradients == 3 * samples  # the last partial batch is kept, not dropped
        assert len(run_.losses) == 4


def test_sgd_makes_more_updates_per_epoch_than_gd() -> None:
    result = compare(synthetic_problem(50, 3), batch_size=5, lr=0.05, epochs=2, seeds=1)
    assert result.sgd[0].updates == 20 > result.gd.updates == 2


def test_one_batch_of_everything_is_gd() -> None:
    problem = synthetic_problem(12, 3, seed=2)
    gd = gradient_descent(problem, lr=0.1, epochs=4)
    sgd = minibatch_sgd(problem, batch_size=12, lr=0.1, epochs=4, rng=np.random.default_rng(0))
    assert sgd.updates == gd.updates
    assert sgd.losses == pytest.approx(gd.losses, rel=1e-12)


def test_runs_are_reproducible_and_seeds_vary_sgd_only() -> None:
    problem = synthetic_problem(40, 3, seed=0)
    first = compare(problem, batch_size=4, lr=0.1, epochs=5, seeds=4, seed=1)
    again = compare(problem, batch_size=4, lr=0.1, epochs=5, seeds=4, seed=1)
    other = compare(problem, batch_size=4, lr=0.1, epochs=5, seeds=4, seed=2)
    assert [r.losses for r in first.sgd] == [r.losses for r in again.sgd]
    assert first.gd.losses == other.gd.losses  # GD has no seed
    finals = [r.final_loss for r in first.sgd]
    assert len(set(finals)) == 4  # each seed shuffles differently
    assert first.sgd_final[1] > 0 and first.gd_final[1] == 0
    assert finals != [r.final_loss for r in other.sgd]


def test_adding_seeds_keeps_the_earlier_runs() -> None:
    problem = synthetic_problem(20, 2)
    two = compare(problem, batch_size=3, lr=0.1, epochs=3, seeds=2)
    five = compare(problem, batch_size=3, lr=0.1, epochs=3, seeds=5)
    assert [r.losses for r in two.sgd] == [r.losses for r in five.sgd[:2]]


def test_synthetic_data_is_seeded() -> None:
    a, b, c = (
        synthetic_problem(5, 2, seed=4),
        synthetic_problem(5, 2, seed=4),
        synthetic_problem(5, 2, seed=5),
    )
    assert np.array_equal(a.features, b.features) and np.array_equal(a.targets, b.targets)
    assert not np.array_equal(a.features, c.features)


@settings(max_examples=80, deadline=None)
@given(
    samples=st.integers(1, 12),
    features=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    fraction=st.floats(0.01, 0.99),
    schedule=st.sampled_from(SCHEDULES),
    epochs=st.integers(1, 15),
)
def test_gd_loss_never_rises_below_the_stable_learning_rate(
    samples: int, features: int, seed: int, fraction: float, schedule: str, epochs: int
) -> None:
    problem = synthetic_problem(samples, features, noise=1.0, seed=seed)
    lr = fraction * 2.0 / max(curvature(problem), 1e-300)
    losses = gradient_descent(problem, lr=lr, schedule=schedule, epochs=epochs).losses
    for before, after in itertools.pairwise(losses):
        assert after <= before * (1 + 1e-12) + 1e-300
    assert losses[-1] >= optimal_loss(problem) * (1 - 1e-9) - 1e-12


@settings(max_examples=50, deadline=None)
@given(
    samples=st.integers(1, 15),
    batch=st.integers(1, 15),
    epochs=st.integers(1, 4),
    seeds=st.integers(1, 3),
)
def test_counts_for_any_batch_size(samples: int, batch: int, epochs: int, seeds: int) -> None:
    batch = min(batch, samples)
    result = compare(
        synthetic_problem(samples, 2), batch_size=batch, lr=0.01, epochs=epochs, seeds=seeds
    )
    assert len(result.sgd) == seeds
    for run_ in result.sgd:
        assert run_.updates == epochs * math.ceil(samples / batch)
        assert run_.gradients == result.gd.gradients == epochs * samples


def test_learning_rate_schedules() -> None:
    assert learning_rate("constant", 0.5, 17.3, 20) == 0.5
    steps = [learning_rate("step", 1.0, e, 20) for e in range(20)]
    assert steps == [1.0] * 10 + [pytest.approx(0.1)] * 5 + [pytest.approx(0.01)] * 5
    assert learning_rate("step", 1.0, 0.9, 1) == 1.0  # one epoch: no milestone inside
    assert learning_rate("inverse-sqrt", 0.6, 3.0, 10) == pytest.approx(0.3)
    assert learning_rate("cosine", 0.8, 0.0, 10) == pytest.approx(0.8)
    assert learning_rate("cosine", 0.8, 5.0, 10) == pytest.approx(0.4)
    with pytest.raises(ValueError):
        learning_rate("linear", 0.1, 0.0, 1)


def test_problem_from_rows_checks_the_data() -> None:
    problem = problem_from_rows(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    assert problem.features.tolist() == [[1.0, 2.0], [4.0, 5.0]]
    assert problem.targets.tolist() == [3.0, 6.0]
    with pytest.raises(Exception, match="need at least 2"):
        problem_from_rows(np.array([[1.0], [2.0]]))
    with pytest.raises(Exception, match="must be finite") as caught:
        problem_from_rows(np.array([[1.0, 2.0], [np.inf, 1.0]]))
    assert (caught.value.where.row, caught.value.where.column) == (2, 1)  # type: ignore[attr-defined]


def test_divergence_is_reported_not_hidden() -> None:
    problem = synthetic_problem(20, 3)
    result = compare(problem, batch_size=5, lr=3 * 2 / curvature(problem), epochs=30, seeds=2)
    assert result.diverged() == ["GD", "SGD"]
    calm = compare(problem, batch_size=5, lr=0.05, epochs=3, seeds=2)
    assert calm.diverged() == []


def test_thinned_series_stays_bounded_and_even() -> None:
    series = Thinned(capacity=8)
    for i in range(1000):
        series.add(float(i))
    assert len(series.values) < 8
    steps = {b - a for a, b in zip(series.values, series.values[1:], strict=False)}
    assert steps == {float(series.stride)}
    assert series.values[0] == 0.0


def test_problem_dataclass() -> None:
    problem = Problem(np.zeros((3, 2)), np.zeros(3))
    assert (problem.samples, problem.dimension) == (3, 2)
