"""Every command's table stays readable at 40, 60 and 80 columns.

Drawn through the injectable Environment at a fixed width: no line wider
than the terminal, every header word and every number whole (a header
word broken mid-word, "probab-ility", fails), whatever the layout (a
table, or the vertical name/value listing when the columns cannot fit).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nncalc.cli.app import app
from nncalc.output import tables
from nncalc.output.environment import Environment
from nncalc.output.spec import Bar, Table

BATCH = "cat,dog,fish\n2,1,0.1\n0,0,5\n"
COMMANDS = {
    "softmax": ["softmax", "2,1,0.1", "--labels", "cat,dog,fish"],
    "softmax batch": ["softmax", "-"],
    "softmax top 2": ["softmax", "-", "--top", "2"],
    "xent": ["xent", "1", "0.1,0.7,0.2"],
    "xent weighted": ["xent", "1", "0.1,0.7,0.2", "--weight", "1,2,3", "--label-smoothing", "0.2"],
    "kl": ["kl", "0,0,1,0", "0.1,0.2,0.6,0.1"],
    "kl batch": ["kl", "-", "0.2,0.3,0.5", "--logits"],
    "entropy": ["entropy", "0.5,0.25,0.25"],
    "js": ["js", "0.9,0.1", "0.5,0.5"],
    "kl-normal": ["kl-normal", "0.5,-1", "0.1,-0.2"],
    "kl-normal recon": ["kl-normal", "0.5,-1", "0.1,-0.2", "--recon", "41.5", "--beta", "4"],
    "distill": ["distill", "2,1,0.1", "1.5,1.2,0.3", "-t", "2", "--alpha", "0.7", "--label", "0"],
    "kl-approx": ["kl-approx", "-1.2,-0.7,-2.3", "-1.0,-0.9,-2.0"],
    "kl-approx stats": ["kl-approx", "-1.2,-0.7,-2.3", "-1.0,-0.9,-2.0", "--stats"],
    "compare": ["compare", "-", "0,0,4.5", "--target", "0,2"],
    "embed-params": ["embed-params", "--preset", "llama-3-8b", "--dtype", "bf16"],
    "embed-params list": ["embed-params", "--preset", "list"],
    "sgd": ["sgd", "--epochs", "5"],
}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def draw(args: list[str], width: int, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[Table]]:
    drawn: list[Table] = []
    real = tables.render

    def render(items: list[Table], env: Any = None) -> None:
        drawn.extend(items)
        real(items, env)

    monkeypatch.setattr(tables, "render", render)
    env = Environment(stdout_isatty=True, no_color=True, width=width)
    result = CliRunner().invoke(app, [*args, "--format", "table"], input=BATCH, environment=env)
    assert result.exit_code == 0, result.stderr
    return ANSI.sub("", result.stdout), drawn


@pytest.mark.parametrize("width", [40, 60, 80])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_tables_fit_without_breaking_words_or_numbers(
    name: str, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, drawn = draw(COMMANDS[name], width, monkeypatch)
    assert drawn, "no table was drawn"
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width, text
    words = set(text.replace("│", " ").replace("|", " ").split())
    for table in drawn:
        for column in table.columns:
            for word in column.split():
                assert word in words, (word, text)
        for row in table.rows:
            for cell in row:
                if isinstance(cell, Bar) or not re.fullmatch(r"-?[\d.,e+-]+%?", cell):
                    continue
                assert cell in words, (cell, text)


def test_a_header_word_is_never_broken(monkeypatch: pytest.MonkeyPatch) -> None:
    text, _ = draw(["softmax", "2,1,0.1"], 40, monkeypatch)
    assert "probability" in text and "probab" not in text.replace("probability", "")


def test_softmax_batch_top_k_lists_k_classes_per_row(tmp_path: Path) -> None:
    assert tmp_path  # the batch comes on stdin
    for k in (2, 3):
        env = Environment(stdout_isatty=True, no_color=True, width=100)
        result = CliRunner().invoke(
            app, ["softmax", "-", "--top", str(k), "-f", "table"], input=BATCH, environment=env
        )
        assert result.exit_code == 0, result.stderr
        body = [line for line in result.stdout.splitlines() if re.match(r"│ [\d ]+ │ +\d+ │", line)]
        assert len(body) == 2 * k, result.stdout
        ranks = [int(line.split("│")[2]) for line in body]
        assert ranks == list(range(1, k + 1)) * 2
        assert f"the {k} most probable classes" in result.stdout
    one = CliRunner().invoke(app, ["softmax", "-", "--top", "1", "-f", "table"], input=BATCH)
    assert "the 1 most probable class" in one.stdout and "classes" not in one.stdout
