"""The ``nncalc`` command line: one thin function per command.

Each command opens its operands, runs the NumPy core chunk by chunk and hands
the results to a sink in :mod:`nncalc.render`. Errors of every kind are
turned into one line on stderr and an exit code in :class:`NncalcGroup`.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from typer._click.exceptions import ClickException, UsageError
from typer.core import TyperGroup

from nncalc import __version__
from nncalc.cli import startup
from nncalc.cli.errors import for_cli
from nncalc.core.arrays import DEFAULT_TOL, FloatArray
from nncalc.core.distill import DEFAULT_ALPHA, check_alpha, distill_rows
from nncalc.core.distribution import (
    as_distribution,
    class_indices,
    pair_rows,
    validate_distribution,
)
from nncalc.core.divergence import entropy_rows, js_rows, kl_rows
from nncalc.core.embeddings import DTYPE_BYTES, embedding_params
from nncalc.core.gaussian import check_gaussian, kl_normal_terms
from nncalc.core.policy import ESTIMATORS, RunningMean, check_log_probs, estimator_values
from nncalc.core.softmax import check_logits, log_softmax, softmax
from nncalc.core.xent import (
    check_smoothing,
    check_weight,
    index_xent_rows,
    log_predictions,
    nll_rows,
    smoothed_target,
    soft_xent_rows_weighted,
)
from nncalc.errors import CheckFailed, ExitCode, NncalcError
from nncalc.io import progress
from nncalc.io.operands import (
    MissingOperand,
    Operand,
    StdinClaim,
    aligned_chunks,
    open_operand,
    read_labels,
)
from nncalc.io.reader import Chunk
from nncalc.io.tokens import parse_literal, protect_negative_literals
from nncalc.output.sinks import ScalarSink, VectorSink, write_record
from nncalc.output.spec import Base, Bounds, Format, Output, Reduction, Table, stdout_is_terminal
from nncalc.output.text import PipeClosed, all_rows_written

if TYPE_CHECKING:
    from nncalc.core import sgd as sgd_core
    from nncalc.output import reports
else:  # loaded when first used: a one-liner draws no table and runs no sgd
    reports = startup.lazy_module("nncalc.output.reports")
    sgd_core = startup.lazy_module("nncalc.core.sgd")

CLASS_INDEX = re.compile(r"\s*\d+\s*")


def _fail(message: str) -> None:
    sys.stderr.write(f"nncalc: error: {message}\n")


class NncalcGroup(TyperGroup):
    """The app's group: negative literals, one-line errors, exit codes."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        startup.install(self)  # keep pydantic out of start-up
        # Always "nncalc" (also under `python -m nncalc` and test runners), so
        # usage lines, help and the completion variable name the real command.
        code = self._run(protect_negative_literals(argv), "nncalc", complete_var, extra)
        if not standalone_mode:
            return code
        sys.exit(code)

    def _run(
        self, args: list[str], prog_name: str, complete_var: str | None, extra: dict[str, Any]
    ) -> int:
        try:
            # Overflow to inf or 0 is handled by the math (and by the checks on
            # results); NumPy's RuntimeWarnings would only be noise on stderr.
            with np.errstate(all="ignore"), progress.shown_until_done(), all_rows_written():
                result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            return result if isinstance(result, int) else ExitCode.OK
        except MissingOperand as error:
            sys.stderr.write(self._usage(args, prog_name))
            _fail(str(error))
            return ExitCode.USAGE
        except NncalcError as error:
            _fail(str(for_cli(error)))
            return ExitCode.USAGE
        except CheckFailed as failure:
            for line in failure.lines:
                sys.stderr.write(f"nncalc: {line}\n")
            return ExitCode.CHECK_FAILED
        except UsageError as error:
            command = error.ctx.command_path if error.ctx else prog_name
            message = " ".join(error.format_message().split())
            _fail(f"{message} (see '{command} --help')")
            return error.exit_code
        except ClickException as error:
            _fail(" ".join(error.format_message().split()))
            return error.exit_code
        except (KeyboardInterrupt, typer.Abort):
            return ExitCode.INTERRUPTED
        except (PipeClosed, BrokenPipeError):
            _silence_stdout()
            return ExitCode.PIPE_CLOSED
        except MemoryError:
            _fail("out of memory: the input is too large to hold (pass a smaller batch)")
            return ExitCode.USAGE
        except Exception as error:
            _fail(f"internal error: {type(error).__name__}: {error} (please report this)")
            return ExitCode.INTERNAL

    def _usage(self, args: list[str], prog_name: str) -> str:
        """The usage line of the command named in ``args``."""
        root = typer.Context(self, info_name=prog_name)
        for name in args:
            command = self.get_command(root, name)
            if command is not None:
                return command.get_usage(typer.Context(command, info_name=name, parent=root)) + "\n"
        return self.get_usage(root) + "\n"


def _silence_stdout() -> None:
    """After the reader of stdout left: drop what is still buffered."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


class NncalcTyper(typer.Typer):
    """The app: builds only the command being run (start-up stays flat)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with startup.only_command(self, sys.argv[1:], "_NNCALC_COMPLETE"):
            return super().__call__(*args, **kwargs)


