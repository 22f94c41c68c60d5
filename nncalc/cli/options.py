"""Options shared by the commands, declared once as ``Annotated`` aliases."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast, get_args

import typer

from nncalc.cli.completion import complete_at_path
from nncalc.cli.option_values import complete_reduction
from nncalc.cli.pipeline import Scalars, terminal_output
from nncalc.cli.steps.distributions import Distributions
from nncalc.cli.table_input import TableInput
from nncalc.core.arrays import DEFAULT_TOL
from nncalc.core.distribution import check_tol
from nncalc.output.spec import Base, Format

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
    str | None,
    typer.Option(
        "--reduction",
        "-r",
        metavar="R",
        autocompletion=complete_reduction,
        help="Batch reduction: mean (default), sum, max, min, median, pNN (percentile: "
        "p90, p99.9), none (one value per row).",
        show_default=False,
    ),
]
MaxOpt = Annotated[
    float | None,
    typer.Option(
        "--max",
        help="Exit 1 if the (reduced) result is above X, or NaN (CI check; X finite).",
        metavar="X",
    ),
]
MinOpt = Annotated[
    float | None,
    typer.Option(
        "--min",
        help="Exit 1 if the (reduced) result is below X, or NaN (CI check; X finite).",
        metavar="X",
    ),
]


def operand_option(*flags: str, help: str, **more: Any) -> Any:
    """An option whose value may be an @file (an operand, or --labels' names).

    <Tab> after an ``@`` completes file names, as for :func:`operand`.
    """
    return typer.Option(*flags, help=help, autocompletion=complete_at_path, **more)


MaskOpt = Annotated[
    str | None,
    operand_option(
        "--mask",
        metavar="M",
        help="0 or 1 per row: rows marked 0 (padding) are left out of the results and "
        "every reduction. A vector, '-' (stdin), @file (one per line) or @mask.npy.",
        show_default=False,
    ),
]


def output_path(text: str) -> Any:
    """The -o/--output PATH option, with the command's own help ``text``."""
    return typer.Option("--output", "-o", metavar="PATH", help=text, show_default=False)


OutputOpt = Annotated[
    str | None,
    output_path("Also write every row's result to PATH, by extension: .npy, .csv, .jsonl, .json."),
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


# The table options of text operands (csvkit's common arguments): one
# declaration each, read by the one reader (nncalc.io.reader.BatchReader).
SepOpt = Annotated[
    str | None,
    typer.Option(
        "--sep",
        "-d",
        metavar="SEP",
        help="Column separator: ',' '\\t' ';' '|' or ' ' (runs of spaces), e.g. -d ';' "
        "(default: the first of those the first data line holds).",
        show_default=False,
    ),
]
HeaderOpt = Annotated[
    bool | None,
    typer.Option(
        "--header/--no-header",
        help="The first line names the columns, or is data, e.g. --no-header for 0,1,2 "
        "(default: a header when none of its fields is a number).",
        show_default=False,
    ),
]
ColumnsOpt = Annotated[
    str | None,
    typer.Option(
        "--columns",
        "-c",
        metavar="SPEC",
        help="The class columns, by name, 1-based position, range or glob, e.g. -c p_cat,p_dog "
        "or -c 2-11 or -c 'p_*'; other columns are ignored. Headers pair by name.",
        show_default=False,
    ),
]
IdOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--id",
        metavar="COL",
        help="A column copied first into each output row, by name or position, e.g. "
        "--id sample_id (repeatable); without --reduction, one result per row.",
        show_default=False,
    ),
]
TargetColOpt = Annotated[
    str | None,
    typer.Option(
        "--target-col",
        metavar="COL",
        help="Each row's target from this column of the first file: a class index or a "
        "class name of its header, e.g. --target-col label.",
        show_default=False,
    ),
]


