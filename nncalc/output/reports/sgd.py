"""The sgd report: records, tables, sparklines and the progress bar."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from nncalc.core.sgd import Comparison, OnlineLearner, Setup
from nncalc.output.environment import Environment
from nncalc.output.reports.common import draw
from nncalc.output.sinks import write_record
from nncalc.output.spec import Bar, Format, Output, Table
from nncalc.output.text import format_number, json_value, write

SPARK_CHARS = "▁▂▃▄▅▆▇█"


SPARK_WIDTH = 40


# A run counts as long (worth a progress bar on a terminal) from about half a
# second on this kind of machine: ~5 us per update, ~1 ns per multiply-add.
LONG_RUN_UPDATES = 100_000


LONG_RUN_PRODUCTS = 500_000_000


def sparkline(values: Sequence[float], low: float, high: float, width: int = SPARK_WIDTH) -> str:
    """A curve as ▁▂▃▄▅▆▇█ on a log scale between ``low`` and ``high`` (> 0).

    Long curves are sampled at ``width`` evenly spaced points (first and last
    kept); ``inf`` draws as the top block, NaN as a space.
    """
    points = list(values)
    if len(points) > width:
        picks = np.linspace(0, len(points) - 1, width).round().astype(int)
        points = [points[i] for i in picks.tolist()]
    top = len(SPARK_CHARS) - 1
    span = math.log(high) - math.log(low) if 0 < low < high < math.inf else 0.0
    chars = []
    for value in points:
        if math.isnan(value):
            chars.append(" ")
        elif value == math.inf or value >= high:
            chars.append(SPARK_CHARS[top if span else 0])
        elif span == 0 or value <= low:
            chars.append(SPARK_CHARS[0])
        else:
            level = (math.log(value) - math.log(low)) / span
            chars.append(SPARK_CHARS[min(top, max(0, round(level * top)))])
    return "".join(chars)


def _log_range(curves: Sequence[Sequence[float]]) -> tuple[float, float]:
    finite = [v for curve in curves for v in curve if 0 < v < math.inf]
    if not finite:
        return 0.0, 0.0
    return min(finite), max(finite)


def is_long_run(updates: int, gradients: int, features: int) -> bool:
    """Whether a run is long enough to deserve a progress bar (about 0.5 s)."""
    return updates >= LONG_RUN_UPDATES or gradients * features * 3 >= LONG_RUN_PRODUCTS


@contextmanager
def epoch_progress(
    total: int, *, long_run: bool, env: Environment
) -> Iterator[Callable[[], None] | None]:
    """A Rich progress bar on stderr for a long run on a terminal, else nothing.

    Yields the hook to call after each epoch (None when there is no bar).
    Rich is imported only here, and only when the bar is drawn; the bar is
    transient (erased when the run ends), so the terminal keeps only results.
    """
    if not (long_run and env.stderr_isatty):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    console = Console(file=sys.stderr, force_terminal=True)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("training", total=total)
        yield lambda: progress.advance(task)


def sgd_record(result: Comparison, setup: Setup) -> dict[str, int | float | str | bool | None]:
    """The flat record of an ``sgd`` run (plain, csv and json keys, in order)."""
    problem = result.problem
    gd_mean, gd_std = result.gd_final
    sgd_mean, sgd_std = result.sgd_final
    sgd_curve = result.sgd_curve()
    record: dict[str, int | float | str | bool | None] = {
        "data": setup.data,
        "samples": problem.samples,
        "features": problem.dimension,
        "noise": setup.noise,
        "seed": setup.seed,
        "seeds": len(result.sgd),
        "batch_size": setup.batch_size,
        "lr": setup.lr,
        "schedule": setup.schedule,
        "epochs": setup.epochs,
        "optimal_loss": result.optimal_loss,
        "gd_stable_lr": result.stable_lr,
        "equal_compute_gradients": problem.samples,
        "gd_updates": result.gd.updates,
        "gd_gradients": result.gd.gradients,
        "gd_final_loss_mean": gd_mean,
        "gd_final_loss_std": gd_std,
        "gd_loss_at_equal_compute": result.gd.losses[1],
        "sgd_updates": result.sgd[0].updates,
        "sgd_gradients": result.sgd[0].gradients,
        "sgd_final_loss_mean": sgd_mean,
        "sgd_final_loss_std": sgd_std,
        "sgd_loss_at_equal_compute": sgd_curve[1],
    }
    return record


def write_sgd(result: Comparison, setup: Setup, output: Output) -> None:
    """The ``sgd`` result in the chosen format (json adds the loss curves)."""
    record = sgd_record(result, setup)
    if output.fmt is Format.table:
        draw(sgd_tables(result, setup, output), output)
    elif output.fmt is Format.json:
        digits = output.digits

        def array(values: Sequence[float]) -> str:
            return "[" + ", ".join(json_value(v, digits) for v in values) + "]"

        fields = [f"{json.dumps(k)}: {json_value(v, digits)}" for k, v in record.items()]
        fields += [
            f'"sgd_final_losses": {array([run.final_loss for run in result.sgd])}',
            f'"gd_loss_curve": {array(result.gd.losses)}',
            f'"sgd_loss_curve": {array(result.sgd_curve())}',
        ]
        write("{" + ", ".join(fields) + "}\n", flush=True)
    else:
        write_record("GD vs SGD", record, output)


def sgd_tables(result: Comparison, setup: Setup, output: Output) -> list[Table]:
    """Per method: batch, updates, gradients, final loss and its spread over
    seeds, loss at equal compute; then the loss per epoch as sparklines on
    one log scale, so that the two curves compare at a glance."""
    n = output.table_digits
    problem = result.problem
    sgd_run = result.sgd[0]
    gd_curve, sgd_curve = result.gd.losses, result.sgd_curve()
    methods = [
        ("GD", problem.samples, result.gd, result.gd_final, gd_curve),
        ("SGD", setup.batch_size, sgd_run, result.sgd_final, sgd_curve),
    ]
    numbers: list[list[str | Bar]] = [
        [
            name,
            f"{batch:,}",
            f"{run.updates:,}",
            f"{run.gradients:,}",
            format_number(mean, n),
            format_number(std, n),
            format_number(curve[1], n),
        ]
        for name, batch, run, (mean, std), curve in methods
    ]
    seeds = len(result.sgd)
    caption = (
        f"per run of {setup.epochs:,} epochs; lr {format_number(setup.lr, n)} {setup.schedule}; "
        f"SGD: mean and std over "
        f"{seeds} seed{'s' if seeds != 1 else ''} (GD has no seed); optimal loss "
        f"{format_number(result.optimal_loss, n)}; GD is stable for lr < "
        f"{format_number(result.stable_lr, n)}; '@ 1 epoch': the loss at equal compute, "
        f"after {problem.samples:,} per-sample gradients"
    )
    low, high = _log_range([gd_curve, sgd_curve])
    curves: list[list[str | Bar]] = [
        [name, sparkline(curve, low, high), format_number(curve[-1], n)]
        for name, _, _, _, curve in methods
    ]
    title = f"GD vs SGD: least squares, {problem.samples:,} × {problem.dimension:,}"
    columns = ["method", "batch", "updates", "gradients", "final loss", "std", "@ 1 epoch"]
    return [
        Table(title, columns, numbers, caption),
        Table(
            "loss per epoch (log scale)",
            ["method", "curve", "final"],
            curves,
        ),
    ]


def online_tables(learner: OnlineLearner, output: Output) -> list[Table]:
    """After an ``--online`` run: rows, losses, weights and the running-loss curve."""
    n = output.table_digits
    curve = learner.curve
    low, high = _log_range([curve])
    rows: list[list[str | Bar]] = [
        ["rows (updates)", f"{learner.rows:,}"],
        ["learning rate", f"{format_number(learner.lr, n)} {learner.schedule}"],
        ["running loss", format_number(learner.running_loss, n)],
        ["last row's loss", format_number(learner.last_loss, n)],
        ["weights", ",".join(format_number(w, n) for w in learner.weights.tolist())],
        ["running loss (log)", sparkline(curve, low, high)],
    ]
    return [Table("online least squares", ["quantity", "value"], rows)]
