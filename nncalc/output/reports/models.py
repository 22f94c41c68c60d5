"""Tables for kl-normal, distill and kl-approx."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from nncalc.core.arrays import FloatArray
from nncalc.errors import plural
from nncalc.output.reports.common import _names, class_table
from nncalc.output.spec import Bar, Table, Units
from nncalc.output.text import format_number

if TYPE_CHECKING:
    from nncalc.core.policy import RunningMean


def kl_normal_tables(
    value: float, gaussians: Sequence[FloatArray], units: Units, *, std: bool
) -> list[Table]:
    """The total, and per latent dimension both Gaussians and the KL term
    (``gaussians``: mu, sigma or log-variance, mu2, its spread, the terms)."""
    n, unit, scale = units.digits, units.name, units.scale
    mu, spread, mu2, spread2, terms = gaussians
    dims = len(mu)
    standard_prior = bool(np.all(mu2 == 0) and np.all(spread2 == (1.0 if std else 0.0)))
    summary: list[list[str | Bar]] = [
        [f"KL ({unit})", format_number(value, n)],
        ["latent dimensions", str(dims)],
        ["second Gaussian", "N(0, I)" if standard_prior else "N(mu2, diag sigma2^2)"],
    ]
    sigma = spread if std else np.exp(0.5 * spread)
    sigma2 = spread2 if std else np.exp(0.5 * spread2)
    columns = ["dim", "mu", "sigma", "mu2", "sigma2", f"KL ({unit})"]
    values = [mu, sigma, mu2, sigma2, terms * scale]
    per_dim = class_table(columns, None, values, n, title="per latent dimension", what="dimensions")
    return [Table("KL between diagonal Gaussians", ["quantity", "value"], summary), per_dim]


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
    units: Units,
) -> list[Table]:
    """Both terms with their weights, and the softened distributions per class."""
    n, unit, scale = units.digits, units.name, units.scale
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
    if label is not None:
        labels[label] += " *"
    title = f"softened distributions (T = {t})"
    columns = ["class", "teacher", "student", ""]
    per_class = class_table(columns, labels, [teacher, student], n, bar=teacher, title=title)
    if label is not None:
        caption = per_class.caption
        per_class.caption = "* the label" + (f"; {caption}" if caption else "")
    return [Table("knowledge distillation", ["quantity", "value"], summary), per_class]


def kl_approx_tables(
    value: float, pooled: Mapping[str, RunningMean], estimator: str, units: Units
) -> list[Table]:
    """Mean and standard error of k1, k2, k3; the chosen one is the result."""
    n, unit, scale = units.digits, units.name, units.scale
    formulas = {"k1": "-log r", "k2": "(log r)^2 / 2", "k3": "(r - 1) - log r"}
    rows: list[list[str | Bar]] = []
    samples = pooled["k3"].count
    for name, stat in pooled.items():
        mean, stderr = stat.mean, stat.stderr
        marker = " (result)" if name == estimator else ""
        rows.append(
            [
                f"{name} = {formulas[name]}{marker}",
                format_number(mean * scale, n),
                format_number(stderr * scale, n),
            ]
        )
    caption = f"{plural(samples, 'sample')} x ~ q, r = p(x)/q(x); estimates KL(q||p) in {unit}"
    return [
        Table(
            "KL estimators (Schulman)",
            ["estimator", "mean", "standard error"],
            rows,
            caption,
        )
    ]
