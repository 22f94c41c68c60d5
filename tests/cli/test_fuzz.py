"""Malformed and extreme input never breaks nncalc (SPEC §2, §4).

Hypothesis throws garbage tokens, unicode digits and minus signs, 1e999,
nan/inf spellings, 5000-digit numbers, control characters, NUL bytes,
ragged rows, blank input, huge rows, mixed separators and awkward @paths at
every command registered on the app (new commands are picked up by
themselves) and at the operand parser. Whatever comes in, a call ends with
exit 0, 1 or 2; exit 2 comes with one line on stderr that names the operand
(and the token, where there is one) and nothing on stdout; never a traceback
or an "internal error".

The number of cases per test is set by ``EXAMPLES`` below and recorded in the
README ("Limits").
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from nncalc.errors import _quote
from nncalc.io import tokens as operands
from tests.commands import COMMANDS, WITH_OPERANDS, annotation, arguments, options
from tests.conftest import ROOT, nncalc_path, one_line_error, run, run_process

pytestmark = pytest.mark.slow  # hypothesis cases at every command

# Cases per hypothesis test (README, "Limits", says how many run in all).
EXAMPLES = {"command": 40, "located": 20, "parser": 300}
SECONDS_PER_CALL = 10

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same cases on every run: CI failures reproduce
)


def cases(kind: str) -> settings:
    return settings(FUZZ, max_examples=EXAMPLES[kind])


def load_harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fuzz_operands", ROOT / "fuzz" / "fuzz_operands.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


harness = load_harness()


# --- the commands of the app (tests/commands.py) -----------------------------


def test_the_app_has_commands_to_fuzz() -> None:
    assert {"softmax", "xent", "kl", "embed-params"} <= set(COMMANDS)
    assert {"softmax", "xent", "kl"} <= set(WITH_OPERANDS)


# --- strategies ---------------------------------------------------------------

ODD_TOKENS = [
    # spellings of special values, valid and not
    "nan", "NaN", "-nan", "+NAN", "inf", "-inf", "+inf", "Inf", "INF", "infinity",
    "-Infinity", "infinit", "infty", "nan(1)", "1e999", "-1e999", "1e-999", "1e308",
    "1.7976931348623157e308", "4.9e-324", "-0.0", "0e0", "1E+5",
    # almost numbers
    "0x10", "1_000", "1d5", "1e", "e5", ".", "-", "+", "--", "+-1", "1.2.3", "1,5", "1j",
    "0b1", "١", "٣٫٥", "１２", "²", "½", "−1", "–2", "－3", "1e−5",
    # control characters, escapes, odd whitespace
    "1\x00", "\x00", "\x07", "\x1b[31m1", "1\x7f", "\u2028", "\u00a01", "1\u200b",
    "\ufeff1", "\x0b1", "1\x1c2",
    # brackets, quotes and other syntax
    "[", "]", "[]", "[1", "1]", "((1))", "'1'", '"1"', "#", "#1", "@", "@@", "${HOME}",
    "$(echo 1)", "`id`", "__import__('os')", "1;2", "1|2", "*",
]  # fmt: skip

garbage = st.one_of(
    st.sampled_from(ODD_TOKENS),
    st.text(max_size=12),
    st.integers(min_value=380, max_value=5000).map(lambda n: "9" * n),
    st.integers(min_value=380, max_value=5000).map(lambda n: "0." + "1" * n),
    st.floats().map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
number_text = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["0", "1", "0.5", "0.25", "-1", "2", "1e-300", "3.5"]),
)
token = st.one_of(number_text, garbage)
separator = st.sampled_from([",", " ", ", ", "\t", ";", ",,", " , ", "  "])


@st.composite
def literal_text(draw: st.DrawFn) -> str:
    """A literal vector operand: mostly numbers, some garbage, odd separators."""
    tokens = draw(st.lists(token, min_size=0, max_size=8))
    text = draw(separator).join(tokens)
    if draw(st.booleans()):
        text = f"[{text}]"
    # A real argv element cannot hold a NUL byte.
    return text.replace("\x00", "")


@st.composite
def batch_bytes(draw: st.DrawFn) -> bytes:
    """Bytes for stdin or a file: ragged, blank, commented, headed, huge..."""
    kind = draw(st.integers(min_value=0, max_value=9))
    if kind == 0:
        return draw(st.binary(max_size=64))
    if kind == 1:  # empty lines only
        return draw(
            st.sampled_from(["", "\n", "\n\n\n", "\r\n \r\n", "# only a comment\n"])
        ).encode()
    if kind == 2:  # a huge row
        width = draw(st.integers(min_value=1000, max_value=5000))
        return (",".join(["0.001"] * width) + "\n").encode()
    width = draw(st.integers(min_value=1, max_value=5))
    rows = draw(
        st.lists(
            st.lists(token, min_size=width, max_size=width + (kind == 3)),
            min_size=1,
            max_size=6,
        )
    )
    sep = draw(separator)
    lines = [sep.join(row) for row in rows]
    if draw(st.booleans()):
        lines.insert(0, sep.join(f"c{i}" for i in range(width)))
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", "# c", "  "])))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = ending.join(lines) + draw(st.sampled_from(["", ending]))
    if draw(st.booleans()):
        text = "\ufeff" + text
    data = text.encode("utf-8", "surrogatepass")
    if kind == 4:  # NUL bytes or a byte that is not UTF-8
        at = draw(st.integers(0, len(data)))
        data = (
            data[:at] + draw(st.sampled_from([b"\x00", b"\xff", b"\xc3(", b"\x00\x00"])) + data[at:]
        )
    return data


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """@path operands: good and bad files, a directory, a socket, missing paths."""
    base = tmp_path_factory.mktemp("fuzz-paths")
    files = {
        "good": "0.2,0.3,0.5\n0.1,0.1,0.8\n",
        "header": "a,b,c\n0.2,0.3,0.5\n",
        "header-only": "a,b,c\n",
        "ragged": "0.5,0.5\n0.2,0.3,0.5\n",
        "blank": "\n\n  \n",
        "empty": "",
        "nul": "0.5,\x000.5\n",
        "crlf-bom": "\ufeff0.5,0.5\r\n0.9,0.1\r\n",
        "long-token": "1," + "1" * 5000 + "\n",
        "wide": ",".join(["0.0001"] * 5000) + "\n",
        "indices": "0\n2\n1\n",
    }
    out = {}
    for name, text in files.items():
        path = base / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        out[name] = str(path)
    (base / "latin1.csv").write_bytes("0,5;0,5\n\xe9\n".encode("latin-1"))
    out["latin1"] = str(base / "latin1.csv")
    out["directory"] = str(base)
    out["missing"] = str(base / "missing.csv")
    out["dev-null"] = os.devnull
    sock_path = base / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    out["socket"] = str(sock_path)
    if os.geteuid() != 0:  # root reads everything: see test_unreadable_file_as_another_user
        locked = base / "locked.csv"
        locked.write_text("0.5,0.5\n")
        locked.chmod(0)
        out["unreadable"] = str(locked)
    return out


def operand_text(paths: dict[str, str]) -> st.SearchStrategy[str]:
    return st.one_of(
        literal_text(),
        st.just("-"),
        st.sampled_from(sorted(paths.values())).map(lambda p: "@" + p),
        st.sampled_from(["@", "@ ", "@-", "@~/nope.csv"]),
    )


def option_value(param: Any, paths: dict[str, str]) -> st.SearchStrategy[str]:
    kind = annotation(param)
    odd = st.one_of(
        st.sampled_from(ODD_TOKENS), st.text(max_size=8).map(lambda t: t.replace("\x00", ""))
    )
    if isinstance(kind, type) and issubclass(kind, __import__("enum").Enum):
        return st.one_of(st.sampled_from([str(m.value) for m in kind]), odd)
    if kind is int:
        return st.one_of(
            st.sampled_from(["-1", "0", "1", "2", "3", "+2", "007"]),
            st.integers(min_value=20, max_value=5000).map(lambda n: "9" * n),
            odd,
        )
    if kind is float:
        return st.one_of(
            st.sampled_from(["0", "-0.0", "1", "0.5", "-1", "2", "1e-320", "1e300", "nan", "inf"]),
            number_text,
            odd,
        )
    return operand_text(paths)


@st.composite
def invocation(draw: st.DrawFn, name: str, paths: dict[str, str]) -> tuple[list[str], bytes]:
    """A command line for command ``name`` and the bytes on its stdin."""
    command = COMMANDS[name]
    args = [name]
    for _ in arguments(command):
        if draw(st.integers(0, 7)) == 0:  # omitted: read from stdin
            break
        args.append(draw(operand_text(paths)))
    for option in options(command):
        if draw(st.integers(0, 3)) != 0:
            continue
        flag = draw(st.sampled_from(option.opts + option.secondary_opts))
        if option.is_flag:
            args.append(flag)
        else:
            args += [flag, draw(option_value(option, paths))]
    if draw(st.booleans()):
        args += ["--format", draw(st.sampled_from(["plain", "csv", "json", "table"]))]
    return args, draw(batch_bytes())


# --- the property --------------------------------------------------------------


class CallTookTooLong(Exception):
    """Raised by the alarm: a call that hangs is a failure, not a wait.

    nncalc reports it as an internal error, which the property rejects with
    the command line in the message.
    """


@pytest.fixture
def alarm() -> Iterator[None]:
    def ring(signum: int, frame: FrameType | None) -> None:
        raise CallTookTooLong(f"a call ran for more than {SECONDS_PER_CALL} s")

    previous = signal.signal(signal.SIGALRM, ring)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def call(args: list[str], stdin: bytes) -> Any:
    """Run in-process; a warning that would reach a user's stderr fails the call."""
    signal.alarm(SECONDS_PER_CALL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warnings.simplefilter("ignore", ResourceWarning)  # hidden outside of tests
            return run(*args, input=stdin)
    finally:
        signal.alarm(0)


# "nncalc: error: P row 2, ..." or "nncalc: error: --tol: ...": the operand comes first.
OPERAND_FIRST = re.compile(r"nncalc: error: (?:[A-Z][A-Z0-9_]*|--?[a-zA-Z][\w-]*)[ :]")


def names_in_play(name: str, args: list[str]) -> set[str]:
    """What an error may name: the operands and options of the command."""
    command = COMMANDS[name]
    names = {p.name.upper() for p in arguments(command)}
    for option in options(command):
        names.update(option.opts + option.secondary_opts)
    # An option the user typed, as a one-line message shows it (runs of
    # whitespace, \x1c-\x1f included, folded to one space).
    names.update(" ".join(a.split()) for a in args[1:] if a.strip().startswith("-"))
    names.update({"--labels", "--format"})
    return names


def assert_well_behaved(name: str, args: list[str], stdin: bytes, result: Any) -> None:
    shown = f"nncalc {' '.join(map(repr, args))} <<< {stdin[:80]!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        shown,
        result.exception,
    )
    assert result.exit_code in (0, 1, 2), (shown, result.exit_code, result.stderr)
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream, (shown, stream)
    assert "internal error" not in result.stderr, (shown, result.stderr)
    lines = result.stderr.splitlines()
    if result.exit_code == 0:
        # Success is quiet: at most notes about how options were read.
        assert all(line.startswith("nncalc: note: ") for line in lines), (shown, result.stderr)
    elif result.exit_code == 1:
        assert lines and all(line.startswith("nncalc: check failed") for line in lines), (
            shown,
            result.stderr,
        )
    else:
        assert result.stdout == "", (shown, "output for input that failed", result.stdout)
        assert len(lines) == 1, (shown, result.stderr)
        assert lines[0].startswith("nncalc: error: "), (shown, lines[0])
        # "No such option: TOKEN" names what was typed (a long token shortened).
        named = (
            OPERAND_FIRST.match(lines[0])
            or lines[0].startswith("nncalc: error: No such option: ")
            or any(n in lines[0] for n in names_in_play(name, args))
        )
        assert named, (shown, "the error names no operand or option", lines[0])


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_survives_fuzzed_operands_and_options(
    name: str, paths: dict[str, str], alarm: None
) -> None:
    # No shrinking: a case that hangs would cost SECONDS_PER_CALL per attempt.
    @settings(cases("command"), phases=[Phase.explicit, Phase.generate])
    @given(invocation(name, paths))
    def check(case: tuple[list[str], bytes]) -> None:
        args, stdin = case
        result = call(args, stdin)
        event(f"exit {result.exit_code}")
        assert_well_behaved(name, args, stdin, result)

    check()


