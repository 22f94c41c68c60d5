"""The compare step: two models' outputs, chunk by chunk, into one report, then its gates."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING

import numpy as np

from nncalc.cli.pipeline import RecordStep, leading_shape, open_operands, read
from nncalc.cli.steps.distributions import logits_as_stored
from nncalc.core.compare import (
    CompareAccumulator,
    CompareReport,
    Operands,
    RowComparison,
    RowOptions,
)
from nncalc.core.compare_report import TARGET_STATISTICS
from nncalc.core.gates import Gate, parse_gate
from nncalc.core.parallel import reuse_freed_memory
from nncalc.errors import CheckFailed, NncalcError, plural
from nncalc.io.reader import Chunk
from nncalc.output.spec import Output

if TYPE_CHECKING:
    from nncalc.cli.table_input import TableInput
    from nncalc.io.operands import Operand
    from nncalc.output.files import ResultWriter

NAMES = Operands(base="BASE", new="NEW", target="--target", mask="--mask")


def parse_gates(texts: Sequence[str], targets: bool) -> list[Gate]:
    """The ``--gate`` expressions, checked before any input is read."""
    gates = []
    for text in texts:
        try:
            gate = parse_gate(text)
        except NncalcError as error:
            raise error.located(operand="--gate") from None
        if gate.name in TARGET_STATISTICS and not targets:
            raise NncalcError(
                f"{gate.name} is a statistic of the target classes: pass --target",
                operand="--gate",
                token=text,
            )
        gates.append(gate)
    return gates


def check_gates(gates: Sequence[Gate], report: CompareReport) -> None:
    """Exit 1 (:class:`CheckFailed`) naming every gate that failed, with its value."""
    failed = [result for result in (gate.check(report) for gate in gates) if not result.passed]
    if failed:
        raise CheckFailed([f"check failed: {result}" for result in failed])


def one_column(chunk: Chunk, what: str) -> Chunk:
    """A chunk of one value per row (class indices, mask entries)."""
    if chunk.values.shape[1] != 1:
        error = NncalcError(
            f"rows have {plural(chunk.values.shape[1], 'value')}; give one {what} per row"
        )
        raise chunk.locate_error(error)
    return chunk


class Comparison(RecordStep):
    """BASE against NEW, row by row: the comparison report (see nncalc.core.compare_report)."""

    def __init__(
        self,
        base: str | None,
        new: str | None,
        *,
        target: str | None,
        mask: str | None,
        gates: Sequence[str],
        rows: RowOptions,
        table: TableInput | None = None,
        path: str | None = None,
    ) -> None:
        probs, _, normalize = rows
        if normalize and not probs:
            raise NncalcError(
                "rescales probabilities, and without --probs BASE and NEW are logits",
                operand="--normalize",
                hint="pass --probs if they are probabilities, or drop --normalize",
            )
        self.gates = parse_gates(gates, target is not None)
        self.operands = [(base, "BASE"), (new, "NEW")]
        self.operands += [(target, NAMES.target)] if target is not None else []
        self.operands += [(mask, NAMES.mask)] if mask is not None else []
        self.targets = target is not None
        self.masked = mask is not None
        self.rows = rows
        self.table = table
        self.path = path

    def report(self, output: Output) -> CompareReport:
        """Read every row of the operands, a chunk at a time, into the report (and the file)."""
        per_row = (NAMES.target, NAMES.mask)
        operands = open_operands(self.operands, output.env, per_row=per_row, table=self.table)
        if not self.rows[0]:  # logits: float32 rows as stored, widened by the tasks
            logits_as_stored(operands[:2])
        accumulator = CompareAccumulator(targets=self.targets, rows=self.rows, names=NAMES)
        file = self.row_file(self.path, operands, output) if self.path is not None else None
        with file or nullcontext():  # the file is put in place at the end, dropped on an error
            for chunks in read(operands):
                rows = max(len(chunk) for chunk in chunks)
                base, new, *rest = chunks
                reuse_freed_memory(base.values.size)
                target = one_column(rest.pop(0), "class index") if self.targets else None
                mask = one_column(rest.pop(0), "mask entry (0 or 1)") if self.masked else None
                kept = accumulator.add(
                    _rows(base, rows),
                    _rows(new, rows),
                    None if target is None else _rows(target, rows)[:, 0],
                    None if mask is None else _rows(mask, rows)[:, 0],
                )
                if file is not None and len(kept.kl):
                    file.write(row_matrix(kept))
            return accumulator.report()

    def row_file(self, path: str, operands: Sequence[Operand], output: Output) -> ResultWriter:
        """The -o file, for every compared row's results."""
        shape = None if self.masked else leading_shape(operands[:2])
        columns = ROW_COLUMNS + (TARGET_COLUMNS if self.targets else [])
        from nncalc.output.files import open_output  # only with -o

        return open_output(
            path, name="compare", columns=columns, leading_shape=shape, digits=output.digits
        )

    def write(self, output: Output) -> None:
        from nncalc.output.reports.compare import write_report

        report = self.report(output)
        write_report(report, output)
        check_gates(self.gates, report)


# The columns of -o/--output: one row per compared row.
ROW_COLUMNS = ["kl", "kl_reverse", "js", "top1_agree"]
TARGET_COLUMNS = ["ln_p_base", "ln_p_new", "dp"]


def row_matrix(rows: RowComparison) -> np.ndarray:
    """The per-row results as the columns of -o (top1_agree as 1.0 or 0.0)."""
    columns = [rows.kl, rows.kl_reverse, rows.js, rows.top1_agree.astype(np.float64)]
    if rows.log_p_base is not None and rows.log_p_new is not None:
        dp = np.exp(rows.log_p_new) - np.exp(rows.log_p_base)
        columns += [rows.log_p_base, rows.log_p_new, dp]
    return np.column_stack(columns)


def _rows(chunk: Chunk, rows: int) -> np.ndarray:
    """A chunk's rows; a literal's one row repeated ``rows`` times (a view, not a copy)."""
    values = chunk.values
    if len(values) == rows:
        return values
    return np.broadcast_to(values, (rows, values.shape[1]))