app = NncalcTyper(
    cls=NncalcGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Rich help (panels, box drawing) on a terminal only; plain text on a pipe.
    rich_markup_mode="rich" if stdout_is_terminal() else None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Probability math of neural networks: softmax, cross-entropy, KL and friends.",
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"nncalc {__version__}\n")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Probability math of neural networks, from the shell.

    Operands are literal vectors ("0.1,0.2,0.7", "-1 0 1", "[1, 2]"), '-' for
    stdin, or @file.csv; an omitted operand is read from stdin when it is a pipe.
    """


# Shared options: every command takes the same output options.
FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        help="Output: auto (table on a terminal, plain on a pipe), table, plain, csv, json.",
    ),
]
DigitsOpt = Annotated[
    int | None,
    typer.Option(
        "--digits", min=1, max=17, help="Round to N significant digits (default: shortest exact)."
    ),
]
ReductionOpt = Annotated[
    Reduction | None,
    typer.Option(
        "--reduction",
        "-r",
        case_sensitive=False,
        help="Batch reduction: mean (default), sum, max, none (one line per row).",
    ),
]
MaxOpt = Annotated[
    float | None,
    typer.Option(
        "--max", help="Exit 1 if the (reduced) result is above X (CI check).", metavar="X"
    ),
]
MinOpt = Annotated[
    float | None,
    typer.Option(
        "--min", help="Exit 1 if the (reduced) result is below X (CI check).", metavar="X"
    ),
]
BaseOpt = Annotated[
    Base, typer.Option("--base", "-b", help="Logarithm base: e (nats), 2 (bits), 10 (dits).")
]
TemperatureOpt = Annotated[
    float,
    typer.Option(
        "--temperature", "-t", help="Softmax temperature T > 0 (logits are divided by T)."
    ),
]
NormalizeOpt = Annotated[
    bool, typer.Option("--normalize", help="Rescale each row to sum to 1 (any positive sum).")
]
LogitsOpt = Annotated[
    bool, typer.Option("--logits", help="Rows are logits: apply softmax (with --temperature).")
]
TolOpt = Annotated[
    float,
    typer.Option("--tol", help="Accept rows whose sum is within this relative tolerance of 1."),
]


def _operand_help(text: str, metavar: str | None = None) -> Any:
    """An operand argument; its metavar is the operand's name in upper case."""
    return typer.Argument(help=text, show_default=False, metavar=metavar)


DistributionP = Annotated[
    str | None, _operand_help("Distribution P: a vector, '-' (stdin) or @file.", "P")
]
DistributionQ = Annotated[
    str | None, _operand_help("Distribution Q: a vector, '-' (stdin) or @file.", "Q")
]


def _distributions(
    chunk: Chunk, logits: bool, temperature: float, normalize: bool, tol: float
) -> FloatArray:
    """Rows of an operand as probability distributions, checked but not divided.

    The row functions (kl_rows, js_rows, entropy_rows) renormalise exactly;
    dividing each entry by its row sum first would cost accuracy when P ~ Q.
    """
    with chunk.locate():
        if logits:
            return np.asarray(softmax(chunk.values, temperature), dtype=np.float64)
        rows, _ = validate_distribution(chunk.values, tol=tol, normalize=normalize)
        return rows


def _shown(row: FloatArray) -> FloatArray:
    """A row divided by its sum, for the per-class columns of a table."""
    shown: FloatArray = as_distribution(row, normalize=True)[0]
    return shown


def _same_width(chunks: Sequence[Chunk]) -> None:
    widths = {chunk.values.shape[1] for chunk in chunks}
    if len(widths) > 1:
        first, *rest = chunks
        mismatch = next(c for c in rest if c.values.shape[1] != first.values.shape[1])
        raise NncalcError(
            f"rows have {mismatch.values.shape[1]} values but {first.operand} rows have "
            f"{first.values.shape[1]}; they must have the same length",
            operand=mismatch.operand,
        )


def _check_temperature(temperature: float) -> None:
    if not (temperature > 0 and np.isfinite(temperature)):
        raise NncalcError(
            "temperature must be a positive number",
            operand="--temperature",
            token=repr(temperature),
        )


def _labels_for(operands: Sequence[Operand], labels: str | None = None) -> list[str] | None:
    if labels is not None:
        return read_labels(labels)
    for operand in operands:
        if operand.labels is not None:
            return operand.labels
    return None


@app.command("softmax")
def softmax_command(
    logits: Annotated[
        str | None, _operand_help("Logits: a vector, '-' (stdin) or @file.", "LOGITS")
    ] = None,
    temperature: TemperatureOpt = 1.0,
    log: Annotated[bool, typer.Option("--log", help="Log-softmax, computed directly.")] = False,
    top: Annotated[
        int | None,
        typer.Option("--top", min=1, help="Only the K most probable classes, sorted.", metavar="K"),
    ] = None,
    labels: Annotated[
        str | None,
        typer.Option("--labels", help="Class names: a,b,c or @vocab.txt (one per line)."),
    ] = None,
    fmt: FormatOpt = Format.auto,
    digits: DigitsOpt = None,
) -> None:
    """Softmax of logits: softmax(z / T), max-shifted; -inf masks a class.

    Example: nncalc softmax "2,1,0.1" --temperature 2
    """
    _check_temperature(temperature)
    operand = open_operand(logits, "LOGITS", StdinClaim())
    output = Output(fmt, digits)
    names = _labels_for([operand], labels)
    name = "log_probabilities" if log else "probabilities"
    sink = VectorSink(name, output, batch=operand.is_batch, labels=names)
    table_rows: list[tuple[FloatArray, FloatArray]] = []
    for (chunk,) in aligned_chunks([operand]):
        if names is not None and len(names) != chunk.values.shape[1]:
            raise NncalcError(
                f"{len(names)} labels for {chunk.values.shape[1]} classes", operand="--labels"
            )
        with chunk.locate():
            values = np.asarray(
                (log_softmax if log else softmax)(chunk.values, temperature), dtype=np.float64
            )
        if output.fmt is Format.table:
            table_rows.extend(
                zip(chunk.values[: reports.TABLE_ROWS], values[: reports.TABLE_ROWS], strict=True)
            )
            sink.count += len(values)
            continue
        if top is not None:
            sink.add_top(values, top)
        else:
            sink.add(values)
    if output.fmt is Format.table:
        reports.softmax_tables(table_rows, sink.count, names, log=log, top=top, output=output)
    else:
        sink.finish()