@st.composite
def bad_token(draw: st.DrawFn) -> str:
    """A token that is not a number and stays one token in a comma-separated row."""
    text = draw(st.one_of(st.sampled_from(ODD_TOKENS), st.text(min_size=1, max_size=10), garbage))
    text = text.replace("\x00", "")
    ok = (
        text
        and text == text.strip()
        and not operands.is_number(text)
        and not any(c in text for c in ",\r\n")
        and not text.startswith(("#", "-", "@"))
    )
    if not ok:
        text = draw(st.sampled_from(["x", "1e", "−1", "١", "1\x07", "9" * 5000, "nan(1)"]))
    return text


@pytest.mark.parametrize("name", WITH_OPERANDS)
def test_a_bad_token_in_a_batch_is_named_with_row_and_column(name: str, alarm: None) -> None:
    command = COMMANDS[name]
    first, *others = [p.name.upper() for p in arguments(command)]

    @cases("located")
    @given(
        bad=bad_token(),
        rows=st.integers(min_value=1, max_value=5),
        data=st.data(),
    )
    def check(bad: str, rows: int, data: st.DataObject) -> None:
        row = data.draw(st.integers(min_value=2 if rows > 1 else 1, max_value=rows))
        column = data.draw(st.integers(min_value=1, max_value=4))
        table = [["0.25"] * 4 for _ in range(rows)]
        table[row - 1][column - 1] = bad
        stdin = "".join(",".join(r) + "\n" for r in table).encode()
        args = [name, "-", *["0.25,0.25,0.25,0.25"] * len(others), "--format", "plain"]
        result = call(args, stdin)
        line = one_line_error(result)
        assert f"{first} row {row}" in line, line
        assert f"column {column}" in line, line
        assert _quote(bad) in line, (bad, line)

    check()


