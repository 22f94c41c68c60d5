"""The xent table shows what adds up: a weighted loss gets its weighted terms, not H + KL."""

from __future__ import annotations

import math
import re

import pytest
from typer.testing import CliRunner

from nncalc.cli.app import app
from nncalc.output.environment import Environment
from tests.conftest import ok

WEIGHTED = ["xent", "1", "0.1,0.7,0.2", "--weight", "1,2,3", "--label-smoothing", "0.2"]


def table(*args: str) -> str:
    """The tables at full precision, on a terminal wide enough for them."""
    wide = Environment(width=200)
    argv = [*args, "--format", "table", "--digits", "17"]
    result = CliRunner().invoke(app, argv, environment=wide)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def quantity(text: str, name: str) -> float:
    match = re.search(rf"\| {re.escape(name)}\s*\|\s*(\S+) \|", text)
    assert match, (name, text)
    return float(match.group(1))


def terms(text: str) -> list[float]:
    """The last column of the per-class table."""
    body = text.split("per class", 1)[1]
    return [float(line.split("|")[-2]) for line in body.splitlines() if re.match(r"\| \d ", line)]


@pytest.mark.parametrize(
    "args",
    [
        WEIGHTED,
        [*WEIGHTED, "--reduction", "sum"],
        ["xent", "0.2,0.5,0.3", "0.1,0.7,0.2", "--weight", "1,2,3"],
        ["xent", "2", "2,1,0.1", "--logits", "--weight", "0.5,1,4"],
    ],
)
def test_weighted_terms_sum_to_the_weighted_loss_shown(args: list[str]) -> None:
    text = table(*args)
    value = quantity(text, "weighted H(target, pred) (nats)")
    assert value == pytest.approx(float(ok(*args)), rel=1e-15)
    shown = terms(text)
    assert len(shown) == 3
    assert math.fsum(shown) == pytest.approx(value, rel=1e-14)
    # The unweighted decomposition would not add up, so it is not shown.
    assert "KL(target||pred)" not in text and "H(target) (nats)" not in text


def test_the_weighted_mean_names_its_denominator() -> None:
    text = table(*WEIGHTED)
    assert quantity(text, "mean: divided by w(true class)") == 2.0
    total = quantity(text, "sum over classes of w y (-log pred)")
    assert total / 2 == pytest.approx(quantity(text, "weighted H(target, pred) (nats)"))


def test_unweighted_table_keeps_the_decomposition_that_adds_up() -> None:
    text = table("xent", "1", "0.1,0.7,0.2", "--label-smoothing", "0.2")
    value = quantity(text, "H(target, pred) (nats)")
    parts = quantity(text, "H(target) (nats)") + quantity(text, "KL(target||pred) (nats)")
    assert parts == pytest.approx(value, rel=1e-14)
    assert math.fsum(terms(text)) == pytest.approx(value, rel=1e-14)