class WeightedMeanSink(ScalarSink):
    """Per-row scalars whose mean divides by summed row weights, not the row count.

    PyTorch's weighted cross-entropy: the mean of a batch is sum(losses) /
    sum(w[y]) over the rows not ignored. A single row is a batch of one.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.denominators: list[float] = []

    def add_weighted(
        self, values: FloatArray, denominators: FloatArray, first_row: int | None
    ) -> None:
        if not self.batch:
            with np.errstate(invalid="ignore", divide="ignore"):
                values = values / denominators
        else:
            self.denominators.append(math.fsum(denominators.tolist()))
        self.add(values, first_row)

    def result(self) -> float:
        if self.single is None and self.reduction is Reduction.mean:
            total = math.fsum(self.denominators)
            return math.fsum(self.partial_sums) / total if total else math.nan
        return super().result()


def _read_targets(text: str | None, claim: StdinClaim) -> tuple[Operand, bool]:
    """TARGET: a single whole number is a class index, else distributions."""
    operand = open_operand(text, "TARGET", claim)
    literal_index = text is not None and CLASS_INDEX.fullmatch(text) is not None
    return operand, literal_index


@app.command()
def xent(
    target: Annotated[
        str | None,
        _operand_help(
            "Class index (0-based), distribution, '-' or @file (one index or row per line).",
            "TARGET",
        ),
    ] = None,
    pred: Annotated[
        str | None,
        _operand_help("Predicted probabilities (or logits with --logits), '-' or @file.", "PRED"),
    ] = None,
    logits: Annotated[
        bool, typer.Option("--logits", help="PRED rows are logits (through log-softmax).")
    ] = False,
    temperature: TemperatureOpt = 1.0,
    eps: Annotated[
        float | None,
        typer.Option(
            "--eps",
            help="Clip PRED to [E, 1-E] and renormalise (scikit-learn log_loss).",
            metavar="E",
        ),
    ] = None,
    normalize: NormalizeOpt = False,
    tol: TolOpt = DEFAULT_TOL,
    label_smoothing: Annotated[
        float,
        typer.Option(
            "--label-smoothing",
            metavar="EPS",
            help="Smooth the target to (1-EPS)*target + EPS/C (PyTorch's label_smoothing).",
        ),
    ] = 0.0,
    weight: Annotated[
        str | None,
        typer.Option(
            "--weight",
            metavar="W1,W2,...",
            help="Class weights (PyTorch's weight): a mean over index targets divides by the "
            "sum of their weights.",
        ),
    ] = None,
    ignore_index: Annotated[
        int | None,
        typer.Option(
            "--ignore-index",
            metavar="I",
            help="Index targets equal to I count nothing (PyTorch's ignore_index).",
        ),
    ] = None,
    reduction: ReductionOpt = None,
    maximum: MaxOpt = None,
    minimum: MinOpt = None,
    base: BaseOpt = Base.e,
    fmt: FormatOpt = Format.auto,
    digits: DigitsOpt = None,
) -> None:
    """Cross-entropy H(target, pred) = -sum y log y_hat; batches are averaged.

    Example: nncalc xent 2 "0.1,0.2,0.6,0.1"
    """
    _check_temperature(temperature)
    check_smoothing(label_smoothing)
    class_weight = None if weight is None else parse_literal(weight, "--weight")[0]
    torch_options = label_smoothing > 0 or weight is not None or ignore_index is not None
    claim = StdinClaim()
    target_op, literal_index = _read_targets(target, claim)
    if ignore_index is not None and target is not None:
        literal_index = literal_index or target.strip() == str(ignore_index)
    pred_op = open_operand(pred, "PRED", claim)
    output = Output(fmt, digits)
    sink = WeightedMeanSink(
        "xent",
        output,
        batch=target_op.is_batch or pred_op.is_batch,
        reduction=reduction,
        bounds=Bounds(maximum, minimum),
        base=base,
    )
    last: tuple[FloatArray, FloatArray] | None = None
    for target_chunk, pred_chunk in aligned_chunks([target_op, pred_op]):
        with pred_chunk.locate():
            log_q = log_predictions(
                pred_chunk.values,
                from_logits=logits,
                temperature=temperature,
                eps=eps,
                tol=tol,
                normalize=normalize,
            )
        classes = log_q.shape[1]
        if class_weight is not None:
            check_weight(class_weight, classes)
        with target_chunk.locate():
            if literal_index or (target_chunk.values.shape[1] == 1 and classes > 1):
                raw = target_chunk.values[:, 0]
                ignored = raw == ignore_index if ignore_index is not None else raw != raw
                indices = class_indices(np.where(ignored, 0.0, raw), classes)
                if torch_options:
                    values, denominators = index_xent_rows(
                        indices,
                        log_q,
                        weight=class_weight,
                        smoothing=label_smoothing,
                        ignored=ignored,
                    )
                else:
                    values = nll_rows(indices, log_q)
                    denominators = np.ones(len(values))
                y = np.zeros((len(indices), classes))
                y[np.arange(len(indices)), indices] = 1.0
            else:
                if ignore_index is not None:
                    raise NncalcError(
                        "--ignore-index applies to class-index targets only, and TARGET rows "
                        "are distributions",
                        hint="drop --ignore-index, or give class indices",
                    )
                _same_width([pred_chunk, target_chunk])
                y = as_distribution(target_chunk.values, tol=tol, normalize=normalize)
                y, log_q = pair_rows(y, log_q)
                values, denominators = soft_xent_rows_weighted(
                    y, log_q, weight=class_weight, smoothing=label_smoothing
                )
        sink.add_weighted(values, denominators, target_chunk.first_row or pred_chunk.first_row)
        last = (smoothed_target(y[-1:], label_smoothing)[0], log_q[-1])
    assert last is not None
    names = _labels_for([pred_op, target_op])

    def tables(value: float) -> list[Table]:
        result = reports.xent_tables(value, *last, names, base=base, output=output)
        if torch_options:
            result.append(
                reports.xent_option_table(
                    label_smoothing, class_weight, ignore_index, output=output
                )
            )
        return result

    sink.finish(tables=tables)


@dataclass(frozen=True)
class DistributionOptions:
    """How operand rows become distributions (--logits, -t, --normalize, --tol)."""

    logits: bool
    temperature: float
    normalize: bool
    tol: float


@dataclass(frozen=True)
class ScalarOptions:
    """The options of every per-row scalar command's output."""

    reduction: Reduction | None
    maximum: float | None
    minimum: float | None
    base: Base
    fmt: Format
    digits: int | None


