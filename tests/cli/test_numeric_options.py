"""Every numeric option has a domain, listed in the README and enforced at parse time.

The options come from the app itself (every option of int or float values,
and the sizes read as text by a callback with a domain); the domains from
``nncalc.cli.domains``, which must agree with the README's "Numeric options"
table. Each option is run with values just outside its domain (exit 2, one
line naming the option and the domain) and just inside it (accepted). A new
numeric option without a domain, or missing from the README, fails here.
"""

from __future__ import annotations

import math
import re

import pytest
import typer.main

from nncalc.cli.app import COMMANDS, app
from nncalc.cli.domains import Domain, domain_of
from tests.conftest import ROOT, one_line_error, run

# A command line that succeeds as it is, for each command.
BASE = {
    "softmax": ["softmax", "1,2"],
    "xent": ["xent", "1", "0.2,0.8"],
    "kl": ["kl", "0.5,0.5", "0.5,0.5"],
    "entropy": ["entropy", "0.5,0.5"],
    "js": ["js", "0.5,0.5", "0.4,0.6"],
    "kl-normal": ["kl-normal", "0.5", "0.1"],
    "distill": ["distill", "1,2", "1,3", "--label", "0"],
    "kl-approx": ["kl-approx", "-1,-2", "-1,-3"],
    "compare": ["compare", "0.5,0.5", "0.4,0.6", "--probs"],
    "embed-params": ["embed-params", "--preset", "gpt2"],
    "sgd": ["sgd", "--samples", "20", "--epochs", "2", "--seeds", "1"],
}
# What an option needs besides the base command line to apply at all.
NEEDS = {
    ("xent", "--temperature"): ["--logits"],
    ("kl", "--temperature"): ["--logits"],
    ("entropy", "--temperature"): ["--logits"],
    ("js", "--temperature"): ["--logits"],
    ("kl-normal", "--beta"): ["--recon", "1"],
}


def numeric_options() -> list[tuple[str, str, Domain]]:
    """(command, long flag, domain) of every numeric option of the app."""
    group = typer.main.get_command(app)
    found = []
    for name in COMMANDS:
        command = group.commands[name]  # type: ignore[attr-defined]
        for param in command.params:
            if param.param_type_name != "option":
                continue
            annotation = param.type_descriptor.annotation
            domain = domain_of(param)
            if annotation in (int, float) or isinstance(domain, Domain):
                assert isinstance(domain, Domain), f"{name} {param.opts}: no domain"
                found.append((name, max(param.opts, key=len), domain))
    return found


def readme_table() -> dict[tuple[str, str], str]:
    """The README's "Numeric options" table: (command, flag) -> domain text."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Numeric options\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[tuple[str, str], str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        flags = [name.split("/")[0] for name in re.findall(r"`([^`]+)`", cells[0])]
        commands = COMMANDS if cells[1] == "every command" else cells[1].split(", ")
        for command in commands:
            for flag in flags:
                assert (command, flag) not in rows, f"{command} {flag} twice in the README"
                rows[(command, flag)] = cells[2]
    return rows


OPTIONS = numeric_options()


def test_the_readme_lists_every_numeric_option_with_its_domain() -> None:
    table = readme_table()
    listed = {(command, flag): domain.text for command, flag, domain in OPTIONS}
    assert table == listed


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e16 else repr(value)


def outside(domain: Domain) -> list[str]:
    """Values just outside the domain, and ones that are no number of its kind."""
    values = ["1.5", "x"] if domain.integer else ["nan", "inf", "-inf", "x"]
    step = 1 if domain.integer else 1e-9
    if domain.low is not None:
        values.append(_number(domain.low) if domain.low_open else _number(domain.low - step))
    if domain.high is not None:
        high = domain.high
        if domain.integer:
            values.append(str(int(high) + 1))
        else:
            values.append(_number(high) if domain.high_open else repr(high + step))
    return values


def inside(domain: Domain) -> list[str]:
    """Values just inside the domain (its low end; the high end of a real interval)."""
    if domain.low is None:
        return ["-100" if domain.integer else "-1e308"]
    values = [
        repr(math.nextafter(domain.low, math.inf)) if domain.low_open else _number(domain.low)
    ]
    if domain.high is not None and not domain.integer:
        high = domain.high
        values.append(repr(math.nextafter(high, -math.inf)) if domain.high_open else _number(high))
    return values


def _command_line(command: str, flag: str, value: str) -> list[str]:
    return [*BASE[command], *NEEDS.get((command, flag), []), f"{flag}={value}"]


CASES_OUT = [
    pytest.param(command, flag, domain, value, id=f"{command} {flag}={value}")
    for command, flag, domain in OPTIONS
    for value in outside(domain)
]
CASES_IN = [
    pytest.param(command, flag, value, id=f"{command} {flag}={value}")
    for command, flag, domain in OPTIONS
    for value in inside(domain)
]


@pytest.mark.parametrize(("command", "flag", "domain", "value"), CASES_OUT)
def test_a_value_outside_the_domain_is_refused(
    command: str, flag: str, domain: Domain, value: str
) -> None:
    line = one_line_error(run(*_command_line(command, flag, value)))
    assert line.startswith(f"nncalc: error: {flag}: {value!r}: ")
    assert f"must be {domain.text}" in line


@pytest.mark.parametrize(("command", "flag", "value"), CASES_IN)
def test_a_value_just_inside_the_domain_is_accepted(command: str, flag: str, value: str) -> None:
    result = run(*_command_line(command, flag, value))
    # 1: a --max/--min check that ran (and failed) on an accepted bound.
    assert result.exit_code in (0, 1), result.stderr
    assert "error" not in result.stderr


def test_the_base_command_lines_succeed() -> None:
    for command, args in BASE.items():
        result = run(*args)
        assert result.exit_code == 0, (command, result.stderr)
    assert set(BASE) == set(COMMANDS)
