"""Every class of attack from the untrusted-input review ends in a chosen exit code.

None may end in exit 70 (internal error, reserved for real bugs) or print a
traceback: each is an input the program must answer in its own words.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nncalc.cli.app import app
from nncalc.output.environment import Environment
from tests.conftest import run_process

INTERNAL = 70
HUGE = "9" * 5000


def hostile_files(tmp_path: Path) -> dict[str, str]:
    labels = tmp_path / "v.txt"
    labels.write_bytes(b"a\x1b[2Jb\nc\n")
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"model_type": "evil,x\ninjected=1", "vocab_size": 10, "hidden_size": 4})
    )
    huge = tmp_path / "huge.json"
    huge.write_text('{"vocab_size": ' + HUGE + ', "hidden_size": 4}')
    nan = tmp_path / "nan.csv"
    nan.write_text("nan,1\n0.5,0.5\n")
    return {"labels": str(labels), "config": str(config), "huge": str(huge), "nan": str(nan)}


# In-process attacks: (arguments with {name} for a file above, table?)
IN_PROCESS = [
    (["softmax", "1,2", "--labels", "[/bold],b"], True),
    (["softmax", "1,2", "--labels", "[bold]x,b"], True),
    (["softmax", "1,2", "--labels", "[link=https://example.com]x,b"], True),
    (["softmax", "1,2", "--labels", "@{labels}"], True),
    (["softmax", "1,2", "--labels", "@{labels}", "-f", "csv"], False),
    (["softmax", "1,2", "--labels", 'a\n"b,c'], False),
    (["embed-params", "--config", "{config}", "-f", "plain"], False),
    (["embed-params", "--config", "{config}", "-f", "csv"], False),
    (["embed-params", "--config", "{config}"], True),
    (["embed-params", "--config", "{huge}"], False),
    (["embed-params", "-V", HUGE, "-D", "4"], False),
    (["embed-params", "-V", "10", "-D", HUGE], False),
    (["entropy", "@{nan}", "--reduction", "max", "--max", "1"], False),
    (["kl", "0.5,0.5", "0.5,0.5", "--max", "nan"], False),
    (["kl", "0.5,0.5", "0.5,0.5", "--min", "nan"], False),
    (["kl", "0,0", "0.5,0.5", "--tol", "inf"], False),
    (["kl", "0,0", "0.5,0.5", "--tol", "1"], False),
    (["kl", "0.5,0.5", "0.5,0.5", "--tol", "-1"], False),
    (["xent", "1", "0.2,0.8", "--eps", "nan"], False),
]


@pytest.mark.parametrize(("args", "table"), IN_PROCESS)
def test_no_in_process_attack_is_an_internal_error(
    args: list[str], table: bool, tmp_path: Path
) -> None:
    files = hostile_files(tmp_path)
    argv = [arg.format(**files) if arg.startswith(("@{", "{")) else arg for arg in args]
    env = Environment(stdout_isatty=table, no_color=True, width=100)
    result = CliRunner().invoke(app, argv + (["-f", "table"] if table else []), environment=env)
    assert result.exit_code != INTERNAL, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "\x1b[2J" not in result.stdout


PROCESSES = [
    "nncalc softmax 1,2 >&-",
    "nncalc softmax 1,2 -f table >&-",
    "nncalc softmax - <&-",
    "nncalc softmax 1,2 > /dev/full",
    "nncalc softmax 1,2 --bogus 2>/dev/full",
    "nncalc softmax 1,2 --bogus 2>&-",
    "nncalc kl 0,0 0.5,0.5 2>&-",
    "nncalc embed-params --config /dev/zero",
    "head -c 100000000 /dev/zero | nncalc embed-params --config -",
    "yes 1,2 | nncalc sgd --data -",
    "yes 1,2 | nncalc softmax - | head -1",
]


@pytest.mark.slow
@pytest.mark.parametrize("command", PROCESSES)
def test_no_process_attack_is_an_internal_error(command: str) -> None:
    result = run_process(command, timeout=120)
    assert result.returncode != INTERNAL, result.stderr
    assert b"Traceback" not in result.stderr
    assert b"internal error" not in result.stderr