def _pairwise_divergence(
    name: str,
    rows: Callable[[FloatArray, FloatArray], FloatArray],
    tables: str,
    p: str | None,
    q: str | None,
    how: DistributionOptions,
    out: ScalarOptions,
) -> None:
    """A divergence between the rows of P and Q (kl, js): stream, reduce, render.

    ``tables`` names the builder in :mod:`nncalc.reports`, which is imported
    only when a table is drawn.
    """
    _check_temperature(how.temperature)
    claim = StdinClaim()
    operands = [open_operand(p, "P", claim), open_operand(q, "Q", claim)]
    output = Output(out.fmt, out.digits)
    sink = ScalarSink(
        name,
        output,
        batch=any(op.is_batch for op in operands),
        reduction=out.reduction,
        bounds=Bounds(out.maximum, out.minimum),
        base=out.base,
    )
    last: tuple[FloatArray, FloatArray] | None = None
    for p_chunk, q_chunk in aligned_chunks(operands):
        _same_width([p_chunk, q_chunk])
        p_rows, q_rows = pair_rows(
            _distributions(p_chunk, how.logits, how.temperature, how.normalize, how.tol),
            _distributions(q_chunk, how.logits, how.temperature, how.normalize, how.tol),
        )
        sink.add(rows(p_rows, q_rows), p_chunk.first_row or q_chunk.first_row)
        last = (p_rows[-1], q_rows[-1])
    assert last is not None
    names = _labels_for(operands)
    sink.finish(
        tables=lambda value: getattr(reports, tables)(
            value, _shown(last[0]), _shown(last[1]), names, base=out.base, output=output
        )
    )


@app.command()
def kl(
    p: DistributionP = None,
    q: DistributionQ = None,
    logits: LogitsOpt = False,
    temperature: TemperatureOpt = 1.0,
    normalize: NormalizeOpt = False,
    tol: TolOpt = DEFAULT_TOL,
    reduction: ReductionOpt = None,
    maximum: MaxOpt = None,
    minimum: MinOpt = None,
    base: BaseOpt = Base.e,
    fmt: FormatOpt = Format.auto,
    digits: DigitsOpt = None,
) -> None:
    """KL divergence D_KL(P || Q) = sum P log(P/Q); batches: mean over rows (batchmean).

    Example: nncalc kl "0,0,1,0" "0.1,0.2,0.6,0.1"
    """
    _pairwise_divergence(
        "kl",
        kl_rows,
        "kl_tables",
        p,
        q,
        DistributionOptions(logits, temperature, normalize, tol),
        ScalarOptions(reduction, maximum, minimum, base, fmt, digits),
    )


@app.command("entropy")
def entropy_command(
    p: DistributionP = None,
    logits: LogitsOpt = False,
    temperature: TemperatureOpt = 1.0,
    normalize: NormalizeOpt = False,
    tol: TolOpt = DEFAULT_TOL,
    reduction: ReductionOpt = None,
    maximum: MaxOpt = None,
    minimum: MinOpt = None,
    base: BaseOpt = Base.e,
    fmt: FormatOpt = Format.auto,
    digits: DigitsOpt = None,
) -> None:
    """Shannon entropy H(P) = -sum P log P; the table adds the perplexity base^H.

    Example: nncalc entropy "0.5,0.25,0.25" --base 2
    """
    _check_temperature(temperature)
    operand = open_operand(p, "P", StdinClaim())
    output = Output(fmt, digits)
    sink = ScalarSink(
        "entropy",
        output,
        batch=operand.is_batch,
        reduction=reduction,
        bounds=Bounds(maximum, minimum),
        base=base,
    )
    last: FloatArray | None = None
    for (chunk,) in aligned_chunks([operand]):
        rows = _distributions(chunk, logits, temperature, normalize, tol)
        sink.add(entropy_rows(rows), chunk.first_row)
        last = rows[-1]
    assert last is not None
    names = _labels_for([operand])
    sink.finish(
        tables=lambda value: reports.entropy_tables(
            value, _shown(last), names, base=base, output=output
        )
    )


@app.command("js")
def js_command(
    p: DistributionP = None,
    q: DistributionQ = None,
    logits: LogitsOpt = False,
    temperature: TemperatureOpt = 1.0,
    normalize: NormalizeOpt = False,
    tol: TolOpt = DEFAULT_TOL,
    reduction: ReductionOpt = None,
    maximum: MaxOpt = None,
    minimum: MinOpt = None,
    base: BaseOpt = Base.e,
    fmt: FormatOpt = Format.auto,
    digits: DigitsOpt = None,
) -> None:
    """Jensen-Shannon divergence: symmetric, <= log 2 (1 bit), finite where KL is not.

    Example: nncalc js "1,0" "0,1" --base 2
    """
    _pairwise_divergence(
        "js",
        js_rows,
        "js_tables",
        p,
        q,
        DistributionOptions(logits, temperature, normalize, tol),
        ScalarOptions(reduction, maximum, minimum, base, fmt, digits),
    )


def _first_row(chunks: Sequence[Chunk]) -> int | None:
    return next((c.first_row for c in chunks if c.first_row is not None), None)


def _check_vae_options(
    recon: float | None, beta: float | None, batch: bool, reduction: Any
) -> float:
    """The KL weight beta of the VAE loss R + beta * KL (1 by default)."""
    if recon is None:
        if beta is not None:
            raise NncalcError(
                "--beta weights the KL in the VAE loss: give --recon R too", operand="--beta"
            )
        return 1.0
    if not np.isfinite(recon):
        raise NncalcError(
            "the reconstruction loss must be a finite number", operand="--recon", token=repr(recon)
        )
    if beta is not None and not (np.isfinite(beta) and beta >= 0):
        raise NncalcError("beta must be a finite number >= 0", operand="--beta", token=repr(beta))
    if batch and reduction is Reduction.none:
        raise NncalcError(
            "the VAE loss adds R to the batch's reduced KL; --reduction none gives one KL per row",
            operand="--recon",
            hint="use --reduction mean or sum, as for R",
        )
    return 1.0 if beta is None else beta