@pytest.mark.parametrize("name", WITH_OPERANDS)
def test_a_bad_token_in_a_literal_is_named_with_its_column(name: str, alarm: None) -> None:
    command = COMMANDS[name]
    first, *others = [p.name.upper() for p in arguments(command)]

    @cases("located")
    @given(bad=bad_token(), column=st.integers(min_value=1, max_value=3))
    def check(bad: str, column: int) -> None:
        values = ["0.5", "0.25", "0.25"]
        values[column - 1] = bad
        args = [name, ",".join(values), *["0.5,0.25,0.25"] * len(others), "--format", "plain"]
        line = one_line_error(call(args, b""))
        assert line.startswith(f"nncalc: error: {first} column {column}: "), line
        assert _quote(bad) in line, (bad, line)

    check()


# --- the parser against the documented rules -----------------------------------


@cases("parser")
@given(batch_bytes())
def test_batch_parser_agrees_with_the_reference(data: bytes) -> None:
    harness.check_batch(data)


@cases("parser")
@given(literal_text())
def test_literal_parser_agrees_with_the_reference(text: str) -> None:
    harness.check_literal(text)


@cases("parser")
@given(batch_bytes())
def test_parser_agrees_with_the_reference_at_small_limits(data: bytes) -> None:
    saved = harness.lower_limits()
    try:
        harness.check_batch(data)
    finally:
        harness.restore_limits(saved)


