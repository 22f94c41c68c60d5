"""Steps of the distribution commands: softmax, kl, js, entropy."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nncalc.cli.pipeline import ScalarStep, ShownRows, VectorStep
from nncalc.cli.steps import reports
from nncalc.core.arrays import FloatArray
from nncalc.core.distribution import as_distribution, pair_rows, validate_distribution
from nncalc.core.divergence import entropy_rows, js_rows, kl_rows
from nncalc.core.from_logits import entropy_logits_rows, js_logits_rows, kl_logits_rows
from nncalc.core.parallel import reuse_freed_memory
from nncalc.core.processes import map_kernel
from nncalc.core.softmax import check_logits, log_softmax, softmax
from nncalc.errors import NncalcError, plural
from nncalc.io.operands import Operand
from nncalc.io.reader import Chunk
from nncalc.io.tensor_rows import TensorReader
from nncalc.output.spec import Output, Table, Units

# A table builder of a divergence: (value, P, Q, labels, base=, output=) -> tables.
TableBuilder = Callable[..., list[Table]]
# A divergence of paired rows of probabilities, and the same from logits at T.
PairRows = Callable[[FloatArray, FloatArray], FloatArray]
LogitPairRows = Callable[[FloatArray, FloatArray, float], FloatArray]


def check_temperature(temperature: float) -> None:
    if not (temperature > 0 and np.isfinite(temperature)):
        raise NncalcError(
            "temperature must be a positive number",
            operand="--temperature",
            token=repr(temperature),
        )


def check_applies(*, logits: bool, temperature: float, operands: str) -> None:
    """``--temperature`` changes logits only: given without ``--logits`` it is an error.

    Silently ignoring it would print the answer to another question (the
    untempered inputs'); so would rescaling logits with ``--normalize``,
    which kl, js and entropy refuse through :func:`check_normalize`.
    """
    if not logits and temperature != 1.0:
        raise NncalcError(
            f"divides logits only, and without --logits {operands} are probabilities",
            operand="--temperature",
            hint="pass --logits if they are logits, or drop --temperature",
        )


def check_normalize(*, logits: bool, normalize: bool, operands: str) -> None:
    """``--normalize`` rescales probabilities: with ``--logits`` it cannot apply."""
    if logits and normalize:
        raise NncalcError(
            f"rescales probabilities, and with --logits {operands} are logits",
            operand="--normalize",
            hint="drop --normalize, or --logits if they are probabilities",
        )


def same_width(chunks: Sequence[Chunk]) -> None:
    """Paired operands must have rows of one length."""
    first, *rest = chunks
    width = first.values.shape[1]
    mismatch = next((c for c in rest if c.values.shape[1] != width), None)
    if mismatch is not None:
        raise NncalcError(
            f"rows have {plural(mismatch.values.shape[1], 'value')} but {first.operand} rows have "
            f"{width}; they must have the same length",
            operand=mismatch.operand,
        )


def in_tasks(
    kernel: Callable[..., FloatArray], arrays: Sequence[FloatArray], *args: object
) -> FloatArray:
    """``kernel`` over slices of a few rows of ``arrays`` on every core, joined in row order.

    The slices depend only on the rows' width, so the result is the same bit
    for bit on any number of threads or processes (see nncalc.core.parallel
    and nncalc.core.processes).
    """
    reuse_freed_memory(arrays[0].size)
    parts = map_kernel(kernel, arrays, args)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def logits_as_stored(operands: Sequence[Operand]) -> None:
    """Tensor files of logits hand out float32 rows as stored: the kernels widen each task's."""
    for operand in operands:
        if isinstance(operand.reader, TensorReader):
            operand.reader.keep_stored_floats()


def shown(row: FloatArray) -> FloatArray:
    """A row divided by its sum, for the per-class columns of a table."""
    result: FloatArray = as_distribution(row, normalize=True)[0]
    return result


class Distributions:
    """How operand rows become distributions (--logits, -t, --normalize, --tol)."""

    __slots__ = ("logits", "normalize", "temperature", "tol")

    def __init__(
        self,
        logits: bool,
        temperature: float,
        normalize: bool,
        tol: float,
        *,
        operands: str = "the rows",
        normalize_with_logits: bool = False,
    ) -> None:
        check_temperature(temperature)
        check_applies(logits=logits, temperature=temperature, operands=operands)
        if not normalize_with_logits:
            check_normalize(logits=logits, normalize=normalize, operands=operands)
        self.logits = logits
        self.temperature = temperature
        self.normalize = normalize
        self.tol = tol

    def logits_of(self, chunk: Chunk) -> FloatArray:
        """A chunk's rows as logits, checked (NaN, all -inf) and named on error."""
        with chunk.locate():
            check_logits(chunk.values)
        return chunk.values

    def shown(self, row: FloatArray) -> FloatArray:
        """A row as the distribution a table shows (softmax of logits)."""
        if self.logits:
            return np.asarray(softmax(row, self.temperature), dtype=np.float64)
        return shown(row)

    def rows(self, chunk: Chunk) -> FloatArray:
        """A chunk's rows as distributions, checked but not divided.

        The row functions (kl_rows, js_rows, entropy_rows) renormalise
        exactly; dividing each entry by its row sum first would cost
        accuracy when P ~ Q.
        """
        with chunk.locate():
            if self.logits:
                return np.asarray(softmax(chunk.values, self.temperature), dtype=np.float64)
            rows, _ = validate_distribution(chunk.values, tol=self.tol, normalize=self.normalize)
            return rows


class Divergence(ScalarStep):
    """A divergence between the rows of P and Q, paired row by row."""

    labelled = (0, 1)

    def __init__(
        self,
        name: str,
        divergences: tuple[PairRows, LogitPairRows],
        builder: Callable[[], TableBuilder],
        operands: tuple[str | None, str | None],
        how: Distributions,
    ) -> None:
        p, q = operands
        super().__init__([(p, "P"), (q, "Q")])
        self.name = name
        self.divergence, self.from_logits = divergences
        self.builder = builder
        self.how = how
        self.last: tuple[FloatArray, FloatArray] = (np.zeros(0), np.zeros(0))

    def opened(self, operands: Sequence[Operand]) -> None:
        if self.how.logits:
            logits_as_stored(operands)

    def rows(self, chunks: Sequence[Chunk]) -> tuple[FloatArray, None]:
        same_width(chunks)
        p_chunk, q_chunk = chunks
        if self.how.logits:  # in log space: finite and exact at any logit gap
            return self._from_logits(p_chunk, q_chunk), None
        p, q = pair_rows(self.how.rows(p_chunk), self.how.rows(q_chunk))
        self.last = (p[-1], q[-1])
        return in_tasks(self.divergence, (p, q)), None

    def _from_logits(self, p_chunk: Chunk, q_chunk: Chunk) -> FloatArray:
        """The divergence of paired rows of logits, checked by the tasks.

        The kernels find a NaN or a row of only -inf themselves (the first
        maximum of such a row is not finite) and raise: the tasks run at
        once, on every core, instead of after a check of the whole chunk
        on this one while the others wait. Where a task raises, the chunk is
        checked whole (P, then Q), so the error is the one the check first
        would give.
        """
        try:
            p, q = pair_rows(p_chunk.values, q_chunk.values)
        except NncalcError:
            self.how.logits_of(p_chunk)  # an error in the values comes first
            self.how.logits_of(q_chunk)
            raise
        self.last = (p[-1], q[-1])
        try:
            return in_tasks(self.from_logits, (p, q), self.how.temperature)
        except NncalcError:
            self.how.logits_of(p_chunk)
            self.how.logits_of(q_chunk)
            raise

    def tables(self, value: float, names: list[str] | None, units: Units) -> list[Table]:
        p, q = (self.how.shown(row) for row in self.last)
        return self.builder()(value, p, q, names, units)


def KL(p: str | None, q: str | None, how: Distributions) -> Divergence:
    """D_KL(P || Q) per row."""
    return Divergence("kl", (kl_rows, kl_logits_rows), lambda: reports.kl_tables, (p, q), how)


def JS(p: str | None, q: str | None, how: Distributions) -> Divergence:
    """Jensen-Shannon divergence per row."""
    return Divergence("js", (js_rows, js_logits_rows), lambda: reports.js_tables, (p, q), how)


class Entropy(ScalarStep):
    name = "entropy"
    labelled = (0,)

    def __init__(self, p: str | None, how: Distributions) -> None:
        super().__init__([(p, "P")])
        self.how = how
        self.last: FloatArray = np.zeros(0)

    def opened(self, operands: Sequence[Operand]) -> None:
        if self.how.logits:
            logits_as_stored(operands)

    def rows(self, chunks: Sequence[Chunk]) -> tuple[FloatArray, None]:
        if self.how.logits:  # in log space
            logits = self.how.logits_of(chunks[0])
            self.last = logits[-1]
            return in_tasks(entropy_logits_rows, (logits,), self.how.temperature), None
        rows = self.how.rows(chunks[0])
        self.last = rows[-1]
        return in_tasks(entropy_rows, (rows,)), None

    def tables(self, value: float, names: list[str] | None, units: Units) -> list[Table]:
        shown_row = self.how.shown(self.last)
        return reports.entropy_tables(value, shown_row, names, units)


class Softmax(VectorStep):
    """softmax(z / T) per row, or its logarithm (computed directly)."""

    def __init__(
        self,
        logits: str | None,
        *,
        temperature: float,
        log: bool,
        labels: str | None,
        top: int | None,
    ) -> None:
        check_temperature(temperature)
        super().__init__([(logits, "LOGITS")], labels, top)
        self.name = "log_probabilities" if log else "probabilities"
        self.temperature = temperature
        self.log = log

    def rows(self, chunks: Sequence[Chunk]) -> FloatArray:
        (chunk,) = chunks
        function = log_softmax if self.log else softmax
        with chunk.locate():
            return np.asarray(function(chunk.values, self.temperature), dtype=np.float64)

    def tables(
        self, rows: ShownRows, count: int, names: list[str] | None, output: Output
    ) -> list[Table]:
        return reports.softmax_tables(rows, count, names, log=self.log, top=self.top, output=output)
