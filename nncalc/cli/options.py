"""Options shared by the commands, declared once as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nncalc.output.spec import Base, Format, Reduction

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


def operand(text: str, metavar: str) -> Any:
    """An operand argument; its metavar is the operand's name in upper case."""
    return typer.Argument(help=text, show_default=False, metavar=metavar)


DistributionP = Annotated[
    str | None, operand("Distribution P: a vector, '-' (stdin) or @file.", "P")
]
DistributionQ = Annotated[
    str | None, operand("Distribution Q: a vector, '-' (stdin) or @file.", "Q")
]
