"""The tables people see next to an answer: related quantities, per class.

Builders take the math results and return :class:`~nncalc.render.Table`
specs; :mod:`nncalc.tables` (and so Rich) is imported only to draw them.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from nncalc.probability import FloatArray, entropy_rows, js_rows, kl_rows
from nncalc.render import (
    TABLE_ROWS,
    Bar,
    Base,
    Format,
    Output,
    Table,
    format_number,
    json_value,
    write,
    write_record,
)
from nncalc.sgd import Comparison, OnlineLearner, Setup

__all__ = [
    "TABLE_ROWS",
    "distill_tables",
    "entropy_tables",
    "js_tables",
    "kl_approx_tables",
    "kl_normal_tables",
    "kl_tables",
    "softmax_tables",
    "xent_option_table",
    "xent_tables",
]


def _names(names: Sequence[str] | None, width: int) -> list[str]:
    if names is not None and len(names) == width:
        return list(names)
    return [str(i) for i in range(width)]


def draw(tables: list[Table]) -> None:
    from nncalc import tables as rich_tables

    rich_tables.render(tables)


def softmax_tables(
    rows: list[tuple[FloatArray, FloatArray]],
    count: int,
    names: Sequence[str] | None,
    *,
    log: bool,
    top: int | None,
    output: Output,
) -> None:
    """One row: index/label, logit, probability, log-probability and a bar.

    A batch: per row, the most probable class and its probability.
    """
    n = output.table_digits
    if count == 1:
        logits, values = rows[0]
        probs = np.exp(values) if log else values
        logp = values if log else np.log(np.where(probs > 0, probs, 1.0))
        logp = np.where(probs > 0, logp, -np.inf)
        order = np.argsort(-probs, kind="stable")[:top] if top else np.arange(len(probs))
        labels = _names(names, len(probs))
        body: list[list[str | Bar]] = [
            [
                str(i),
                labels[i],
                format_number(logits[i], n),
                format_number(probs[i], n),
                format_number(logp[i], n),
                Bar(float(probs[i])),
            ]
            for i in order.tolist()
        ]
        title = "softmax" + (f" (top {top})" if top else "")
        draw([Table(title, ["index", "label", "logit", "probability", "log-prob", ""], body)])
        return
    labels_all = names
    body = []
    for number, (_, values) in enumerate(rows, start=1):
        probs = np.exp(values) if log else values
        best = int(np.argmax(probs))
        label = _names(labels_all, len(probs))[best]
        body.append([str(number), label, format_number(probs[best], n), Bar(float(probs[best]))])
    caption = f"first {len(rows)} of {count} rows" if count > len(rows) else None
    draw(
        [
            Table(
                "softmax per row: most probable class",
                ["row", "class", "probability", ""],
                body,
                caption,
            )
        ]
    )


def kl_tables(
    value: float,
    p: FloatArray,
    q: FloatArray,
    names: Sequence[str] | None,
    *,
    base: Base,
    output: Output,
) -> list[Table]:
    """Both directions, JS, entropies, cross-entropy, and per-class terms."""
    n = output.table_digits
    unit = base.unit
    P, Q = p[None, :], q[None, :]
    scale = 1.0 / base.log
    summary: list[list[str | Bar]] = [
        [f"KL(P||Q) ({unit})", format_number(value, n)],
        [f"KL(Q||P) ({unit})", format_number(kl_rows(Q, P)[0] * scale, n)],
        [f"JS(P,Q) ({unit})", format_number(js_rows(P, Q)[0] * scale, n)],
        [f"H(P) ({unit})", format_number(entropy_rows(P)[0] * scale, n)],
        [f"H(Q) ({unit})", format_number(entropy_rows(Q)[0] * scale, n)],
        [f"H(P,Q) = H(P) + KL ({unit})", format_number((entropy_rows(P)[0] * scale) + value, n)],
    ]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p / q), 0.0) * scale
    labels = _names(names, len(p))
    per_class: list[list[str | Bar]] = [
        [labels[i], format_number(p[i], n), format_number(q[i], n), format_number(terms[i], n)]
        for i in range(min(len(p), TABLE_ROWS))
    ]
    caption = f"first {TABLE_ROWS} of {len(p)} classes" if len(p) > TABLE_ROWS else None
    return [
        Table("KL divergence", ["quantity", "value"], summary),
        Table("per class", ["class", "P", "Q", "P log(P/Q)"], per_class, caption),
    ]


def xent_tables(
    value: float,
    y: FloatArray,
    log_q: FloatArray,
    names: Sequence[str] | None,
    *,
    base: Base,
    output: Output,
) -> list[Table]:
    """p(true class), perplexity and H(p,q) = H(p) + KL(p||q), per class."""
    n = output.table_digits
    unit = base.unit
    scale = 1.0 / base.log
    q = np.exp(log_q)
    Y = y[None, :]
    h_y = entropy_rows(Y)[0]
    kl = kl_rows(Y, q[None, :] / np.sum(q))[0]
    nats = value * base.log
    summary: list[list[str | Bar]] = [[f"H(target, pred) ({unit})", format_number(value, n)]]
    hot = np.flatnonzero(y == 1.0)
    if len(hot) == 1:
        summary.append(["p(true class)", format_number(q[hot[0]], n)])
    summary += [
        ["perplexity", format_number(math.exp(nats) if nats < 709 else math.inf, n)],
        [f"H(target) ({unit})", format_number(h_y * scale, n)],
        [f"KL(target||pred) ({unit})", format_number(kl * scale, n)],
    ]
    with np.errstate(invalid="ignore"):
        terms = np.where(y > 0, -y * log_q, 0.0) * scale
    labels = _names(names, len(y))
    per_class: list[list[str | Bar]] = [
        [labels[i], format_number(y[i], n), format_number(q[i], n), format_number(terms[i], n)]
        for i in range(min(len(y), TABLE_ROWS))
    ]
    caption = f"first {TABLE_ROWS} of {len(y)} classes" if len(y) > TABLE_ROWS else None
    return [
        Table("cross-entropy", ["quantity", "value"], summary),
        Table("per class", ["class", "target", "pred", "-y log(pred)"], per_class, caption),
    ]


# --- sgd: GD against mini-batch SGD -------------------------------------------------

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


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def epoch_progress(total: int, *, long_run: bool) -> Iterator[Callable[[], None] | None]:
    """A Rich progress bar on stderr for a long run on a terminal, else nothing.

    Yields the hook to call after each epoch (None when there is no bar).
    Rich is imported only here, and only when the bar is drawn; the bar is
    transient (erased when the run ends), so the terminal keeps only results.
    """
    if not (long_run and stderr_is_terminal()):
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
        draw(sgd_tables(result, setup, output))
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


def _perplexity(nats: float) -> float:
    return math.exp(nats) if nats < 709.0 else math.inf


def _caption(shown: int, total: int) -> str | None:
    return f"first {shown} of {total} classes" if total > shown else None


def entropy_tables(
    value: float, p: FloatArray, names: Sequence[str] | None, *, base: Base, output: Output
) -> list[Table]:
    """H(P), perplexity base^H, the maximum log C and the per-class terms -p log p."""
    n = output.table_digits
    unit = base.unit
    scale = 1.0 / base.log
    nats = value * base.log
    classes = len(p)
    maximum = math.log(classes) * scale
    summary: list[list[str | Bar]] = [
        [f"H(P) ({unit})", format_number(value, n)],
        [f"perplexity {base.value}^H", format_number(_perplexity(nats), n)],
        [f"maximum log C ({unit})", format_number(maximum, n)],
        ["H / log C", format_number(value / maximum if maximum else 0.0, n)],
    ]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0) * scale
    labels = _names(names, classes)
    shown = min(classes, TABLE_ROWS)
    per_class: list[list[str | Bar]] = [
        [labels[i], format_number(p[i], n), format_number(terms[i], n), Bar(float(p[i]))]
        for i in range(shown)
    ]
    return [
        Table("entropy", ["quantity", "value"], summary),
        Table("per class", ["class", "P", "-P log P", ""], per_class, _caption(shown, classes)),
    ]


def js_tables(
    value: float,
    p: FloatArray,
    q: FloatArray,
    names: Sequence[str] | None,
    *,
    base: Base,
    output: Output,
) -> list[Table]:
    """JS, its bound log 2, the JS distance, the two KLs to M and both direct KLs."""
    n = output.table_digits
    unit = base.unit
    scale = 1.0 / base.log
    P, Q = p[None, :], q[None, :]
    m = 0.5 * p + 0.5 * q
    M = m[None, :]
    bound = math.log(2.0) * scale
    summary: list[list[str | Bar]] = [
        [f"JS(P,Q) ({unit})", format_number(value, n)],
        [f"bound log 2 ({unit})", format_number(bound, n)],
        ["JS / log 2", format_number(value / bound, n)],
        ["JS distance sqrt(JS)", format_number(math.sqrt(value), n)],
        [f"KL(P||M) ({unit})", format_number(kl_rows(P, M)[0] * scale, n)],
        [f"KL(Q||M) ({unit})", format_number(kl_rows(Q, M)[0] * scale, n)],
        [f"KL(P||Q) ({unit})", format_number(kl_rows(P, Q)[0] * scale, n)],
        [f"KL(Q||P) ({unit})", format_number(kl_rows(Q, P)[0] * scale, n)],
    ]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (
            0.5 * np.where(p > 0, p * np.log(p / m), 0.0)
            + 0.5 * np.where(q > 0, q * np.log(q / m), 0.0)
        ) * scale
    labels = _names(names, len(p))
    shown = min(len(p), TABLE_ROWS)
    per_class: list[list[str | Bar]] = [
        [
            labels[i],
            format_number(p[i], n),
            format_number(q[i], n),
            format_number(m[i], n),
            format_number(terms[i], n),
        ]
        for i in range(shown)
    ]
    return [
        Table("Jensen-Shannon divergence", ["quantity", "value"], summary),
        Table(
            "per class",
            ["class", "P", "Q", "M = (P+Q)/2", "contribution"],
            per_class,
            _caption(shown, len(p)),
        ),
    ]


def kl_normal_tables(
    value: float,
    mu: FloatArray,
    spread: FloatArray,
    mu2: FloatArray,
    spread2: FloatArray,
    terms: FloatArray,
    *,
    std: bool,
    base: Base,
    output: Output,
) -> list[Table]:
    """The total, and per latent dimension both Gaussians and the KL term."""
    n = output.table_digits
    unit = base.unit
    scale = 1.0 / base.log
    dims = len(mu)
    standard_prior = bool(np.all(mu2 == 0) and np.all(spread2 == (1.0 if std else 0.0)))
    summary: list[list[str | Bar]] = [
        [f"KL ({unit})", format_number(value, n)],
        ["latent dimensions", str(dims)],
        ["second Gaussian", "N(0, I)" if standard_prior else "N(mu2, diag sigma2^2)"],
    ]
    sigma = spread if std else np.exp(0.5 * spread)
    sigma2 = spread2 if std else np.exp(0.5 * spread2)
    shown = min(dims, TABLE_ROWS)
    per_dim: list[list[str | Bar]] = [
        [
            str(i),
            format_number(mu[i], n),
            format_number(sigma[i], n),
            format_number(mu2[i], n),
            format_number(sigma2[i], n),
            format_number(terms[i] * scale, n),
        ]
        for i in range(shown)
    ]
    caption = f"first {shown} of {dims} dimensions" if dims > shown else None
    return [
        Table("KL between diagonal Gaussians", ["quantity", "value"], summary),
        Table(
            "per latent dimension",
            ["dim", "mu", "sigma", "mu2", "sigma2", f"KL ({unit})"],
            per_dim,
            caption,
        ),
    ]


def distill_tables(
    value: float,
    soft: float,
    hard: float | None,
    teacher: FloatArray,
    student: FloatArray,
    label: int | None,
    names: Sequence[str] | None,
    *,
    temperature: float,
    alpha: float,
    base: Base,
    output: Output,
) -> list[Table]:
    """Both terms with their weights, and the softened distributions per class."""
    n = output.table_digits
    unit = base.unit
    scale = 1.0 / base.log
    t = format_number(temperature, n)
    summary: list[list[str | Bar]] = [[f"loss ({unit})", format_number(value, n)]]
    if hard is None:
        summary.append(["alpha", "n/a (no --label)"])
    else:
        summary.append(["alpha", format_number(alpha, n)])
    summary += [
        ["temperature T", t],
        [f"soft: T^2 KL(teacher_T||student_T) ({unit})", format_number(soft * scale, n)],
        [f"KL(teacher_T||student_T) ({unit})", format_number(soft * scale / temperature**2, n)],
    ]
    if hard is not None:
        summary.append([f"hard: CE(label, student) ({unit})", format_number(hard * scale, n)])
        summary.append([f"alpha * soft ({unit})", format_number(alpha * soft * scale, n)])
        summary.append(
            [f"(1 - alpha) * hard ({unit})", format_number((1.0 - alpha) * hard * scale, n)]
        )
    labels = _names(names, len(teacher))
    shown = min(len(teacher), TABLE_ROWS)
    per_class: list[list[str | Bar]] = [
        [
            labels[i] + (" *" if label == i else ""),
            format_number(teacher[i], n),
            format_number(student[i], n),
            Bar(float(teacher[i])),
        ]
        for i in range(shown)
    ]
    caption = _caption(shown, len(teacher))
    if label is not None:
        caption = "* the label" + (f"; {caption}" if caption else "")
    return [
        Table("knowledge distillation", ["quantity", "value"], summary),
        Table(
            f"softened distributions (T = {t})",
            ["class", "teacher", "student", ""],
            per_class,
            caption,
        ),
    ]


def kl_approx_tables(
    value: float,
    stats: dict[str, tuple[float, float]],
    samples: int,
    estimator: str,
    *,
    base: Base,
    output: Output,
) -> list[Table]:
    """Mean and standard error of k1, k2, k3; the chosen one is the result."""
    n = output.table_digits
    unit = base.unit
    scale = 1.0 / base.log
    formulas = {"k1": "-log r", "k2": "(log r)^2 / 2", "k3": "(r - 1) - log r"}
    rows: list[list[str | Bar]] = []
    for name, (mean, stderr) in stats.items():
        marker = " (result)" if name == estimator else ""
        rows.append(
            [
                f"{name} = {formulas[name]}{marker}",
                format_number(mean * scale, n),
                format_number(stderr * scale, n),
            ]
        )
    caption = f"{samples} samples x ~ q, r = p(x)/q(x); estimates KL(q||p) in {unit}"
    return [
        Table(
            "KL estimators (Schulman)",
            ["estimator", "mean", "standard error"],
            rows,
            caption,
        )
    ]


def xent_option_table(
    smoothing: float, weight: FloatArray | None, ignore_index: int | None, *, output: Output
) -> Table:
    """The PyTorch options a cross-entropy was computed with."""
    n = output.table_digits
    rows: list[list[str | Bar]] = [["label smoothing", format_number(smoothing, n)]]
    if weight is not None:
        rows.append(["class weights", ",".join(format_number(w, n) for w in weight.tolist())])
    if ignore_index is not None:
        rows.append(["ignore index", str(ignore_index)])
    return Table("PyTorch options", ["quantity", "value"], rows)
