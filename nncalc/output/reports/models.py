"""Tables for kl-normal, distill and kl-approx."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nncalc.core.arrays import FloatArray
from nncalc.output.reports.common import _caption, _names
from nncalc.output.spec import TABLE_ROWS, Bar, Base, Output, Table
from nncalc.output.text import format_number


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
