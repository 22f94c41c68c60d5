"""What each command computes on a chunk of rows: the math decisions, written once.

A step names its operands, checks its options, turns operand chunks into
per-row results with the core functions, and knows its tables. The
pipeline (:mod:`nncalc.cli.pipeline`) runs it; the command files only
declare options and build a step.
"""

from typing import TYPE_CHECKING

from nncalc.cli import startup

if TYPE_CHECKING:
    from nncalc.output import reports as reports
else:  # the table builders, loaded when a table is drawn
    reports = startup.lazy_module("nncalc.output.reports")