@app.command("kl-normal")
def kl_normal_command(
    mu: Annotated[
        str | None,
        _operand_help("Means mu (one column per latent dim): a vector, '-' or @file.", "MU"),
    ] = None,
    logvar: Annotated[
        str | None,
        _operand_help(
            "Log-variances log sigma^2 (sigmas with --std): a vector, '-' or @file.", "LOGVAR"
        ),
    ] = None,
    mu2: Annotated[
        str | None,
        typer.Option(
            "--mu2", help="Mean of the second Gaussian (default 0): vector, '-' or @file."
        ),
    ] = None,
    logvar2: Annotated[
        str | None,
        typer.Option(
            "--logvar2",
            help="Its log-variance (default 0, i.e. N(0, I)); a sigma with --std.",
        ),
    ] = None,
    std: Annotated[
        bool,
        typer.Option("--std", help="LOGVAR and --logvar2 are standard deviations sigma > 0."),
    ] = False,
    recon: Annotated[
        float | None,
        typer.Option(
            "--recon",
            metavar="R",
            help="Reconstruction loss R: also print the VAE loss R + beta * KL and its parts.",
        ),
    ] = None,
    beta: Annotated[
        float | None,
        typer.Option("--beta", metavar="B", help="Weight of the KL in the VAE loss (default 1)."),
    ] = None,
    reduction: ReductionOpt = None,
    maximum: MaxOpt = None,
    minimum: MinOpt = None,
    base: BaseOpt = Base.e,
    fmt: FormatOpt = Format.auto,
    digits: DigitsOpt = None,
) -> None:
    """KL(N(mu, sigma^2) || N(mu2, sigma2^2)) for diagonal Gaussians, summed over dims.

    Example: nncalc kl-normal "0.5,-1" "0.1,-0.2"
    """
    spread = "sigma" if std else "log-variance"
    spread_name = "SIGMA" if std else "LOGVAR"
    claim = StdinClaim()
    operands = [open_operand(mu, "MU", claim), open_operand(logvar, spread_name, claim)]
    kinds = ["mean", spread]
    if mu2 is not None:
        operands.append(open_operand(mu2, "--mu2", claim))
        kinds.append("mean")
    if logvar2 is not None:
        operands.append(open_operand(logvar2, "--logvar2", claim))
        kinds.append(spread)
    batch = any(op.is_batch for op in operands)
    kl_weight = _check_vae_options(recon, beta, batch, reduction)
    output = Output(fmt, digits)
    sink = ScalarSink(
        "kl_normal",
        output,
        batch=batch,
        reduction=reduction,
        bounds=Bounds(maximum, minimum) if recon is None else Bounds(),
        base=base,
    )
    last: list[FloatArray] = []
    for chunks in aligned_chunks(operands):
        _same_width(chunks)
        for chunk, kind in zip(chunks, kinds, strict=True):
            with chunk.locate():
                check_gaussian(chunk.values, kind=kind)
        width = chunks[0].values.shape[1]
        given = {op.name: chunk.values for op, chunk in zip(operands, chunks, strict=True)}
        arrays = np.broadcast_arrays(
            given["MU"],
            given[spread_name],
            given.get("--mu2", np.zeros((1, width))),
            given.get("--logvar2", np.full((1, width), 1.0 if std else 0.0)),
        )
        terms = kl_normal_terms(*arrays, std=std)
        sink.add(np.sum(terms, axis=-1), _first_row(chunks))
        last = [a[-1] for a in arrays] + [terms[-1]]
    if recon is None:
        sink.finish(
            tables=lambda value: reports.kl_normal_tables(
                value, *last, std=std, base=base, output=output
            )
        )
        return
    kl_value = sink.result()
    loss = recon + kl_weight * kl_value
    record: dict[str, int | float | str | bool | None] = {
        "loss": loss,
        "recon": recon,
        "beta": kl_weight,
        "kl": kl_value,
        "unit": base.unit,
        "reduction": sink.reduction.value if sink.reduction else None,
        "rows": sink.count,
    }
    write_record("VAE loss = recon + beta * KL", record, output)
    bounds = Bounds(maximum, minimum)
    bounds.check("loss", np.array([loss]), None)
    bounds.raise_if_failed()


@app.command("distill")
def distill_command(
    teacher: Annotated[
        str | None, _operand_help("Teacher logits: a vector, '-' (stdin) or @file.", "TEACHER")
    ] = None,
    student: Annotated[
        str | None, _operand_help("Student logits: a vector, '-' (stdin) or @file.", "STUDENT")
    ] = None,
    temperature: TemperatureOpt = 1.0,
    alpha: Annotated[
        float | None,
        typer.Option(
            "--alpha",
            metavar="A",
            help="Weight of the soft term, in [0, 1] (default 0.5); applies only with --label.",
        ),
    ] = None,
    label: Annotated[
        str | None,
        typer.Option(
            "--label",
            "-y",
            help="True class index (0-based), or a batch of them: '-' or @file, one per line.",
        ),
    ] = None,
    reduction: ReductionOpt = None,
    maximum: MaxOpt = None,
    minimum: MinOpt = None,
    base: BaseOpt = Base.e,
    fmt: FormatOpt = Format.auto,
    digits: DigitsOpt = None,
) -> None:
    """Distillation loss A*T^2*KL(softmax(t/T)||softmax(s/T)) + (1-A)*CE(y, softmax(s)).

    Without --label the loss is the soft term T^2*KL alone (--alpha does not apply).

    Example: nncalc distill "2,1,0.1" "1.5,1.2,0.3" -t 2 --alpha 0.7 --label 0
    """
    _check_temperature(temperature)
    weight = DEFAULT_ALPHA if alpha is None else alpha
    check_alpha(weight)
    claim = StdinClaim()
    operands = [open_operand(teacher, "TEACHER", claim), open_operand(student, "STUDENT", claim)]
    if label is not None:
        operands.append(open_operand(label, "--label", claim))
    output = Output(fmt, digits)
    sink = ScalarSink(
        "distill",
        output,
        batch=any(op.is_batch for op in operands),
        reduction=reduction,
        bounds=Bounds(maximum, minimum),
        base=base,
    )
    last: tuple[float, float | None, FloatArray, FloatArray, int | None] | None = None
    for chunks in aligned_chunks(operands):
        teacher_chunk, student_chunk = chunks[:2]
        _same_width([teacher_chunk, student_chunk])
        for chunk in (teacher_chunk, student_chunk):
            with chunk.locate():
                check_logits(chunk.values)
        indices = None
        if label is not None:
            label_chunk = chunks[2]
            with label_chunk.locate():
                if label_chunk.values.shape[1] != 1:
                    raise NncalcError(
                        f"rows have {label_chunk.values.shape[1]} values; give one class index "
                        "per row"
                    )
                indices = class_indices(label_chunk.values[:, 0], teacher_chunk.values.shape[1])
        terms = distill_rows(
            teacher_chunk.values,
            student_chunk.values,
            indices,
            temperature=temperature,
            alpha=weight,
        )
        sink.add(terms.loss, _first_row(chunks))
        hard = None if terms.hard is None else float(terms.hard[-1])
        last_label = None if indices is None else int(indices[-1])
        last = (float(terms.soft[-1]), hard, terms.teacher[-1], terms.student[-1], last_label)
    assert last is not None
    soft, hard, teacher_t, student_t, last_label = last
    names = _labels_for(operands[:2])
    # Only once every input row has passed: an error stays the only stderr line.
    if label is None and alpha is not None:
        sys.stderr.write(
            "nncalc: note: --alpha applies only with --label; "
            "without labels the loss is the soft term T^2*KL alone\n"
        )
    sink.finish(
        tables=lambda value: reports.distill_tables(
            value,
            soft,
            hard,
            teacher_t,
            student_t,
            last_label,
            names,
            temperature=temperature,
            alpha=weight,
            base=base,
            output=output,
        )
    )


