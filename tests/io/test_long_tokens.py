"""The long-token check of wide rows: it looks at a few bytes of each block, so
it is checked here against measuring every run of number bytes."""

from __future__ import annotations

import random
import re

import pytest

from nncalc.io import tokens

BREAK = re.compile(r"[^0-9+\-.eEiInNfFaAtTyY]")


def measured(lines: list[str], limit: int) -> bool:
    return any(len(run) > limit for line in lines for run in BREAK.split(line))


@pytest.mark.parametrize("limit", [5, 40, 400])
def test_has_long_token_agrees_with_measuring_every_run(
    limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "MAX_TOKEN_CHARS", limit)
    rng = random.Random(limit)
    for _ in range(1500):
        lines = [
            "".join(
                rng.choice("0123456789,.e- x\u00e9;") if rng.random() < 0.3 else rng.choice("0123")
                for _ in range(rng.choice([0, 3, 30, 60, 500, 900]))
            )
            for _ in range(rng.randint(0, 5))
        ]
        assert tokens.has_long_token(lines) == measured(lines, limit), lines


def test_a_long_number_in_a_wide_row_is_found_wherever_it_is() -> None:
    row = ["0.125"] * 5000
    assert not tokens.has_long_token([",".join(row)] * 3)
    for at in (0, 1, 2499, 4999):
        long_row = row.copy()
        long_row[at] = "1" + "0" * tokens.MAX_TOKEN_CHARS
        assert tokens.has_long_token([",".join(row), ",".join(long_row)])
    exact = row.copy()
    exact[7] = "1" * tokens.MAX_TOKEN_CHARS
    assert not tokens.has_long_token([",".join(exact)])


@pytest.mark.parametrize("alphabet", ["0123+|\t", '0123 "#,;', "0123\n+-.eE"])
def test_separators_that_rule_a_block_out(alphabet: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every byte below '+', and ',' ';' '|', ends a number; '+' does not.
    monkeypatch.setattr(tokens, "MAX_TOKEN_CHARS", 40)
    rng = random.Random(alphabet)
    for _ in range(500):
        line = "".join(
            rng.choice(alphabet) if rng.random() < 0.05 else rng.choice("0123")
            for _ in range(rng.choice([30, 90, 300]))
        )
        assert tokens.has_long_token([line]) == measured([line], 40), line


@pytest.mark.parametrize("size", [0, 5, 4095, 4096, 100_000])
def test_count_newlines_is_str_count(size: int) -> None:
    rng = random.Random(size)
    text = "".join(rng.choice("12\n\u00e9\u2212,") for _ in range(size))
    assert tokens.count_newlines(text) == text.count("\n")
