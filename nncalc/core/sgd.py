"""Full-batch gradient descent against mini-batch SGD on least squares.

The problem is linear least squares with the loss

    L(w) = 1/(2n) * ||X w - y||^2        (half the mean squared error)

whose gradient over a set B of samples is (1/|B|) * X_B^T (X_B w - y_B).
Every run starts from w = 0. GD takes one step per epoch on the whole data
set; SGD shuffles the samples each epoch and takes one step per mini-batch,
the last batch of an epoch being smaller when the batch size does not divide
the number of samples (so both compute exactly ``samples`` per-sample
gradients per epoch; SGD makes ``ceil(samples / batch_size)`` steps).

Randomness: the synthetic data set is drawn once from ``seed``, so every run
solves the same problem; SGD run ``i`` shuffles with the ``i``-th child of
``numpy.random.SeedSequence(seed)``, which does not depend on how many runs
there are. GD uses no randomness: given the data it is run once.

NumPy only; never imports typer or rich.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from nncalc.core.arrays import FloatArray
from nncalc.errors import NncalcError

SCHEDULES = ("constant", "step", "inverse-sqrt", "cosine")
ONLINE_SCHEDULES = ("constant", "inverse-sqrt")


@dataclass(frozen=True)
class Problem:
    """A least-squares data set: rows of ``features`` and their ``targets``."""

    features: FloatArray
    targets: FloatArray

    @property
    def samples(self) -> int:
        return int(self.features.shape[0])

    @property
    def dimension(self) -> int:
        return int(self.features.shape[1])


def synthetic_problem(samples: int, features: int, *, noise: float = 0.5, seed: int = 0) -> Problem:
    """y = X w* + noise * e, with X, w* and e standard normal, drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, features))
    w_true = rng.standard_normal(features)
    y = x @ w_true + noise * rng.standard_normal(samples)
    return Problem(x, y)


def problem_from_rows(rows: FloatArray) -> Problem:
    """Rows of ``x_1, ..., x_d, y`` (the target last) as a problem.

    Raises :class:`NncalcError` for fewer than two columns or a value that
    is not finite (row and column 1-based).
    """
    rows = np.asarray(rows, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] < 2:
        width = rows.shape[1] if rows.ndim == 2 else 0
        raise NncalcError(
            f"rows have {width} value{'s' if width != 1 else ''}; need at least 2 "
            "(the features, then the target in the last column)"
        )
    bad = np.argwhere(~np.isfinite(rows))
    if len(bad):
        row, column = (int(i) for i in bad[0])
        raise NncalcError(
            "data must be finite",
            row=row + 1,
            column=column + 1,
            token=repr(float(rows[row, column])),
        )
    return Problem(np.ascontiguousarray(rows[:, :-1]), np.ascontiguousarray(rows[:, -1]))


def loss(problem: Problem, weights: FloatArray) -> float:
    """L(w) = 1/(2n) ||X w - y||^2; ``inf`` once the run has blown up."""
    with np.errstate(over="ignore", invalid="ignore"):
        residual = problem.features @ weights - problem.targets
        value = 0.5 * float(np.mean(residual * residual))
    return value if math.isfinite(value) else math.inf


def optimal_loss(problem: Problem) -> float:
    """The smallest loss any w reaches (the least-squares solution)."""
    weights, *_ = np.linalg.lstsq(problem.features, problem.targets, rcond=None)
    return loss(problem, np.asarray(weights, dtype=np.float64))


def curvature(problem: Problem) -> float:
    """Largest eigenvalue of X^T X / n: GD is stable (and its loss never rises)
    for learning rates below 2 / curvature."""
    x = problem.features
    return float(np.linalg.eigvalsh(x.T @ x / problem.samples)[-1])