class Estimator(str, Enum):
    k1 = "k1"
    k2 = "k2"
    k3 = "k3"


@app.command("kl-approx")
def kl_approx_command(
    logp: Annotated[
        str | None,
        _operand_help(
            "log p(x) of the samples under p (the new policy): vector, '-' or @file.", "LOGP"
        ),
    ] = None,
    logq: Annotated[
        str | None,
        _operand_help("log q(x) under q, the policy the samples x were drawn from.", "LOGQ"),
    ] = None,
    estimator: Annotated[
        Estimator,
        typer.Option("--estimator", "-k", help="The scalar result: k1, k2 or k3 (unbiased, >= 0)."),
    ] = Estimator.k3,
    stats: Annotated[
        bool,
        typer.Option(
            "--stats", help="Mean and standard error of k1, k2, k3 over all samples (a record)."
        ),
    ] = False,
    reduction: ReductionOpt = None,
    maximum: MaxOpt = None,
    minimum: MinOpt = None,
    base: BaseOpt = Base.e,
    fmt: FormatOpt = Format.auto,
    digits: DigitsOpt = None,
) -> None:
    """Schulman's estimators of KL(q || p) from log-probs of samples x ~ q (PPO, GRPO).

    With log r = logp - logq: k1 = -log r, k2 = (log r)^2/2, k3 = (r - 1) - log r.
    A row's result is the mean of k3 (or --estimator) over its samples.

    Example: nncalc kl-approx "-1.2,-0.7,-2.3" "-1.0,-0.9,-2.0"
    """
    if stats and reduction is not None:
        raise NncalcError(
            "--stats pools every sample into one estimate; --reduction does not apply",
            operand="--reduction",
        )
    claim = StdinClaim()
    operands = [open_operand(logp, "LOGP", claim), open_operand(logq, "LOGQ", claim)]
    output = Output(fmt, digits)
    batch = any(op.is_batch for op in operands)
    sink = ScalarSink(
        f"kl_approx_{estimator.value}",
        output,
        batch=batch,
        reduction=reduction,
        bounds=Bounds(maximum, minimum) if not stats else Bounds(),
        base=base,
    )
    pooled = {name: RunningMean() for name in ESTIMATORS}
    for p_chunk, q_chunk in aligned_chunks(operands):
        _same_width([p_chunk, q_chunk])
        with p_chunk.locate():
            check_log_probs(p_chunk.values, sampling=False)
        with q_chunk.locate():
            check_log_probs(q_chunk.values, sampling=True)
        p_rows, q_rows = pair_rows(p_chunk.values, q_chunk.values)
        values = estimator_values(p_rows, q_rows)
        for name, samples in values.items():
            pooled[name].add(samples)
        with np.errstate(invalid="ignore"):
            sink.add(np.mean(values[estimator.value], axis=-1), _first_row([p_chunk, q_chunk]))
    summary = {name: (stat.mean, stat.stderr) for name, stat in pooled.items()}
    count = pooled["k3"].count

    def tables(value: float) -> list[Table]:
        return reports.kl_approx_tables(
            value, summary, count, estimator.value, base=base, output=output
        )

    if not stats:
        sink.finish(tables=tables)
        return
    scale = 1.0 / base.log
    value = summary[estimator.value][0] * scale
    if output.fmt is Format.table:
        reports.draw(tables(value))
    else:
        record: dict[str, int | float | str | bool | None] = {}
        for name, (mean, stderr) in summary.items():
            record[f"{name}_mean"] = mean * scale
            record[f"{name}_stderr"] = stderr * scale
        record["samples"] = count
        record["unit"] = base.unit
        write_record("KL estimators", record, output)
    bounds = Bounds(maximum, minimum)
    bounds.check(f"{estimator.value}_mean", np.array([value]), None)
    bounds.raise_if_failed()


class Positions(str, Enum):
    learned = "learned"
    none = "none"


DtypeChoice = Enum("DtypeChoice", {name: name for name in DTYPE_BYTES}, type=str)  # type: ignore[misc]


def _complete_preset(incomplete: str) -> list[str]:
    from nncalc.core.model_configs import preset_names

    return [name for name in ["list", *preset_names()] if name.startswith(incomplete.lower())]


