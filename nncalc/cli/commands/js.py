"""nncalc js."""

from __future__ import annotations

from nncalc.cli.commands.pairwise import pairwise_command
from nncalc.cli.steps.distributions import JS

js = pairwise_command(
    "js",
    JS,
    """Jensen-Shannon divergence: symmetric, <= log 2 (1 bit), finite where KL is not.

    Example: nncalc js "1,0" "0,1" --base 2
    """,
)