def domain(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A Typer callback: the option's value through the core's ``check`` at parse time.

    The check raises :class:`~nncalc.errors.NncalcError` with its ``param``,
    which the command line words as ``--option: 'value': domain`` (exit 2)
    before any input is read. ``None`` (option not given) passes.
    """

    def callback(value: Any) -> Any:
        return value if value is None else check(value)

    return callback


TolOpt = Annotated[
    float,
    typer.Option(
        "--tol",
        help="Accept rows whose sum is within this relative tolerance of 1 (in [0, 1)).",
        callback=domain(check_tol),
    ),
]


def operand(text: str, metavar: str) -> Any:
    """An operand argument; its metavar is the operand's name in upper case.

    <Tab> after an ``@`` completes file names (:mod:`nncalc.cli.completion`).
    """
    return typer.Argument(
        help=text, show_default=False, metavar=metavar, autocompletion=complete_at_path
    )


DistributionP = Annotated[
    str | None, operand("Distribution P: a vector, '-' (stdin) or @file.", "P")
]
DistributionQ = Annotated[
    str | None, operand("Distribution Q: a vector, '-' (stdin) or @file.", "Q")
]


# Option groups: a decorator adds the group's options to a command (after its
# own) and hands the command one object built from them, as sqlite-utils adds
# its output options to every command with one decorator.
Group = list[tuple[str, Any, Any]]  # (parameter, Annotated alias, default)

SCALAR_OUTPUT: Group = [
    ("reduction", ReductionOpt, None),
    ("maximum", MaxOpt, None),
    ("minimum", MinOpt, None),
    ("base", BaseOpt, Base.e),
    ("fmt", FormatOpt, Format.auto),
    ("digits", DigitsOpt, None),
    ("mask", MaskOpt, None),
    ("path", OutputOpt, None),
]
RECORD_OUTPUT: Group = [("fmt", FormatOpt, Format.auto), ("digits", DigitsOpt, None)]
DISTRIBUTION: Group = [
    ("logits", LogitsOpt, False),
    ("temperature", TemperatureOpt, 1.0),
    ("normalize", NormalizeOpt, False),
    ("tol", TolOpt, DEFAULT_TOL),
]

TABLE_INPUT: Group = [
    ("sep", SepOpt, None),
    ("header", HeaderOpt, None),
    ("columns", ColumnsOpt, None),
]
IDS: Group = [("ids", IdOpt, None)]
TARGET_COLUMN: Group = [("target_col", TargetColOpt, None)]

Command = TypeVar("Command", bound=Callable[..., None])


def implied(parameter: inspect.Parameter) -> inspect.Parameter:
    """``parameter`` with its default: as declared, or implied by its type.

    A command declares its options keyword-only, a default only where the
    type does not imply one: a flag (``bool``) is off, an optional value
    (``X | None``) absent. Group keywords (``table``, ``out``, ``how``) have
    none; any other parameter without one is a mistake in the command.
    """
    if parameter.default is not inspect.Parameter.empty:
        return parameter
    hinted = get_args(parameter.annotation)  # Annotated[type, typer.Option(...)]
    if not hinted:
        return parameter  # a group's keyword, handed in by its decorator
    kinds = get_args(hinted[0])  # the members of X | None
    if type(None) in kinds:
        return parameter.replace(default=None)
    if hinted[0] is bool:
        return parameter.replace(default=False)
    raise TypeError(f"option {parameter.name!r} needs a default")


def option_group(
    group: Group, keyword: str, build: Callable[..., object]
) -> Callable[[Command], Command]:
    """A decorator: ``group``'s options replace the command's ``keyword`` argument.

    The command declares ``keyword`` as a keyword-only parameter; it is
    called with ``build(**values of the group's options)`` in its place.
    """

    def decorate(command: Command) -> Command:
        signature = inspect.signature(command, eval_str=True)
        own = [implied(p) for p in signature.parameters.values() if p.name != keyword]
        added = [
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=alias
            )
            for name, alias, default in group
        ]
        names = [name for name, _, _ in group]

        @functools.wraps(command)
        def with_group(**values: Any) -> None:
            built = build(**{name: values.pop(name) for name in names})
            command(**values, **{keyword: built})

        parameters = own + added
        with_group.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        with_group.__annotations__ = {p.name: p.annotation for p in parameters}
        return cast(Command, with_group)

    return decorate


def scalar_output(command: Command) -> Command:
    """Add --reduction, --max, --min, --base, --format, --digits, --mask, -o as ``out: Scalars``."""
    return option_group(SCALAR_OUTPUT, "out", Scalars)(command)


def record_output(command: Command) -> Command:
    """Add --format, --digits as ``out: Output`` (for this run's terminal)."""
    return option_group(RECORD_OUTPUT, "out", terminal_output)(command)


def distribution_options(command: Command) -> Command:
    """Add --logits, --temperature, --normalize, --tol as ``how: Distributions``."""
    return option_group(DISTRIBUTION, "how", Distributions)(command)


def table_options(*, ids: bool = True, target: bool = False) -> Callable[[Command], Command]:
    """Add --sep, --header/--no-header, --columns (and --id; --target-col with
    ``target``) as ``table: TableInput``."""
    group = TABLE_INPUT + (IDS if ids else []) + (TARGET_COLUMN if target else [])
    return option_group(group, "table", TableInput)