# --- input limits and @paths, one by one ---------------------------------------


def test_a_5000_digit_number_is_refused_in_a_literal_and_in_a_batch() -> None:
    huge = "9" * 5000
    line = one_line_error(run("softmax", f"1,{huge}"))
    assert line == (
        f"nncalc: error: LOGITS column 2: {_quote(huge)}: token longer than 400 characters"
    )
    # NumPy's reader would take it (as inf); the limit holds on the fast path too.
    line = one_line_error(run("softmax", input=f"1,2\n3,{huge}\n"))
    assert line == (
        f"nncalc: error: LOGITS row 2, column 2: {_quote(huge)}: token longer than 400 characters"
    )


def test_a_row_wider_than_the_limit_is_refused() -> None:
    width = operands.MAX_ROW_VALUES + 1
    line = one_line_error(run("softmax", input="1,2\n" + ",".join(["0"] * width) + "\n"))
    assert (
        line
        == "nncalc: error: LOGITS row 2: row has more than 1,000,000 values (the limit of a row)"
    )
    line = one_line_error(run("softmax", input=",".join(["0"] * width) + "\n"))
    assert line == (
        "nncalc: error: LOGITS: line 1 has more than 1,000,000 values (the limit of a row)"
    )


def test_a_row_at_the_limit_is_read() -> None:
    result = run("softmax", "-", "--digits", "3", input=",".join(["0"] * operands.MAX_ROW_VALUES))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ",".join(["1e-06"] * operands.MAX_ROW_VALUES) + "\n"