@app.command("embed-params")
def embed_params(
    vocab_size: Annotated[
        int | None,
        typer.Option("--vocab-size", "-V", min=1, metavar="V", help="Vocabulary size V."),
    ] = None,
    d_model: Annotated[
        int | None,
        typer.Option(
            "--d-model", "-D", min=1, metavar="D", help="Embedding width D (hidden size)."
        ),
    ] = None,
    tied: Annotated[
        bool | None,
        typer.Option(
            "--tied/--untied",
            help="lm_head shares the token embedding or has its own V x D matrix "
            "(default: tied, or the model's setting).",
            show_default=False,
        ),
    ] = None,
    max_len: Annotated[
        int | None,
        typer.Option(
            "--max-len",
            "-L",
            min=1,
            metavar="L",
            help="Context length L: the learned position table's length (see --positions) "
            "and the output's sequence length.",
        ),
    ] = None,
    positions: Annotated[
        Positions | None,
        typer.Option(
            "--positions",
            help="learned: an L x D table (GPT-2, BERT); none: RoPE and friends "
            "(default: learned, or the model family's).",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            metavar="PATH",
            help="A Hugging Face config.json ('-' reads stdin); flags override its values.",
        ),
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            metavar="NAME",
            autocompletion=_complete_preset,
            help="A well-known model (gpt2, llama-3-8b, ...); 'list' shows them all.",
        ),
    ] = None,
    pad_to_multiple: Annotated[
        int | None,
        typer.Option(
            "--pad-to-multiple",
            metavar="M",
            min=1,
            help="Pad the vocabulary up to a multiple of M, as nanoGPT does (50257 -> 50304).",
        ),
    ] = None,
    type_vocab_size: Annotated[
        int | None,
        typer.Option(
            "--type-vocab-size",
            min=0,
            metavar="N",
            help="Rows of a token-type table (BERT: 2); 0 for none.",
        ),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size",
            "-B",
            min=1,
            metavar="B",
            help="Batch size B for the embedding output's shape (B, L, D) and bytes.",
        ),
    ] = None,
    dtype: Annotated[
        DtypeChoice, typer.Option("--dtype", help="Parameter type, for bytes.")
    ] = DtypeChoice["fp32"],
    fmt: FormatOpt = Format.auto,
    digits: DigitsOpt = None,
) -> None:
    """Parameter counts of the token embedding and lm_head, tied or untied.

    Example: nncalc embed-params --preset llama-3-8b --dtype bf16
    """
    from nncalc.core import model_configs as models

    output = Output(fmt, digits)
    if preset is not None and preset.strip().lower() == "list":
        _write_presets(output)
        return
    if config is not None and preset is not None:
        raise NncalcError("pass either --config or --preset, not both", operand="--config")
    source = None
    if config is not None:
        source = models.read_config(config)
    elif preset is not None:
        source = models.preset_config(preset)
    flags = models.Flags(
        vocab_size=vocab_size,
        d_model=d_model,
        tied=tied,
        learned_positions=None if positions is None else positions is Positions.learned,
        max_len=max_len,
        type_vocab_size=type_vocab_size,
    )
    model = models.resolve(source, flags)
    if batch_size is not None and model.max_len is None:
        raise NncalcError(
            "needs a sequence length for the output shape",
            operand="--batch-size",
            hint="pass --max-len L",
        )
    record = embedding_params(
        model.vocab_size,
        model.d_model,
        tied=model.tied,
        max_len=model.max_len,
        learned_positions=model.learned_positions,
        dtype=dtype.value,
        type_vocab_size=model.type_vocab_size,
        position_offset=model.position_offset,
        pad_to_multiple=pad_to_multiple,
        batch_size=batch_size,
    )
    record.update(model.provenance())
    write_record("embedding parameters", record, output)


def _write_presets(output: Output) -> None:
    """``--preset list``: names on a pipe (plain), every column in csv/json/table."""
    from nncalc.core.model_configs import preset_summaries
    from nncalc.output.text import json_value, write

    rows = preset_summaries()
    columns = list(rows[0])
    if output.fmt is Format.plain:
        write("".join(f"{row['preset']}\n" for row in rows), flush=True)
    elif output.fmt is Format.csv:
        lines = [columns] + [[_csv_cell(value) for value in row.values()] for row in rows]
        write("".join(",".join(line) + "\n" for line in lines), flush=True)
    elif output.fmt is Format.json:
        items = [
            "{" + ", ".join(f"{json_value(name)}: {json_value(v)}" for name, v in row.items()) + "}"
            for row in rows
        ]
        write('{"presets": [' + ", ".join(items) + "]}\n", flush=True)
    else:
        from nncalc.output import tables
        from nncalc.output.spec import Table

        # The repo column stays out of the table: it would not fit a terminal.
        shown = [name for name in columns if name != "repo"]
        cells = [[_table_cell(row[name]) for name in shown] for row in rows]
        tables.render([Table(title="embed-params presets", columns=shown, rows=cells)])


