"""The sgd step: GD against SGD on least squares, or one online update per row."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from nncalc.cli import environment, startup
from nncalc.cli.pipeline import RecordStep, open_operands, read
from nncalc.cli.steps import reports
from nncalc.errors import NncalcError, plural
from nncalc.io.operands import Operand
from nncalc.output.sinks import ScalarSink
from nncalc.output.spec import Bounds, Format, Output

if TYPE_CHECKING:
    from nncalc.cli.table_input import TableInput
    from nncalc.core import sgd as sgd_core
else:  # loaded when first used: a one-liner draws no table and runs no sgd
    sgd_core = startup.lazy_module("nncalc.core.sgd")

# sgd's defaults: a run of a few milliseconds that shows the difference.
SGD_SAMPLES, SGD_FEATURES, SGD_NOISE, SGD_BATCH, SGD_EPOCHS, SGD_SEEDS = 200, 5, 0.5, 10, 20, 5
SGD_MAX_VALUES = 50_000_000  # samples x features of a synthetic problem (400 MB of float64)
# A run stays within seconds: updates are Python-level steps, work is NumPy's.
SGD_MAX_UPDATES = 1_000_000
SGD_MAX_WORK = 5_000_000_000


def not_with(mode: str, given: Mapping[str, object]) -> None:
    for option, value in given.items():
        if value is not None:
            raise NncalcError(f"does not apply with {mode}", operand=option)


def check_rates(lr: float, noise: float | None) -> None:
    if not (lr > 0 and np.isfinite(lr)):
        raise NncalcError("learning rate must be a positive number", operand="--lr", token=repr(lr))
    if noise is not None and not (noise >= 0 and np.isfinite(noise)):
        raise NncalcError("noise must be a number >= 0", operand="--noise", token=repr(noise))


class Sizes(NamedTuple):
    """The run's sizes as given (None: not given, the default applies)."""

    samples: int | None
    features: int | None
    noise: float | None
    batch_size: int | None
    epochs: int | None
    seeds: int | None
    seed: int | None

    def given(self) -> dict[str, object]:
        """Every size as its option, in the order errors name them."""
        return {f"--{name.replace('_', '-')}": value for name, value in self._asdict().items()}