def learning_rate(schedule: str, lr: float, progress: float, epochs: float) -> float:
    """The step size after ``progress`` epochs of a run of ``epochs`` epochs.

    constant: lr. step: lr, times 0.1 from half the epochs on and 0.01 from
    three quarters on (whole epochs, like PyTorch's MultiStepLR).
    inverse-sqrt: lr / sqrt(1 + progress). cosine: lr * (1 + cos(pi *
    progress / epochs)) / 2, annealing towards 0. ``progress`` counts
    fractional epochs for SGD (updates made / updates per epoch).
    """
    if schedule == "constant":
        return lr
    if schedule == "step":
        epoch = math.floor(progress)
        return lr * 0.1 ** ((epoch >= epochs / 2) + (epoch >= 3 * epochs / 4))
    if schedule == "inverse-sqrt":
        return lr / math.sqrt(1.0 + progress)
    if schedule == "cosine":
        return lr * 0.5 * (1.0 + math.cos(math.pi * progress / epochs))
    known = ", ".join(SCHEDULES)
    raise NncalcError(f"unknown schedule {schedule!r} (known: {known})", param="schedule")


@dataclass
class Run:
    """One optimisation run: the loss before training and after each epoch."""

    losses: list[float] = field(default_factory=list)
    updates: int = 0
    gradients: int = 0

    @property
    def final_loss(self) -> float:
        return self.losses[-1]


EpochHook = Callable[[], None]


def gradient_descent(
    problem: Problem,
    *,
    lr: float,
    schedule: str = "constant",
    epochs: int,
    on_epoch: EpochHook | None = None,
) -> Run:
    """Full-batch GD: one step per epoch with the gradient over all samples."""
    x, y = problem.features, problem.targets
    weights = np.zeros(problem.dimension)
    run = Run(losses=[loss(problem, weights)])
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(epochs):
            gradient = x.T @ (x @ weights - y) / problem.samples
            weights = weights - learning_rate(schedule, lr, epoch, epochs) * gradient
            run.updates += 1
            run.gradients += problem.samples
            run.losses.append(loss(problem, weights))
            if on_epoch is not None:
                on_epoch()
    return run


def minibatch_sgd(
    problem: Problem,
    *,
    batch_size: int,
    lr: float,
    schedule: str = "constant",
    epochs: int,
    rng: np.random.Generator,
    on_epoch: EpochHook | None = None,
) -> Run:
    """Mini-batch SGD: each epoch a fresh shuffle, one step per batch.

    The last batch of an epoch holds the remaining samples (it is smaller
    when ``batch_size`` does not divide ``samples``) and its gradient is the
    mean over those, so every sample is used exactly once per epoch.
    """
    x, y = problem.features, problem.targets
    n = problem.samples
    per_epoch = math.ceil(n / batch_size)
    weights = np.zeros(problem.dimension)
    run = Run(losses=[loss(problem, weights)])
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(epochs):
            order = rng.permutation(n)
            for step, start in enumerate(range(0, n, batch_size)):
                batch = order[start : start + batch_size]
                xb = x[batch]
                gradient = xb.T @ (xb @ weights - y[batch]) / len(batch)
                progress = epoch + step / per_epoch
                weights = weights - learning_rate(schedule, lr, progress, epochs) * gradient
                run.updates += 1
                run.gradients += len(batch)
            run.losses.append(loss(problem, weights))
            if on_epoch is not None:
                on_epoch()
    return run


@dataclass
class Comparison:
    """GD (one run: it has no randomness) against SGD over several seeds."""

    problem: Problem
    gd: Run
    sgd: list[Run]
    optimal_loss: float
    curvature: float

    @staticmethod
    def _mean_std(values: list[float]) -> tuple[float, float]:
        """Mean and population std; a run that blew up (inf) makes them inf and NaN."""
        array = np.array(values)
        if not np.all(np.isfinite(array)):
            return math.inf, math.nan
        with np.errstate(over="ignore"):
            return float(np.mean(array)), float(np.std(array))

    @property
    def stable_lr(self) -> float:
        """2 / curvature: below it GD converges and its loss never rises."""
        return 2.0 / self.curvature if self.curvature > 0 else math.inf

    def diverged(self) -> list[str]:
        """The methods whose final loss is above their starting loss (or inf)."""
        names = []
        if not self.gd.final_loss <= self.gd.losses[0]:
            names.append("GD")
        if any(not run.final_loss <= run.losses[0] for run in self.sgd):
            names.append("SGD")
        return names

    @property
    def gd_final(self) -> tuple[float, float]:
        """GD's final loss; its spread over seeds is 0 (it uses no seed)."""
        return self.gd.final_loss, 0.0

    @property
    def sgd_final(self) -> tuple[float, float]:
        """Mean and (population) standard deviation of SGD's final loss over seeds."""
        return self._mean_std([run.final_loss for run in self.sgd])

    def sgd_curve(self) -> list[float]:
        """SGD's loss after each epoch, averaged over seeds."""
        return [
            self._mean_std(list(column))[0]
            for column in zip(*(r.losses for r in self.sgd), strict=True)
        ]


