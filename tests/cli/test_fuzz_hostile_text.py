"""Fuzzed hostile labels, header names and config strings: never markup, control
bytes, extra records or extra CSV fields, never an internal error."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nncalc.cli.app import app
from nncalc.output.environment import Environment
from tests.conftest import run

pytestmark = pytest.mark.slow

HOSTILE_PIECES = [
    "[",
    "]",
    "[/bold]",
    "[link=http://x]",
    "\x1b[2J",
    "\x1b]8;;",
    "\r",
    "\n",
    ",",
    '"',
    "=",
    "\x00",
    "\x7f",
    "\x85",
    "\x9b",
    "\t",
    "\u2028",
    "é",
    "a",
]
# One label: pieces of markup, escapes and separators, never empty or blank.
LABEL = (
    st.lists(st.sampled_from(HOSTILE_PIECES), min_size=1, max_size=6)
    .map("".join)
    .filter(lambda text: text.strip() != "" and "\x00" not in text)
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def labels_file(labels: list[str]) -> str:
    """A labels file, one label a line (line breaks inside a label made spaces)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as out:
        for label in labels:
            out.write(label.replace("\n", " ").replace("\r", " ").replace("\u2028", " ") + "\n")
    return "@" + out.name


@FUZZ
@given(st.lists(LABEL, min_size=2, max_size=2, unique=True))
def test_hostile_labels_in_every_format(labels: list[str]) -> None:
    source = labels_file(labels)
    try:
        table_env = Environment(stdout_isatty=True, no_color=True, width=100)
        shown = CliRunner().invoke(
            app, ["softmax", "1,2", "--labels", source, "-f", "table"], environment=table_env
        )
        assert shown.exit_code in (0, 2), shown.stderr
        if shown.exit_code == 0:
            # Rich's own bold codes only: nothing the data wrote reaches the terminal.
            assert "\x1b[2J" not in shown.stdout and "\x1b]8;" not in shown.stdout
            assert "\x9b" not in shown.stdout and "\r" not in shown.stdout
        as_csv = run("softmax", "-", "--labels", source, "-f", "csv", input="1,2\n3,4\n")
        if as_csv.exit_code == 0:
            rows = list(csv.reader(io.StringIO(as_csv.stdout)))
            assert len(rows) == 3 and all(len(row) == len(rows[0]) for row in rows)
        as_json = run("softmax", "-", "--labels", source, "-f", "json", input="1,2\n")
        if as_json.exit_code == 0:
            json.loads(as_json.stdout)
        for result in (as_csv, as_json):
            assert result.exit_code in (0, 2), result.stderr
            assert "Traceback" not in result.stderr
    finally:
        Path(source[1:]).unlink()


@FUZZ
@given(LABEL)
def test_hostile_config_strings_never_add_records(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.json"
        config = {"model_type": text, "architectures": [text], "vocab_size": 10, "hidden_size": 4}
        path.write_text(json.dumps(config))
        plain = run("embed-params", "--config", str(path), "-f", "plain")
        assert plain.exit_code == 0, plain.stderr
        clean = run("embed-params", "-V", "10", "-D", "4", "--untied", "-f", "plain")
        names = [line.split("=", 1)[0] for line in plain.stdout.splitlines()]
        assert all("=" in line for line in plain.stdout.splitlines())
        assert "\x1b" not in plain.stdout and "\r" not in plain.stdout
        assert len(names) == len(set(names))
        assert "vocab_size" in names and clean.exit_code == 0
        as_csv = run("embed-params", "--config", str(path), "-f", "csv")
        rows = list(csv.reader(io.StringIO(as_csv.stdout)))
        assert all(len(row) == len(rows[0]) for row in rows)