def _csv_cell(value: str | int | bool | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _table_cell(value: str | int | bool | None) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


class SgdSchedule(str, Enum):
    constant = "constant"
    step = "step"
    inverse_sqrt = "inverse-sqrt"
    cosine = "cosine"


# sgd's defaults: a run of a few milliseconds that shows the difference.
SGD_SAMPLES, SGD_FEATURES, SGD_NOISE, SGD_BATCH, SGD_EPOCHS, SGD_SEEDS = 200, 5, 0.5, 10, 20, 5
SGD_MAX_VALUES = 50_000_000  # samples x features of a synthetic problem (400 MB of float64)
# A run stays within seconds: updates are Python-level steps, work is NumPy's.
SGD_MAX_UPDATES = 1_000_000
SGD_MAX_WORK = 5_000_000_000


def _not_with(mode: str, given: dict[str, object]) -> None:
    for option, value in given.items():
        if value is not None:
            raise NncalcError(f"does not apply with {mode}", operand=option)


def _read_problem(operand: Operand) -> sgd_core.Problem:
    """All rows of ``--data`` as a least-squares problem (target last)."""
    parts = []
    for (chunk,) in aligned_chunks([operand]):
        with chunk.locate():
            parts.append(sgd_core.problem_from_rows(chunk.values))
    return sgd_core.Problem(
        np.concatenate([part.features for part in parts]),
        np.concatenate([part.targets for part in parts]),
    )


def _one_row_at_a_time(operand: Operand) -> Iterator[Chunk]:
    """Rows as they arrive: a chunk per row, without waiting for more input."""
    if operand.reader is None:
        yield operand.literal_chunk()
        return
    while (chunk := operand.reader.read_chunk(1)) is not None:
        yield chunk


def _online(operand: Operand, lr: float, schedule: str, output: Output) -> None:
    """One SGD step per row as rows arrive; the running loss after each."""
    if schedule not in sgd_core.ONLINE_SCHEDULES:
        raise NncalcError(
            f"schedule '{schedule}' needs a known run length",
            operand="--schedule",
            hint="with --online use constant or inverse-sqrt",
        )
    stream = Output(Format.plain, output.digits) if output.fmt is Format.table else output
    sink = ScalarSink(
        "running_loss",
        stream,
        batch=True,
        reduction=Reduction.none,
        bounds=Bounds(),
        unit="squared error / 2",
    )
    learner: sgd_core.OnlineLearner | None = None
    for chunk in _one_row_at_a_time(operand):
        with chunk.locate():
            row = sgd_core.problem_from_rows(chunk.values)
        if learner is None:
            learner = sgd_core.OnlineLearner(row.dimension, lr=lr, schedule=schedule)
        _, running = learner.update(row.features[0], float(row.targets[0]))
        sink.add(np.array([running]), chunk.first_row or 1)
    if learner is None:  # a header and nothing else
        raise NncalcError("input has no data rows", operand="--data")
    sink.finish()
    if output.fmt is Format.table and learner is not None:
        reports.draw(reports.online_tables(learner, output))


@app.command("sgd")
def sgd_command(
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="Rows x1,...,xd,y (target last): @file.csv, '-' (stdin) or a literal row. "
            "Default: synthetic data.",
            metavar="@FILE|-",
            show_default=False,
        ),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples", min=1, max=100_000_000, help="Synthetic samples n.  [default: 200]"
        ),
    ] = None,
    features: Annotated[
        int | None,
        typer.Option("--features", min=1, max=100_000, help="Synthetic features d.  [default: 5]"),
    ] = None,
    noise: Annotated[
        float | None,
        typer.Option(
            "--noise", help="Standard deviation of the synthetic target noise.  [default: 0.5]"
        ),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size",
            min=1,
            help="SGD mini-batch size; an epoch's last batch takes the rest.  [default: 10]",
        ),
    ] = None,
    lr: Annotated[float, typer.Option("--lr", help="Learning rate (step size) > 0.")] = 0.05,
    schedule: Annotated[
        SgdSchedule,
        typer.Option(
            "--schedule",
            case_sensitive=False,
            help="Step size over the run: constant; step (x0.1 from half the epochs, x0.01 "
            "from 3/4); inverse-sqrt (lr/sqrt(1+epochs done)); cosine (down to 0).",
        ),
    ] = SgdSchedule.constant,
    epochs: Annotated[
        int | None, typer.Option("--epochs", min=1, help="Passes over the data.  [default: 20]")
    ] = None,
    seeds: Annotated[
        int | None,
        typer.Option(
            "--seeds", min=1, max=10_000, help="SGD runs, one shuffling seed each.  [default: 5]"
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", min=0, help="Base seed: synthetic data and SGD shuffles.  [default: 0]"
        ),
    ] = None,
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            help="Read rows as they arrive (stdin, or --data), one update per row; "
            "print the running loss after each.",
        ),
    ] = False,
    fmt: FormatOpt = Format.auto,
    digits: DigitsOpt = None,
) -> None:
    """Full-batch GD against mini-batch SGD on least squares: cost, loss, spread.

    Example: nncalc sgd --samples 200 --features 5 --batch-size 10 --lr 0.05 --epochs 20
    """
    if not (lr > 0 and np.isfinite(lr)):
        raise NncalcError("learning rate must be a positive number", operand="--lr", token=repr(lr))
    if noise is not None and not (noise >= 0 and np.isfinite(noise)):
        raise NncalcError("noise must be a number >= 0", operand="--noise", token=repr(noise))
    output = Output(fmt, digits)
    if online:
        _not_with(
            "--online (each row is used once, as it arrives)",
            {
                "--samples": samples,
                "--features": features,
                "--noise": noise,
                "--batch-size": batch_size,
                "--epochs": epochs,
                "--seeds": seeds,
                "--seed": seed,
            },
        )
        _online(open_operand(data, "--data", StdinClaim()), lr, schedule.value, output)
        return
    seed = 0 if seed is None else seed
    if data is None:
        noise = SGD_NOISE if noise is None else noise
        n = SGD_SAMPLES if samples is None else samples
        d = SGD_FEATURES if features is None else features
        if n * d > SGD_MAX_VALUES:
            raise NncalcError(
                f"a {n} x {d} synthetic problem is over {SGD_MAX_VALUES:,} values "
                "(pass smaller --samples or --features)",
                operand="--features" if d > n else "--samples",
            )
        problem = sgd_core.synthetic_problem(n, d, noise=noise, seed=seed)
        label = "synthetic"
    else:
        _not_with(
            "--data (the data decides)",
            {"--samples": samples, "--features": features, "--noise": noise},
        )
        problem = _read_problem(open_operand(data, "--data", StdinClaim()))
        label = {"-": "stdin"}.get(data, data if data.startswith("@") else "literal")
    if batch_size is not None and batch_size > problem.samples:
        raise NncalcError(
            f"larger than the {problem.samples} samples",
            operand="--batch-size",
            token=str(batch_size),
            hint=f"use at most {problem.samples}",
        )
    batch = min(SGD_BATCH, problem.samples) if batch_size is None else batch_size
    epochs = SGD_EPOCHS if epochs is None else epochs
    seeds = SGD_SEEDS if seeds is None else seeds
    setup = sgd_core.Setup(
        data=label,
        noise=noise,
        seed=seed,
        batch_size=batch,
        lr=lr,
        schedule=schedule.value,
        epochs=epochs,
    )
    per_epoch = -(-problem.samples // batch)
    updates = epochs * (1 + per_epoch * seeds)
    work = epochs * problem.samples * (1 + seeds) * problem.dimension
    if updates > SGD_MAX_UPDATES or work > SGD_MAX_WORK:
        raise NncalcError(
            f"the run would make {updates:,} updates over {work:,} multiply-adds; the limits are "
            f"{SGD_MAX_UPDATES:,} and {SGD_MAX_WORK:,}",
            operand="--epochs",
            hint="lower --epochs or --seeds, or raise --batch-size",
        )
    long_run = reports.is_long_run(
        epochs * (1 + per_epoch * seeds), epochs * problem.samples * (1 + seeds), problem.dimension
    )
    with reports.epoch_progress(epochs * (1 + seeds), long_run=long_run) as hook:
        result = sgd_core.compare(
            problem,
            batch_size=batch,
            lr=lr,
            schedule=schedule.value,
            epochs=epochs,
            seeds=seeds,
            seed=seed,
            on_epoch=hook,
        )
    reports.write_sgd(result, setup, output)
    diverged = result.diverged()
    if diverged:
        sys.stderr.write(
            f"nncalc: warning: {' and '.join(diverged)} diverged (final loss above the "
            f"starting loss); lower --lr (GD is stable for --lr < {result.stable_lr:.4g})\n"
        )