class SgdRun(RecordStep):
    """Full-batch GD against mini-batch SGD: the comparison record, or online updates."""

    def __init__(
        self,
        data: str | None,
        sizes: Sizes,
        *,
        lr: float,
        schedule: str,
        online: bool,
        table: TableInput | None = None,
    ) -> None:
        check_rates(lr, sizes.noise)
        self.data = data
        self.table = table  # --sep, --header, --columns of --data
        self.sizes = sizes
        self.lr = lr
        self.schedule = schedule
        self.online = online

    def write(self, output: Output) -> None:
        if self.online:
            not_with("--online (each row is used once, as it arrives)", self.sizes.given())
            (operand,) = open_operands([(self.data, "--data")], output.env, table=self.table)
            online(operand, self.lr, self.schedule, output)
            return
        problem, label = self._problem()
        setup = self._setup(problem, label)
        result = self._compare(problem, setup)
        reports.write_sgd(result, setup, output)
        diverged = result.diverged()
        if diverged:
            sys.stderr.write(
                f"nncalc: warning: {' and '.join(diverged)} diverged (final loss above the "
                f"starting loss); lower --lr (GD is stable for --lr < {result.stable_lr:.4g})\n"
            )

    def _problem(self) -> tuple[sgd_core.Problem, str]:
        """The least-squares problem: synthetic, or read from ``--data``."""
        sizes = self.sizes
        if self.data is None:
            noise = SGD_NOISE if sizes.noise is None else sizes.noise
            n = SGD_SAMPLES if sizes.samples is None else sizes.samples
            d = SGD_FEATURES if sizes.features is None else sizes.features
            if n * d > SGD_MAX_VALUES:
                raise NncalcError(
                    f"a {n} x {d} synthetic problem is over {SGD_MAX_VALUES:,} values "
                    "(pass smaller --samples or --features)",
                    operand="--features" if d > n else "--samples",
                )
            seed = 0 if sizes.seed is None else sizes.seed
            return sgd_core.synthetic_problem(n, d, noise=noise, seed=seed), "synthetic"
        given = {"--samples": sizes.samples, "--features": sizes.features, "--noise": sizes.noise}
        not_with("--data (the data decides)", given)
        env = environment.current()
        (operand,) = open_operands([(self.data, "--data")], env, table=self.table)
        label = {"-": "stdin"}.get(self.data, self.data if self.data.startswith("@") else "literal")
        check = functools.partial(self._check_cost, reading=True)
        return read_problem(operand, check), label

    def _setup(self, problem: sgd_core.Problem, label: str) -> sgd_core.Setup:
        sizes = self.sizes
        if sizes.batch_size is not None and sizes.batch_size > problem.samples:
            raise NncalcError(
                f"larger than the {plural(problem.samples, 'sample')}",
                operand="--batch-size",
                token=str(sizes.batch_size),
                hint=f"use at most {problem.samples}",
            )
        batch = sizes.batch_size
        synthetic_noise = SGD_NOISE if sizes.noise is None else sizes.noise
        return sgd_core.Setup(
            data=label,
            noise=synthetic_noise if self.data is None else None,
            seed=0 if sizes.seed is None else sizes.seed,
            batch_size=min(SGD_BATCH, problem.samples) if batch is None else batch,
            lr=self.lr,
            schedule=self.schedule,
            epochs=SGD_EPOCHS if sizes.epochs is None else sizes.epochs,
        )

    def _check_cost(
        self, samples: int, dimension: int, *, reading: bool = False
    ) -> tuple[int, int]:
        """The run's (updates, gradients) for ``samples`` rows, or an error over the limits.

        Both grow with the number of rows, so while ``--data`` is read
        (``reading``) the run can be refused as soon as the rows so far
        exceed a limit: an endless stream stops early, in flat memory.
        """
        sizes = self.sizes
        seeds = SGD_SEEDS if sizes.seeds is None else sizes.seeds
        epochs = SGD_EPOCHS if sizes.epochs is None else sizes.epochs
        batch = min(SGD_BATCH, samples) if sizes.batch_size is None else sizes.batch_size
        updates = epochs * (1 + -(-samples // batch) * seeds)
        gradients = epochs * samples * (1 + seeds)
        work = gradients * dimension
        if updates > SGD_MAX_UPDATES or work > SGD_MAX_WORK:
            rows = (
                f"{plural(samples, 'row')} of --data already make"
                if reading
                else "the run would make"
            )
            raise NncalcError(
                f"{rows} {updates:,} updates over {work:,} multiply-adds; the "
                f"limits are {SGD_MAX_UPDATES:,} and {SGD_MAX_WORK:,}",
                operand="--epochs",
                hint="lower --epochs or --seeds, or raise --batch-size",
            )
        return updates, gradients

    def _compare(self, problem: sgd_core.Problem, setup: sgd_core.Setup) -> sgd_core.Comparison:
        """Run GD and the SGD seeds, within the limits, with a bar if the run is long."""
        seeds = SGD_SEEDS if self.sizes.seeds is None else self.sizes.seeds
        epochs = setup.epochs
        updates, gradients = self._check_cost(problem.samples, problem.dimension)
        long_run = reports.is_long_run(updates, gradients, problem.dimension)
        env = environment.current()
        with reports.epoch_progress(epochs * (1 + seeds), long_run=long_run, env=env) as hook:
            return sgd_core.compare(
                problem,
                batch_size=setup.batch_size,
                lr=self.lr,
                schedule=self.schedule,
                epochs=epochs,
                seeds=seeds,
                seed=setup.seed,
                on_epoch=hook,
            )


def read_problem(
    operand: Operand, check: Callable[[int, int], object] | None = None
) -> sgd_core.Problem:
    """All rows of ``--data`` as a least-squares problem (target last).

    ``check(rows so far, dimension)`` is called after each chunk: it raises
    to stop reading as soon as the rows are too many.
    """
    parts = []
    rows = 0
    for (chunk,) in read([operand]):
        with chunk.locate():
            parts.append(sgd_core.problem_from_rows(chunk.values))
        rows += parts[-1].samples
        if check is not None:
            check(rows, parts[-1].dimension)
    return sgd_core.Problem(
        np.concatenate([part.features for part in parts]),
        np.concatenate([part.targets for part in parts]),
    )


def online(operand: Operand, lr: float, schedule: str, output: Output) -> None:
    """One SGD step per row as rows arrive; the running loss after each."""
    if schedule not in sgd_core.ONLINE_SCHEDULES:
        raise NncalcError(
            f"schedule '{schedule}' needs a known run length",
            operand="--schedule",
            hint="with --online use constant or inverse-sqrt",
        )
    table = output.fmt is Format.table
    stream = Output(Format.plain, output.digits, output.env) if table else output
    sink = ScalarSink(
        "running_loss",
        stream,
        batch=True,
        reduction="none",
        bounds=Bounds(),
        unit="squared error / 2",
    )
    learner: sgd_core.OnlineLearner | None = None
    for (chunk,) in read([operand], one_row_at_a_time=True):
        with chunk.locate():
            row = sgd_core.problem_from_rows(chunk.values)
        if learner is None:
            learner = sgd_core.OnlineLearner(row.dimension, lr=lr, schedule=schedule)
        _, running = learner.update(row.features[0], float(row.targets[0]))
        sink.add(np.array([running]), chunk.first_row or 1)
    if learner is None:  # a header and nothing else
        raise NncalcError("input has no data rows", operand="--data")
    sink.finish()
    if table:
        reports.draw(reports.online_tables(learner, output), output)
