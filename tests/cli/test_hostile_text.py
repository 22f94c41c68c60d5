"""Text from the data (labels, header names, config strings) is shown, never obeyed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from nncalc.cli.app import app
from nncalc.output.environment import Environment
from tests.conftest import run

HOSTILE = "evil,x\ninjected=1"


def table(*args: str, width: int = 120) -> Result:
    """A table on a (pretend) terminal of ``width`` columns, without colour."""
    env = Environment(stdout_isatty=True, no_color=True, width=width)
    return CliRunner().invoke(app, [*args, "-f", "table"], environment=env)


def hostile_config(tmp_path: Path) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": HOSTILE, "vocab_size": 10, "hidden_size": 4}))
    return str(path)


def test_a_closing_markup_tag_in_a_label_is_shown_not_an_error() -> None:
    result = table("softmax", "1,2", "--labels", "[/bold],b")
    assert result.exit_code == 0, result.stderr
    assert "[/bold]" in result.stdout


@pytest.mark.parametrize("label", ["[bold]x", "[link=https://example.com]x", "[red]x[/red]"])
def test_markup_in_a_label_is_shown_literally(label: str) -> None:
    result = table("softmax", "1,2", "--labels", f"{label},b")
    assert result.exit_code == 0, result.stderr
    assert label in result.stdout
    assert "\x1b]8;" not in result.stdout  # no terminal hyperlink


def test_control_bytes_from_a_labels_file_are_visible_escapes(tmp_path: Path) -> None:
    labels = tmp_path / "v.txt"
    labels.write_bytes(b"a\x1b[2Jb\nc\n")
    result = table("softmax", "1,2", "--labels", f"@{labels}")
    assert result.exit_code == 0, result.stderr
    assert "a\\x1b[2Jb" in result.stdout
    assert "\x1b[2J" not in result.stdout


def test_control_characters_in_a_label_never_reach_the_table() -> None:
    result = table("softmax", "1,2", "--labels", "x\ry\x00\x9b,b")
    assert result.exit_code == 0, result.stderr
    assert "x\\ry\\x00\\x9b" in result.stdout
    assert not {"\r", "\x00", "\x9b"} & set(result.stdout)


def test_csv_header_names_in_a_table_are_shown_literally(tmp_path: Path) -> None:
    data = tmp_path / "p.csv"
    data.write_text('"[bold]a","[/x]b"\n1,2\n')
    result = table("softmax", f"@{data}")
    assert result.exit_code == 0, result.stderr
    assert "[bold]a" in result.stdout and "[/x]b" in result.stdout


def test_a_config_string_adds_no_line_to_a_plain_record(tmp_path: Path) -> None:
    result = run("embed-params", "--config", hostile_config(tmp_path), "-f", "plain")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "model_type=evil,x\\ninjected=1" in lines
    assert not any(line.startswith("injected=") for line in lines)


def test_a_config_string_stays_in_its_csv_cell(tmp_path: Path) -> None:
    result = run("embed-params", "--config", hostile_config(tmp_path), "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2
    header, row = csv.reader(io.StringIO(result.stdout))
    assert dict(zip(header, row, strict=True))["model_type"] == "evil,x\\ninjected=1"


def test_a_config_string_round_trips_through_json(tmp_path: Path) -> None:
    result = run("embed-params", "--config", hostile_config(tmp_path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["model_type"] == HOSTILE


def test_a_config_string_in_a_table_is_one_visible_cell(tmp_path: Path) -> None:
    result = table("embed-params", "--config", hostile_config(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert "evil,x\\ninjected=1" in result.stdout


def test_labels_in_plain_top_output_stay_on_their_line() -> None:
    result = run("softmax", "1,2", "--labels", "a\nb=1,c", "--top", "2")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["c:0.7310585786300049,a\\nb=1:0.2689414213699951"]


def test_labels_in_a_csv_header_stay_in_their_cell() -> None:
    result = run("softmax", "1,2", "--labels", '"a\n""b",c', "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert next(csv.reader(io.StringIO(result.stdout))) == ['a\\n"b', "c"]


def test_a_line_break_outside_quotes_in_labels_is_a_usage_error() -> None:
    result = run("softmax", "1,2", "--labels", 'a\n"b,c')
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("nncalc: error: --labels")
