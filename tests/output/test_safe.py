"""Text from the data cannot become markup, control sequences, lines or rows."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from rich.console import Console
from rich.table import Table

from nncalc.output.safe import (
    csv_row,
    for_record_name,
    for_record_value,
    for_table,
    visible_controls,
)

ESC = "\x1b"

HOSTILE = [
    "[bold]x",
    "[/bold]",
    "a[/bold]b",
    "[link=http://x]click[/link]",
    "[red on blue]x[/]",
    "[",
    "]",
    "\\[bold]x",
    "x\\",
    f"a{ESC}[2Jb",
    f"{ESC}[31mred{ESC}[0m",
    f"{ESC}]8;;http://x{ESC}\\link{ESC}]8;;{ESC}\\",
    "a\rb",
    "evil,x\ninjected=1",
    'say "hi"',
    "nul\x00byte",
    "del\x7fete",
    "c1\x85next\x9b31m",
    "tab\there",
    "bell\x07",
    "rtl\u202eevil",
    "line\u2028sep",
]

# Every character the data may not send to a terminal raw.
CONTROLS = {*map(chr, range(0x20)), "\x7f", *map(chr, range(0x80, 0xA0)), "\u2028", "\u2029"}
CONTROLS |= {*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}


def terminal_bytes(cells: list[str], width: int = 80) -> str:
    """What a colour terminal receives for a table of the cells (title, header, rows)."""
    out = io.StringIO()
    console = Console(width=width, force_terminal=True, color_system="truecolor", file=out)
    table = Table(title=for_table(cells[0]))
    table.add_column(for_table(cells[0]))
    for cell in cells:
        table.add_row(for_table(cell))
    console.print(table)
    return out.getvalue()


def text_of(cells: list[str]) -> list[str]:
    """The cells as a table shows them, one per line, without styles."""
    console = Console(record=True, width=200, force_terminal=True, file=io.StringIO())
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(no_wrap=True)
    for cell in cells:
        table.add_row(for_table(cell))
    console.print(table)
    return [line.rstrip() for line in console.export_text().splitlines()]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_table_shows_the_text_literally(text: str) -> None:
    console = Console(record=True, width=200, force_terminal=True, file=io.StringIO())
    console.print(for_table(text), end="", soft_wrap=True)
    assert console.export_text() == visible_controls(text)
    assert text_of([text]) == [visible_controls(text).rstrip()]


# Rich's own styling: Select Graphic Rendition sequences, ESC [ ... m.
SGR = re.compile("\x1b\\[[0-9;]*m")


@pytest.mark.parametrize("text", HOSTILE)
def test_no_control_sequence_or_link_from_the_data_reaches_the_terminal(text: str) -> None:
    assert not (set(for_table(text)) & CONTROLS)
    output = terminal_bytes([text, "plain"])
    assert "\x1b]8;" not in output  # no OSC 8 hyperlink
    bare = SGR.sub("", output)
    assert ESC not in bare, repr(bare)
    assert not (set(bare) & (CONTROLS - {"\n"}))
    assert visible_controls(text)[:20] in bare


def test_markup_is_not_interpreted() -> None:
    assert for_table("[bold]x") == "\\[bold]x"
    assert text_of(["[bold]x", "[/bold]", "[link=http://x]y"]) == [
        "[bold]x",
        "[/bold]",
        "[link=http://x]y",
    ]


def test_visible_escapes() -> None:
    assert visible_controls("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert visible_controls("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert visible_controls("\x00\x7f\x85\x9b") == "\\x00\\x7f\\x85\\x9b"
    assert visible_controls("\u202e\u2028") == "\\u202e\\u2028"
    assert visible_controls('naïve café ≥ 日本 [x] = , "') == 'naïve café ≥ 日本 [x] = , "'


@pytest.mark.parametrize("text", HOSTILE)
def test_a_record_line_stays_one_line(text: str) -> None:
    line = f"{for_record_name(text)}={for_record_value(text)}\n"
    assert line.splitlines() == [line[:-1]]
    assert not (set(line[:-1]) & CONTROLS)
    name, _, value = line[:-1].partition("=")
    assert name == for_record_name(text) and value == for_record_value(text)


def test_record_names_hold_no_equals_sign() -> None:
    assert for_record_name("a=b\nc") == "a\\x3db\\nc"
    assert for_record_value("a=b\nc") == "a=b\\nc"
    line = "model_type=" + for_record_value("evil,x\ninjected=1")
    assert line == "model_type=evil,x\\ninjected=1"


@pytest.mark.parametrize("text", HOSTILE)
def test_a_csv_row_is_one_line_that_reads_back(text: str) -> None:
    row = csv_row([text, 1, 2.5, None])
    assert row.endswith("\n") and row.count("\n") == 1
    assert not (set(row[:-1]) & CONTROLS)
    assert next(csv.reader(io.StringIO(row))) == [visible_controls(text), "1", "2.5", ""]


def test_csv_quotes_commas_and_quotes() -> None:
    assert csv_row(["a,b", 'say "hi"', "plain"]) == '"a,b","say ""hi""",plain\n'


@pytest.mark.parametrize("text", HOSTILE)
def test_json_with_its_default_escaping_is_safe(text: str) -> None:
    encoded = json.dumps({text: text})
    assert encoded.isascii() and "\n" not in encoded
    assert not (set(encoded) & CONTROLS)
    assert json.loads(encoded) == {text: text}
