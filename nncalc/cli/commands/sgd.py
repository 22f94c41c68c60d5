"""nncalc sgd."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from nncalc.cli.options import operand_option, record_output, table_options
from nncalc.cli.steps.sgd import SgdRun, Sizes
from nncalc.cli.table_input import TableInput
from nncalc.output.spec import Output


class SgdSchedule(str, Enum):
    constant = "constant"
    step = "step"
    inverse_sqrt = "inverse-sqrt"
    cosine = "cosine"


DataOpt = Annotated[
    str | None,
    operand_option(
        "--data",
        help="Rows x1,...,xd,y (target last): @file.csv, '-' (stdin) or a literal row. "
        "Default: synthetic data.",
        metavar="@FILE|-",
        show_default=False,
    ),
]
SamplesOpt = Annotated[
    int | None,
    typer.Option("--samples", min=1, max=100_000_000, help="Synthetic samples n.  [default: 200]"),
]
FeaturesOpt = Annotated[
    int | None,
    typer.Option("--features", min=1, max=100_000, help="Synthetic features d.  [default: 5]"),
]
NoiseOpt = Annotated[
    float | None,
    typer.Option(
        "--noise", help="Standard deviation of the synthetic target noise.  [default: 0.5]"
    ),
]
BatchSizeOpt = Annotated[
    int | None,
    typer.Option(
        "--batch-size",
        min=1,
        help="SGD mini-batch size; an epoch's last batch takes the rest.  [default: 10]",
    ),
]
LrOpt = Annotated[float, typer.Option("--lr", help="Learning rate (step size) > 0.")]
ScheduleOpt = Annotated[
    SgdSchedule,
    typer.Option(
        "--schedule",
        case_sensitive=False,
        help="Step size over the run: constant; step (x0.1 from half the epochs, x0.01 "
        "from 3/4); inverse-sqrt (lr/sqrt(1+epochs done)); cosine (down to 0).",
    ),
]
EpochsOpt = Annotated[
    int | None, typer.Option("--epochs", min=1, help="Passes over the data.  [default: 20]")
]
SeedOpt = Annotated[
    int | None,
    typer.Option("--seed", min=0, help="Base seed: synthetic data and SGD shuffles.  [default: 0]"),
]
OnlineOpt = Annotated[
    bool,
    typer.Option(
        "--online",
        help="Read rows as they arrive (stdin, or --data), one update per row; "
        "print the running loss after each.",
    ),
]


@table_options(ids=False)
@record_output
def sgd(
    *,
    data: DataOpt,
    samples: SamplesOpt,
    features: FeaturesOpt,
    noise: NoiseOpt,
    batch_size: BatchSizeOpt,
    lr: LrOpt = 0.05,
    schedule: ScheduleOpt = SgdSchedule.constant,
    epochs: EpochsOpt,
    seeds: Annotated[
        int | None,
        typer.Option(
            "--seeds", min=1, max=10_000, help="SGD runs, one shuffling seed each.  [default: 5]"
        ),
    ],
    seed: SeedOpt,
    online: OnlineOpt,
    table: TableInput,
    out: Output,
) -> None:
    """Full-batch GD against mini-batch SGD on least squares: cost, loss, spread.

    Example: nncalc sgd --samples 200 --features 5 --batch-size 10 --lr 0.05 --epochs 20
    """
    sizes = Sizes(
        samples=samples,
        features=features,
        noise=noise,
        batch_size=batch_size,
        epochs=epochs,
        seeds=seeds,
        seed=seed,
    )
    step = SgdRun(data, sizes, lr=lr, schedule=schedule.value, online=online, table=table)
    step.write(out)
