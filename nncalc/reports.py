"""The tables people see next to an answer: related quantities, per class.

Builders take the math results and return :class:`~nncalc.render.Table`
specs; :mod:`nncalc.tables` (and so Rich) is imported only to draw them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from nncalc.probability import FloatArray, entropy_rows, js_rows, kl_rows
from nncalc.render import TABLE_ROWS, Bar, Base, Output, Table, format_number

__all__ = ["TABLE_ROWS", "kl_tables", "softmax_tables", "xent_tables"]


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
