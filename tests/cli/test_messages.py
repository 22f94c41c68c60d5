"""The exact error line of every input error in the README's "Exit codes and errors" table.

One case per row of that table: its example is run (stdin from a leading
``printf '...' |``, in a directory holding ``three.csv`` and ``model.pt``)
and the one line on stderr must be ``nncalc: error: `` and the row's message,
exit 2, nothing on stdout. Changing a message means changing the README.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import ROOT, one_line_error, run

FILES = {"three.csv": "0.5,0.5\n0.4,0.6\n0.3,0.7\n", "model.pt": ""}
PRINTF = re.compile(r"printf '([^']*)' \| (.*)")
LIBRARY_WORDING = ("Value error", "Input should be", "Invalid value for", "Possible options")


def readme_rows() -> list[tuple[str, str, str]]:
    """(error, example command, message) per row of the error table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Exit codes and errors\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if (len(cells) == 3 and cells[1].startswith("`nncalc")) or (
            cells[1:2] and "printf" in cells[1]
        ):
            rows.append((cells[0], cells[1].strip("`").replace("\\|", "|"), cells[2]))
    return rows


ROWS = readme_rows()


def test_the_table_is_there() -> None:
    assert len(ROWS) >= 25
    assert len({error for error, _, _ in ROWS}) == len(ROWS)


@pytest.mark.parametrize(("error", "command", "message"), ROWS, ids=[r[0] for r in ROWS])
def test_error_line(
    error: str, command: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, content in FILES.items():
        (tmp_path / name).write_text(content)
    monkeypatch.chdir(tmp_path)
    stdin = None
    piped = PRINTF.fullmatch(command)
    if piped:
        stdin = piped[1].encode().decode("unicode_escape")
        command = piped[2]
    argv = shlex.split(command)
    assert argv[0] == "nncalc", command
    line = one_line_error(run(*argv[1:], input=stdin))
    assert line == f"nncalc: error: {message}", error
    assert not any(words in line for words in LIBRARY_WORDING)


@pytest.mark.parametrize(
    ("args", "stdin", "part"),
    [
        (["softmax", "-"], "1,2\n1\n", "this row has 1 value, earlier rows have 2"),
        (["softmax", "-"], "a\n1,2\n", "has 1 name, fewer than the 2 values of its rows"),
        (["softmax", "1,2", "--labels", "a"], None, "1 label for 2 classes"),
        (["softmax", "1", "--labels", "a,b"], None, "2 labels for 1 class"),
        (["xent", "1", "1"], None, "class index out of range for 1 class"),
        (["kl", "-", "0.5,0.5", "--mask", "1,0"], "0.5,0.5\n", "2 entries for 1 row"),
        (
            ["kl", "-", "0.5,0.5", "--mask", "1"],
            "0.5,0.5\n0.5,0.5\n",
            "1 entry for at least 2 rows",
        ),
        (["kl", "-", "@three.csv"], "0.5,0.5\n", "(P ends after 1 row)"),
        (["kl", "1", "2", "3"], None, "1 extra operand: 3"),
        (["xent", "0", "0.5,0.5", "--weight", "1"], None, "1 weight for 2 classes"),
    ],
)
def test_counts_agree_with_their_nouns(
    args: list[str], stdin: str | None, part: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "three.csv").write_text(FILES["three.csv"])
    monkeypatch.chdir(tmp_path)
    line = one_line_error(run(*args, input=stdin))
    assert part in line
    assert not re.search(r"\b1 (rows|values|classes|labels|entries|weights|operands)\b", line)