def compare(
    problem: Problem,
    *,
    batch_size: int,
    lr: float,
    schedule: str = "constant",
    epochs: int,
    seeds: int,
    seed: int = 0,
    on_epoch: EpochHook | None = None,
) -> Comparison:
    """Run GD once and SGD once per seed on ``problem``."""
    if not 1 <= batch_size <= problem.samples:
        raise NncalcError(
            f"batch_size must be between 1 and the number of samples ({problem.samples})",
            param="batch_size",
            token=repr(batch_size),
        )
    gd = gradient_descent(problem, lr=lr, schedule=schedule, epochs=epochs, on_epoch=on_epoch)
    runs = [
        minibatch_sgd(
            problem,
            batch_size=batch_size,
            lr=lr,
            schedule=schedule,
            epochs=epochs,
            rng=np.random.default_rng(child),
            on_epoch=on_epoch,
        )
        for child in np.random.SeedSequence(seed).spawn(seeds)
    ]
    return Comparison(problem, gd, runs, optimal_loss(problem), curvature(problem))


@dataclass(frozen=True)
class Setup:
    """The settings of a comparison, as reported next to its results."""

    data: str
    noise: float | None
    seed: int
    batch_size: int
    lr: float
    schedule: str
    epochs: int


class Thinned:
    """At most ``capacity`` evenly spaced points of an unbounded series.

    Keeps every ``stride``-th value; when full, drops every other kept value
    and doubles the stride, so memory stays flat however long the stream.
    """

    def __init__(self, capacity: int = 512) -> None:
        self.capacity = capacity
        self.values: list[float] = []
        self.stride = 1
        self.count = 0

    def add(self, value: float) -> None:
        if self.count % self.stride == 0:
            self.values.append(value)
            if len(self.values) >= self.capacity:
                self.values = self.values[::2]
                self.stride *= 2
        self.count += 1


class OnlineLearner:
    """Online least squares: one SGD step per arriving row (batch size 1).

    ``update`` returns the row's loss before the step, (x.w - y)^2 / 2, and
    the running mean of those losses (progressive validation: each row is
    scored before the model learns from it).
    """

    def __init__(self, dimension: int, *, lr: float, schedule: str = "constant") -> None:
        if schedule not in ONLINE_SCHEDULES:
            raise NncalcError(
                f"schedule {schedule!r} needs a known run length",
                param="schedule",
                hint=f"online, use {' or '.join(ONLINE_SCHEDULES)}",
            )
        self.weights = np.zeros(dimension)
        self.lr = lr
        self.schedule = schedule
        self.rows = 0
        self.total = 0.0
        self.last_loss = math.nan
        self.history = Thinned()

    @property
    def running_loss(self) -> float:
        return self.total / self.rows if self.rows else math.nan

    @property
    def curve(self) -> list[float]:
        """The running loss, thinned to a bounded number of points."""
        return self.history.values

    def update(self, x: FloatArray, y: float) -> tuple[float, float]:
        with np.errstate(over="ignore", invalid="ignore"):
            residual = float(x @ self.weights) - y
            row_loss = 0.5 * residual * residual
            step = learning_rate(self.schedule, self.lr, self.rows, math.inf)
            self.weights = self.weights - step * residual * x
        if not math.isfinite(row_loss):
            row_loss = math.inf
        self.rows += 1
        self.total += row_loss
        self.last_loss = row_loss
        self.history.add(self.running_loss)
        return row_loss, self.running_loss
