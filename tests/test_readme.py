"""The README's examples run and print what it shows; its quick start is CI's."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_process

README = (ROOT / "README.md").read_text()
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def console_blocks() -> list[tuple[int, str]]:
    return [
        (README[: m.start()].count("\n") + 1, m.group(2))
        for m in FENCE.finditer(README)
        if m.group(1) == "console"
    ]


def commands_and_outputs(block: str) -> list[tuple[str, str]]:
    """Split a console block into ``$ command`` lines and what follows each."""
    pairs: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            pairs.append((line[2:], []))
        else:
            assert pairs, f"output before any command: {line!r}"
            pairs[-1][1].append(line)
    return [(command, "".join(out + "\n" for out in outputs)) for command, outputs in pairs]


BLOCKS = console_blocks()


def test_readme_has_console_examples() -> None:
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize(("line", "block"), BLOCKS, ids=[f"README:{n}" for n, _ in BLOCKS])
def test_readme_console_example(line: int, block: str, tmp_path: Path) -> None:
    # Commands of one block share a directory, so a block can create files first.
    for command, expected in commands_and_outputs(block):
        result = run_process(f"cd {tmp_path} && {{ {command} ; }} 2>&1")
        # Trailing spaces (Rich pads centred titles) are not part of the contract.
        got = "\n".join(text.rstrip() for text in result.stdout.decode().split("\n"))
        want = "\n".join(text.rstrip() for text in expected.split("\n"))
        assert got == want, f"README line {line}: $ {command}"


def test_readme_python_examples() -> None:
    blocks = [m.group(2) for m in FENCE.finditer(README) if m.group(1) == "python"]
    assert blocks
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for number, text in enumerate(blocks):
        runner.run(parser.get_doctest(text, {}, f"README python {number}", "README.md", 0))
    assert runner.summarize(verbose=False).failed == 0


def quick_start() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [m.group(2).strip() for m in FENCE.finditer(section) if m.group(1) == "sh"]


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    commands = quick_start()
    assert len(commands) == 2
    assert all("\n" not in command for command in commands)
    assert 'nncalc kl "0,0,1,0" "0.1,0.2,0.6,0.1"' in commands[0]
    assert "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()
