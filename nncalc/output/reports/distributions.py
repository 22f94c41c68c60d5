"""Tables for softmax, xent, kl, entropy and js."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from nncalc.core.arrays import FloatArray
from nncalc.core.divergence import entropy_rows, js_rows, kl_rows
from nncalc.errors import plural
from nncalc.output.reports.common import Names, _names, _perplexity, class_table
from nncalc.output.spec import TABLE_ROWS, Bar, Output, Table, Units
from nncalc.output.text import format_number


def softmax_tables(
    rows: list[tuple[FloatArray, FloatArray]],
    count: int,
    names: Sequence[str] | None,
    *,
    log: bool,
    top: int | None,
    output: Output,
) -> list[Table]:
    """One row: index/label, logit, probability, log-probability and a bar.

    A batch: per row, the most probable class and its probability.
    """
    n = output.table_digits
    if count == 1:
        logits, values = rows[0]
        probs = np.exp(values) if log else values
        logp = values if log else np.log(np.where(probs > 0, probs, 1.0))
        logp = np.where(probs > 0, logp, -np.inf)
        # Without --top, the first TABLE_ROWS classes, as every per-class table shows
        # (a table of a 128k vocabulary took a minute to draw, 1M classes eight).
        shown = np.arange(min(len(probs), TABLE_ROWS))
        order = np.argsort(-probs, kind="stable")[:top] if top else shown
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
        caption = None
        if not top and len(probs) > len(shown):
            caption = f"first {len(shown)} of {len(probs)} classes; --top K shows the most probable"
        columns = ["index", "label", "logit", "probability", "log-prob", ""]
        return [Table(title, columns, body, caption)]
    body = []
    for number, (_, values) in enumerate(rows, start=1):
        probs = np.exp(values) if log else values
        labels = _names(names, len(probs))
        order = np.argsort(-probs, kind="stable")[: top or 1].tolist()
        for rank, best in enumerate(order, start=1):
            cells: list[str | Bar] = [str(number) if rank == 1 else "", str(rank), labels[best]]
            body.append([*cells, format_number(probs[best], n), Bar(float(probs[best]))])
    caption = f"first {len(rows)} of {count} rows" if count > len(rows) else None
    if top is None:
        title = "softmax per row: most probable class"
    else:
        title = (
            f"softmax per row: the {plural(top, 'most probable class', 'most probable classes')}"
        )
    return [Table(title, ["row", "rank", "class", "probability", ""], body, caption)]


def kl_tables(
    value: float, p: FloatArray, q: FloatArray, names: Names, units: Units
) -> list[Table]:
    """Both directions, JS, entropies, cross-entropy, and per-class terms."""
    n, unit, scale = units.digits, units.name, units.scale
    P, Q = p[None, :], q[None, :]
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
    return [
        Table("KL divergence", ["quantity", "value"], summary),
        class_table(["class", "P", "Q", "P log(P/Q)"], names, [p, q, terms], n),
    ]


Weights = tuple[FloatArray, float]
"""Class weights and the row's weight w_y (a weighted mean's denominator)."""


def xent_tables(
    value: float,
    y: FloatArray,
    log_q: FloatArray,
    names: Names,
    units: Units,
    weights: Weights | None = None,
) -> list[Table]:
    """p(true class), perplexity and H(p,q) = H(p) + KL(p||q), per class.

    With class weights the loss is no cross-entropy, and H(p) + KL(p||q)
    does not add up to it: the table shows instead each class's weighted
    term, which sum to the value (see :func:`weighted_xent_tables`).
    """
    if weights is not None:
        return weighted_xent_tables(value, y, log_q, names, units, weights)
    n, unit, scale = units.digits, units.name, units.scale
    q = np.exp(log_q)
    Y = y[None, :]
    h_y = entropy_rows(Y)[0]
    kl = kl_rows(Y, q[None, :] / np.sum(q))[0]
    nats = value * units.base.log
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
    return [
        Table("cross-entropy", ["quantity", "value"], summary),
        class_table(["class", "target", "pred", "-y log(pred)"], names, [y, q, terms], n),
    ]


def weighted_xent_tables(
    value: float, y: FloatArray, log_q: FloatArray, names: Names, units: Units, weights: Weights
) -> list[Table]:
    """A weighted cross-entropy: sum_c w_c y_c (-log q_c), over w_y for a mean.

    The per-class terms are w_c y_c (-log q_c) / D, D being the mean's
    denominator (the row's weight w_y, PyTorch's) when ``value`` is that
    mean and 1 otherwise (``--reduction sum``), so they sum to ``value``.
    """
    n, unit, scale = units.digits, units.name, units.scale
    weight, row_weight = weights
    q = np.exp(log_q)
    with np.errstate(invalid="ignore"):
        weighted = np.where(y > 0, -weight * y * log_q, 0.0) * scale
    total = float(np.sum(weighted))
    divisor = 1.0
    if row_weight not in (0.0, 1.0) and abs(value - total / row_weight) < abs(value - total):
        divisor = row_weight
    terms = weighted / divisor
    summary: list[list[str | Bar]] = [
        [f"weighted H(target, pred) ({unit})", format_number(value, n)],
        ["sum over classes of w y (-log pred)", format_number(total, n)],
    ]
    if divisor != 1.0:
        summary.append(["mean: divided by w(true class)", format_number(divisor, n)])
    hot = np.flatnonzero(y == 1.0)
    if len(hot) == 1:
        summary.append(["p(true class)", format_number(q[hot[0]], n)])
    caption = "the terms sum to the weighted H(target, pred); H(target) + KL does not"
    table = class_table(
        ["class", "target", "pred", "weight", "term"], names, [y, q, weight, terms], n
    )
    table = Table(table.title, table.columns, table.rows, table.caption or caption)
    return [Table("weighted cross-entropy", ["quantity", "value"], summary), table]


def entropy_tables(
    value: float, p: FloatArray, names: Sequence[str] | None, units: Units
) -> list[Table]:
    """H(P), perplexity base^H, the maximum log C and the per-class terms -p log p."""
    n, unit, scale = units.digits, units.name, units.scale
    nats = value * units.base.log
    classes = len(p)
    maximum = math.log(classes) * scale
    summary: list[list[str | Bar]] = [
        [f"H(P) ({unit})", format_number(value, n)],
        [f"perplexity {units.base.value}^H", format_number(_perplexity(nats), n)],
        [f"maximum log C ({unit})", format_number(maximum, n)],
        ["H / log C", format_number(value / maximum if maximum else 0.0, n)],
    ]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0) * scale
    return [
        Table("entropy", ["quantity", "value"], summary),
        class_table(["class", "P", "-P log P", ""], names, [p, terms], n, bar=p),
    ]


def js_tables(
    value: float, p: FloatArray, q: FloatArray, names: Names, units: Units
) -> list[Table]:
    """JS, its bound log 2, the JS distance, the two KLs to M and both direct KLs."""
    n, unit, scale = units.digits, units.name, units.scale
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
    columns = ["class", "P", "Q", "M = (P+Q)/2", "contribution"]
    return [
        Table("Jensen-Shannon divergence", ["quantity", "value"], summary),
        class_table(columns, names, [p, q, m, terms], n),
    ]


def xent_option_table(
    smoothing: float, weight: FloatArray | None, ignore_index: int | None, *, units: Units
) -> Table:
    """The PyTorch options a cross-entropy was computed with."""
    n = units.digits
    rows: list[list[str | Bar]] = [["label smoothing", format_number(smoothing, n)]]
    if weight is not None:
        rows.append(["class weights", ",".join(format_number(w, n) for w in weight.tolist())])
    if ignore_index is not None:
        rows.append(["ignore index", str(ignore_index)])
    return Table("PyTorch options", ["quantity", "value"], rows)
