"""The tables people see next to an answer: related quantities, per class.

Builders take the math results and return :class:`~nncalc.output.spec.Table`
specs; :mod:`nncalc.output.tables` (and so Rich) is imported only to draw them.
"""

from nncalc.output.reports.common import draw
from nncalc.output.reports.distributions import (
    entropy_tables,
    js_tables,
    kl_tables,
    softmax_tables,
    xent_option_table,
    xent_tables,
)
from nncalc.output.reports.models import distill_tables, kl_approx_tables, kl_normal_tables
from nncalc.output.reports.sgd import epoch_progress, is_long_run, online_tables, write_sgd
from nncalc.output.spec import TABLE_ROWS

__all__ = [
    "TABLE_ROWS",
    "distill_tables",
    "draw",
    "entropy_tables",
    "epoch_progress",
    "is_long_run",
    "js_tables",
    "kl_approx_tables",
    "kl_normal_tables",
    "kl_tables",
    "online_tables",
    "softmax_tables",
    "write_sgd",
    "xent_option_table",
    "xent_tables",
]
