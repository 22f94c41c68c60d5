"""Start-up: what a one-liner imports, and the fast parameter coercion."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest
import typer.main

from nncalc.cli import startup
from nncalc.cli.app import app
from nncalc.errors import NncalcError
from tests.conftest import nncalc_path, run, run_process

PROBE = """
import sys
sys.argv = {argv!r}
from nncalc.cli.app import app
try:
    app()
except SystemExit:
    pass
top = {{m.split(".")[0] for m in sys.modules}}
heavy = sorted(top & {{"rich", "pydantic", "pandas", "scipy", "polars"}})
# Modules loaded for tables and sgd only (a lazy module not used yet is fine).
heavy += [
    name
    for name in ("nncalc.output.reports", "nncalc.core.sgd", "json")
    if name in sys.modules and type(sys.modules[name]).__name__ != "_LazyModule"
]
sys.stderr.write("\\n" + repr(heavy) + "\\n")
"""


def imported_heavy(*argv: str) -> tuple[str, list[str]]:
    """Run nncalc in a fresh interpreter (stdout a pipe); heavy packages it imported."""
    nncalc_path()  # skips when not installed
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=["nncalc", *argv])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout, ast.literal_eval(done.stderr.strip().splitlines()[-1])


def test_one_liner_imports_neither_rich_nor_pydantic_nor_the_table_builders() -> None:
    stdout, heavy = imported_heavy("kl", "0,0,1,0", "0.1,0.2,0.6,0.1")
    assert stdout == "0.5108256237659907\n"
    assert heavy == []


def test_every_option_kind_on_the_plain_path_stays_light() -> None:
    stdout, heavy = imported_heavy(
        "kl", "1,1", "1,3", "--normalize", "--base", "2", "-f", "CSV", "--digits", "3",
        "--max", "9", "--min", "-1", "--tol", "1e-3", "--reduction", "none",
    )  # fmt: skip
    assert stdout == "kl\n0.208\n"
    assert heavy == []
    stdout, heavy = imported_heavy("kl", "1,1", "1,3", "--normalize", "-f", "json")
    assert json.loads(stdout)["value"] == 0.1438410362258904
    assert heavy == ["json"]  # JSON output imports json, and only then


def test_a_drawn_table_imports_rich() -> None:
    stdout, heavy = imported_heavy("kl", "0,0,1,0", "0.1,0.2,0.6,0.1", "--format", "table")
    assert "0.5108" in stdout
    assert heavy[0] == "rich" and "nncalc.output.reports" in heavy


def simple_params() -> list[tuple[str, typer.core.TyperOption]]:
    group = typer.main.get_command(app)
    startup.install(group)
    found = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        for param in command.params:
            if isinstance(param._runtime_param, startup.SimpleParam):
                found.append((name, param))
    return found


SAMPLES = [
    "0", "7", "-3", "1.5", " -1", "-1e-3", "1e308", ".5", "5.", "+2", "007", "1e400",
    "inf", "nan", "abc", "", "1_000", "0x10", "17", "18", "auto", "JSON", "Plain",
    "none", "Mean", "e", "2", "two", "fp16", "FP16", "learned",
]  # fmt: skip


def test_fast_coercion_agrees_with_typer_on_every_parameter() -> None:
    params = simple_params()
    assert {p.name for _, p in params} >= {"fmt", "digits", "maximum", "base", "reduction"}
    checked = 0
    for command, param in params:
        fast = param._runtime_param
        assert isinstance(fast, startup.SimpleParam)
        slow = fast.typer_coercion()
        for value in [*SAMPLES, param.default]:
            try:
                quick = fast.quick(value)
            except NncalcError:
                # Outside the option's domain: nncalc's own error (Typer, with
                # no domain, may accept it or word its own).
                continue
            if quick is None:
                continue  # handed to Typer itself
            expected = slow.coerce(value, param=param, ctx=None)
            assert quick == expected and type(quick) is type(expected), (command, param.name)
            checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["kl", "1,1", "1,1", "--digits", "0"], "--digits: '0': must be a whole number in [1, 17]"),
        (
            ["kl", "1,1", "1,1", "--digits", "1.5"],
            "--digits: '1.5': must be a whole number in [1, 17]",
        ),
        (["kl", "1,1", "1,1", "--max", "abc"], "--max: 'abc': must be a finite number"),
        (
            ["kl", "1,1", "1,1", "--format", "yaml"],
            "--format: 'yaml': must be one of auto, table, plain, csv, json",
        ),
        (["kl", "1,1", "1,1", "--base", "two"], "--base: 'two': must be one of e, 2, 10"),
        (["softmax", "1,2", "--top", "0"], "--top: '0': must be a whole number >= 1"),
    ],
)
def test_bad_option_values_get_nncalcs_own_message(
    args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = run(*args)
    assert (fast.exit_code, fast.stdout, fast.stderr) == (2, "", f"nncalc: error: {message}\n")
    # Without the fast coercion, Typer's own wording ("Invalid value for"):
    # nncalc's domains are checked in that coercion.
    monkeypatch.setattr(startup, "install", lambda command, domains=None: None)
    slow = run(*args)
    assert slow.exit_code == 2 and slow.stderr.startswith("nncalc: error: Invalid value for")


def test_only_the_named_command_is_built() -> None:
    registered = list(app.registered_commands)
    with startup.only_command(app, ["kl", "1,2"], "_NNCALC_COMPLETE"):
        assert [info.callback.__name__ for info in app.registered_commands] == ["kl"]
    assert app.registered_commands == registered
    for argv in (["--version"], [], ["kll"], ["--help"]):
        with startup.only_command(app, argv, "_NNCALC_COMPLETE"):
            assert app.registered_commands == registered


def test_shell_completion_sees_every_command(monkeypatch: pytest.MonkeyPatch) -> None:
    registered = list(app.registered_commands)
    monkeypatch.setenv("_NNCALC_COMPLETE", "complete_bash")
    with startup.only_command(app, ["kl"], "_NNCALC_COMPLETE"):
        assert app.registered_commands == registered


def test_the_installed_command_still_lists_and_rejects_commands() -> None:
    listing = run_process("nncalc --help")
    assert listing.returncode == 0
    for name in ("softmax", "xent", "kl", "embed-params"):
        assert name.encode() in listing.stdout
    typo = run_process("nncalc kll 1 2")
    assert typo.returncode == 2
    assert typo.stdout == b""
    assert b"No such command 'kll'" in typo.stderr
    one = run_process('nncalc kl "0,0,1,0" "0.1,0.2,0.6,0.1" | cat')
    assert one.stdout == b"0.5108256237659907\n"


BLAS_PROBE = """
import os, sys
sys.argv = ["nncalc", "kl", "0,1", "1,0"]
from nncalc.cli import entry
try:
    entry.main()
except SystemExit:
    pass
print(os.environ["OPENBLAS_NUM_THREADS"], len(os.listdir("/proc/self/task")))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts threads in /proc")
@pytest.mark.parametrize(("given", "expected"), [(None, "1"), ("3", "3")])
def test_the_command_keeps_one_blas_thread_unless_told(given: str | None, expected: str) -> None:
    """NumPy's OpenBLAS would start a spinning thread per CPU; a user's setting stands."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    done = subprocess.run(
        [sys.executable, "-c", BLAS_PROBE], capture_output=True, text=True, env=env, check=True
    )
    value, threads = done.stdout.split()[-2:]
    assert value == expected
    if given is None:
        assert threads == "1"
