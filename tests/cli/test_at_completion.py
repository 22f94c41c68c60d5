"""``@<Tab>`` completes file names: what ``nncalc`` answers each shell's script.

The real shells are driven in test_shell_completion.py (marked slow); this
checks the answers themselves, quickly, through the installed console script.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import nncalc_path


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for name in ["p.csv", "pq.csv", "a b.csv", ".hidden", "runs/x.csv", "runs/y.csv"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("1\n")
    (tmp_path / "empty").mkdir()
    return tmp_path


def answer(cwd: Path, shell: str, line: str) -> list[str]:
    env = dict(os.environ, _NNCALC_COMPLETE=f"complete_{shell}")
    if shell == "bash":
        words = line.split(" ")
        env.update(COMP_WORDS=line, COMP_CWORD=str(len(words) - 1))
    else:
        env.update(_TYPER_COMPLETE_ARGS=line, _TYPER_COMPLETE_FISH_ACTION="get-args")
    result = subprocess.run(
        [nncalc_path()], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert result.stderr == ""
    return [line for line in result.stdout.splitlines() if line]


def test_an_at_lists_files_and_directories(files: Path) -> None:
    assert answer(files, "fish", "nncalc kl @") == [
        "@a b.csv",
        "@empty/",
        "@p.csv",
        "@pq.csv",
        "@runs/",
    ]
    assert answer(files, "bash", "nncalc kl @a") == ["@a\\ b.csv"]  # as bash reads it back


def test_a_lone_directory_offers_its_entries(files: Path) -> None:
    assert answer(files, "fish", "nncalc kl 0.5,0.5 @r") == ["@runs/x.csv", "@runs/y.csv"]
    assert answer(files, "fish", "nncalc kl @e") == ["@empty/"]


def test_hidden_files_only_when_asked(files: Path) -> None:
    assert answer(files, "fish", "nncalc entropy @.") == ["@.hidden"]


def test_zsh_gets_the_paths_as_values(files: Path) -> None:
    (output,) = answer(files, "zsh", "nncalc kl @p.")
    assert output == """_arguments '*: :(("@p.csv"))'"""


def test_options_that_take_files(files: Path) -> None:
    assert answer(files, "fish", "nncalc softmax --labels @p.") == ["@p.csv"]
    assert answer(files, "fish", "nncalc kl --mask @p.") == ["@p.csv"]
    for line in [
        "nncalc compare @p.csv @p.csv --target @p.",
        "nncalc compare @p.csv @p.csv --mask @p.",
        "nncalc distill 1,2 1,2 -y @p.",
        "nncalc kl-normal 0 0 --mu2 @p.",
        "nncalc kl-normal 0 0 --logvar2 @p.",
        "nncalc sgd --data @p.",
    ]:
        assert answer(files, "fish", line) == ["@p.csv"], line


def test_a_word_without_an_at_is_left_to_the_shell(files: Path) -> None:
    assert answer(files, "bash", "nncalc kl p") == []
    assert answer(files, "bash", "nncalc kl @nothing") == []
