"""nncalc kl."""

from __future__ import annotations

from nncalc.cli.commands.pairwise import pairwise_command
from nncalc.cli.steps.distributions import KL

kl = pairwise_command(
    "kl",
    KL,
    """KL divergence D_KL(P || Q) = sum P log(P/Q); batches: mean over rows (batchmean).

    Example: nncalc kl "0,0,1,0" "0.1,0.2,0.6,0.1"
    """,
)