def test_a_line_longer_than_the_limit_is_refused() -> None:
    comment = "#" + "x" * (operands.MAX_LINE_CHARS - 1)  # at the limit: read (and skipped)
    ok = run("softmax", "--digits", "2", input=f"{comment}\n1,1\n")
    assert (ok.exit_code, ok.stdout, ok.stderr) == (0, "0.5,0.5\n", "")
    line = one_line_error(run("softmax", input=f"# logits\n{comment}x\n1,1\n"))
    assert line == (
        "nncalc: error: LOGITS: line 2 is longer than 32,000,000 characters "
        "(is this text with one row per line?)"
    )


def test_an_endless_line_ends_in_an_error_not_in_memory_exhaustion() -> None:
    nncalc_path()
    result = run_process("ulimit -v 2000000; nncalc softmax @/dev/zero", timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stdout == b""
    assert result.stderr.decode() == (
        "nncalc: error: LOGITS: /dev/zero: line 1 is longer than 32,000,000 characters "
        "(is this text with one row per line?)\n"
    )
    result = run_process("ulimit -v 2000000; nncalc softmax 1,2 --labels @/dev/zero", timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.decode() == (
        "nncalc: error: --labels: '@/dev/zero': a line is longer than 32,000,000 characters\n"
    )


def test_at_paths_that_are_not_readable_files(paths: dict[str, str]) -> None:
    expected = {
        "directory": "is a directory, not a file",
        "missing": "no such file",
        "socket": "cannot read: No such device or address",
    }
    for kind, message in expected.items():
        token = "@" + paths[kind]
        for args in (["kl", token, "0.5,0.5"], ["softmax", "1,2", "--labels", token]):
            line = one_line_error(run(*args))
            operand = "P" if args[0] == "kl" else "--labels"
            assert line == f"nncalc: error: {operand}: {_quote(token)}: {message}", line


def drop_file_capabilities() -> None:
    """In the child, as root: give up reading files regardless of permissions."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_an_unreadable_file_is_reported_by_path(tmp_path: Path) -> None:
    """A real permission error (as root: with the capability to override it dropped)."""
    nncalc_path()
    locked = tmp_path / "locked.csv"
    locked.write_text("0.5,0.5\n")
    locked.chmod(0)
    preexec = drop_file_capabilities if os.geteuid() == 0 else None
    try:
        probe = subprocess.run(["cat", str(locked)], capture_output=True, preexec_fn=preexec)
    except (OSError, subprocess.SubprocessError) as error:
        pytest.skip(f"cannot make a file unreadable here: {error}")
    if probe.returncode == 0:
        pytest.skip("cannot make a file unreadable here (the file could still be read)")
    command = [str(Path(sys.executable).parent / "nncalc"), "kl", f"@{locked}", "0.5,0.5"]
    result = subprocess.run(command, capture_output=True, timeout=60, preexec_fn=preexec)
    assert result.returncode == 2, result.stderr
    assert result.stdout == b""
    token = _quote(f"@{locked}")
    assert result.stderr.decode() == f"nncalc: error: P: {token}: permission denied\n"


def test_nul_bytes_and_bad_utf8_on_stdin() -> None:
    line = one_line_error(run("softmax", input=b"1,2\n3,\x004\n"))
    assert line == "nncalc: error: LOGITS row 2, column 2: '\\x004': not a number"
    line = one_line_error(run("softmax", input=b"1,2\n\xff,3\n"))
    assert line == (
        "nncalc: error: LOGITS: line 2, column 1: not UTF-8 (byte 0xFF) "
        "(convert it to UTF-8, e.g. with iconv -f latin1 -t utf-8)"
    )


def test_empty_lines_only() -> None:
    for stdin in ("", "\n\n\n", "\r\n\r\n", "# comment\n\n"):
        line = one_line_error(run("kl", "-", "0.5,0.5", input=stdin))
        assert line == "nncalc: error: P: input has no data rows"


def test_unicode_look_alikes_get_a_hint() -> None:
    line = one_line_error(run("softmax", "1,−2"))
    assert line == (
        "nncalc: error: LOGITS column 2: '−2': not a number (write the minus sign as ASCII '-')"
    )
    line = one_line_error(run("softmax", input="١,2\n"))
    assert line == (
        "nncalc: error: LOGITS row 1, column 1: '١': not a number "
        "(a header must be all names) (write digits as ASCII 0-9)"
    )
    line = one_line_error(run("softmax", input="1,2\n١,2\n"))
    assert (
        line
        == "nncalc: error: LOGITS row 2, column 1: '١': not a number (write digits as ASCII 0-9)"
    )


def test_nan_and_inf_spellings_and_overflow() -> None:
    values = "nan,NaN,-nan,inf,-INF,+Infinity,1e999,-1e999,1e-999"
    parsed = operands.parse_literal(values, "X")[0].tolist()
    assert str(parsed) == "[nan, nan, nan, inf, -inf, inf, inf, -inf, 0.0]"
    # Out-of-range numbers round as floats do: 1e999 is +inf, which softmax treats as the limit.
    result = run("softmax", "1e999,0", "--format", "plain")
    assert (result.exit_code, result.stdout) == (0, "1.0,0.0\n")


def test_a_huge_class_index_is_reported_as_given() -> None:
    line = one_line_error(run("xent", "99999999999999999999999", "0.5,0.5"))
    assert line == (
        "nncalc: error: TARGET: '1e+23': class index out of range for 2 classes (0-based: 0..1)"
    )


def test_numeric_warnings_never_reach_stderr() -> None:
    nncalc_path()
    result = run_process("nncalc softmax 1,2 --temperature 1e-320")
    assert (result.returncode, result.stdout, result.stderr) == (0, b"0.0,1.0\n", b"")


def test_the_package_never_evaluates_unpickles_or_shells_out() -> None:
    forbidden = re.compile(
        # The word "pickle" may stand in a refusal message; its use may not.
        r"\beval\(|\bexec\(|\bimport pickle\b|\bpickle\.|shell=True|os\.system|os\.popen"
        r"|\bsubprocess\b|allow_pickle=True|\bmarshal\b|yaml\.load\b"
    )
    hits = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "nncalc").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if forbidden.search(line)
    ]
    assert hits == []
