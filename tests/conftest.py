"""Shared helpers: run the real CLI entry point, in-process or as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from nncalc.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
    """Invoke ``nncalc ARGS`` through Typer's CliRunner (stdout/stderr apart)."""
    return CliRunner().invoke(app, list(args), input=input, env=env)


def ok(*args: str, input: str | None = None) -> str:
    """Run ``nncalc ARGS``; assert success with nothing on stderr; return stdout."""
    result = run(*args, input=input)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stderr == ""
    return result.stdout


def nncalc_path() -> str:
    """The installed console script (so argv[0] is ``nncalc``)."""
    path = BIN / "nncalc"
    if not path.exists():
        pytest.skip("the nncalc console script is not installed in this environment")
    return str(path)


def run_process(
    command: str,
    *,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """Run a shell command line with the installed ``nncalc`` first on PATH."""
    full_env = dict(os.environ)
    full_env["PATH"] = f"{BIN}{os.pathsep}{full_env.get('PATH', '')}"
    full_env.pop("NO_COLOR", None)
    if env:
        full_env.update(env)
    return subprocess.run(
        ["bash", "-c", command],
        input=input,
        capture_output=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


def one_line_error(result: Result) -> str:
    """Assert exit 2 with exactly one line on stderr and nothing on stdout."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("nncalc: error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def polars_or_skip() -> object:
    """The polars module, or skip the test where it is not installed."""
    try:
        import polars
    except ImportError:
        pytest.skip("polars is not installed")
    return polars
