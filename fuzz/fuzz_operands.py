"""Fuzz nncalc's operand parser: coverage-guided with atheris, bounded in time.

    python fuzz/fuzz_operands.py -max_total_time=60 -artifact_prefix=/tmp/
    python fuzz/fuzz_operands.py --hypothesis 3000     # without atheris

Each input is a literal operand (the text of one command-line argument) or a
batch (the bytes of stdin or of an @file). For every input the parser must
either return float64 rows or raise ``NncalcError`` whose message is one
line, and its answer must agree with :func:`reference_batch` /
:func:`reference_literal`: the operand rules of the README written out again
the slow, obvious way (per line, per token, Python's ``float``). So NumPy's C
reader (the fast path) and the line-by-line parser (the path that words the
errors) are checked against each other and against the documented rules.

The limits are lowered here (see ``FUZZ_LIMITS``) so that random inputs reach
them. Any other exception, or a disagreement, is a crash: atheris saves the
input and exits non-zero. ``tests/cli/test_fuzz.py`` runs the same checks under
hypothesis with the structured strategies.
"""

from __future__ import annotations

import atexit
import csv
import io
import re
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Small limits so that fuzzed inputs of a few kilobytes run into them, and
# tiny reads so that lines, CRLF pairs and UTF-8 sequences straddle reads.
FUZZ_LIMITS = {
    "MAX_TOKEN_CHARS": 40,
    "MAX_ROW_VALUES": 24,
    "MAX_LINE_CHARS": 600,
    "BLOCK_BYTES": 7,
}

BATCH_DIR = tempfile.mkdtemp(prefix="nncalc-fuzz-")
atexit.register(shutil.rmtree, BATCH_DIR, ignore_errors=True)
BATCH_FILE = Path(BATCH_DIR) / "batch.csv"

NUMBER = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)", re.IGNORECASE
)


@dataclass
class Outcome:
    """What parsing gave: rows (and header labels), or an error and its place."""

    values: np.ndarray | None = None
    labels: list[str] | None = None
    error: tuple[int | None, int | None] | None = None  # (row, column)
    message: str = ""
    # True when the error's place depends on read-ahead (over-long line, bad
    # UTF-8): then only "it is an error" is compared, not where.
    unordered: bool = False
    # True when the input is a tensor file by its first bytes: any one-line
    # error or any rows will do (the tensor readers have their own tests).
    anything: bool = False


class ReferenceError_(Exception):
    def __init__(self, row: int | None, column: int | None, unordered: bool = False) -> None:
        super().__init__(row, column)
        self.row = row
        self.column = column
        self.unordered = unordered


def _limits() -> dict[str, int]:
    from nncalc.io import tokens

    return {name: getattr(tokens, name) for name in FUZZ_LIMITS if hasattr(tokens, name)}


def _number(token: str, row: int | None, column: int, limits: dict[str, int]) -> float:
    if len(token) > limits["MAX_TOKEN_CHARS"] or not NUMBER.fullmatch(token):
        raise ReferenceError_(row, column)
    return float(token)


def _split(line: str, separator: str | None) -> list[str]:
    if separator is None:
        return line.split()
    return [token.strip() for token in line.split(separator)]


SEPARATORS = (",", "\t", ";", "|")

PERCENT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)\s*%")


def _looks_numeric(token: str) -> bool:
    return bool(NUMBER.fullmatch(token) or PERCENT.fullmatch(token))


def _detect(line: str) -> str | None:
    """The first separator of the line outside double quotes; None: whitespace."""
    bare = re.sub(r'"[^"]*(?:"|$)', "", line)
    return next((s for s in SEPARATORS if s in bare), None)


def _clean(raw: str, number: int) -> str:
    line = raw.strip()
    if number == 1:
        line = line.lstrip("\ufeff").strip()
    return "" if line.startswith("#") else line


def _record(
    physical: list[str], index: int, separator: str | None, row: int, limits: dict[str, int]
) -> tuple[list[str], int]:
    """The fields of the record on data line ``physical[index]``, and the index after it.

    A record whose line holds no double quote is split at the separator;
    any other is read as CSV (RFC 4180) and may go on over the next lines.
    """
    line = _clean(physical[index], index + 1)
    if '"' not in line:
        return _split(line, separator), index + 1
    texts = [line] + [raw.rstrip() for raw in physical[index + 1 :]]
    if separator is None:
        texts = [text.replace("\t", " ") for text in texts]
    reader = csv.reader(
        io.StringIO("".join(text + "\n" for text in texts), newline="\n"),
        delimiter=separator or " ",
        quotechar='"',
        doublequote=True,
        skipinitialspace=True,
        strict=True,
    )
    try:
        fields = next(reader)
    except csv.Error as error:
        if "unexpected end of data" in str(error):  # the quote is never closed
            raise ReferenceError_(None, None) from None
        raise ReferenceError_(row, None) from None
    end = index + reader.line_num
    if sum(len(raw) for raw in physical[index:end]) > limits["MAX_LINE_CHARS"]:
        raise ReferenceError_(None, None)
    return [field.strip() for field in fields], end


def _record_text(physical: list[str], index: int, limits: dict[str, int]) -> str:
    """A data line, with the lines a quote it leaves open goes on over."""
    text = _clean(physical[index], index + 1)
    end = index + 1
    while text.count('"') % 2 and len(text) <= limits["MAX_LINE_CHARS"] and end < len(physical):
        text += "\n" + physical[end]
        end += 1
    return text


def _next_data(physical: list[str], index: int) -> int | None:
    while index < len(physical):
        if _clean(physical[index], index + 1):
            return index
        index += 1
    return None


# README, "Tensor files" and "Compressed input": an @file is recognised by its
# first bytes, whatever its name, before it is read as text.
TENSOR_MAGIC = (b"\x93NUMPY", b"PK\x03\x04", b"\x80")
COMPRESSORS = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "lzma"}


def _is_tensor(data: bytes) -> bool:
    if data.startswith(TENSOR_MAGIC):
        return True
    # .safetensors: an 8-byte little-endian header size, then a JSON object.
    return data[8:9] == b"{" and int.from_bytes(data[:8], "little") <= len(data) - 8


def reference_batch(data: bytes) -> Outcome:
    """Parse a batch by the README's rules, record by record."""
    if _is_tensor(data):
        return Outcome(anything=True)
    for magic, module in COMPRESSORS.items():
        if data.startswith(magic):
            import importlib

            try:
                inner = importlib.import_module(module).decompress(data)
            except Exception:  # any damage: an error, wherever it is found
                return Outcome(error=(None, None), unordered=True)
            return reference_batch(inner)
    limits = _limits()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Outcome(error=(None, None), unordered=True)
    try:
        labels, rows = _reference_rows(text, limits)
    except ReferenceError_ as error:
        return Outcome(error=(error.row, error.column), unordered=error.unordered)
    return Outcome(values=np.array(rows, dtype=np.float64), labels=labels)


def _reference_rows(
    text: str, limits: dict[str, int]
) -> tuple[list[str] | None, list[list[float]]]:
    physical = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if physical and physical[-1] == "":
        physical.pop()
    if any(len(line) > limits["MAX_LINE_CHARS"] for line in physical):
        raise ReferenceError_(None, None, unordered=True)
    first = _next_data(physical, 0)
    if first is None:
        raise ReferenceError_(None, None)
    # The separator comes from the first data line: the line after a header.
    separator = _detect(_record_text(physical, first, limits))
    tokens, after = _record(physical, first, separator, 1, limits)
    header = not any(_looks_numeric(t) for t in tokens)
    if header:
        following = _next_data(physical, after)
        if following is not None:
            found = _detect(_record_text(physical, following, limits))
            if found != separator:
                separator = found
                tokens, after = _record(physical, first, separator, 1, limits)
    if len(tokens) > limits["MAX_ROW_VALUES"]:
        raise ReferenceError_(None, None)
    labels = None
    width = len(tokens)
    if header:
        # Class names are given and differ.
        if "" in tokens or len(set(tokens)) != len(tokens):
            raise ReferenceError_(None, None)
        labels, index = tokens, after
    else:
        for column, token in enumerate(tokens, start=1):
            if not NUMBER.fullmatch(token) or len(token) > limits["MAX_TOKEN_CHARS"]:
                raise ReferenceError_(1, column)
        index = first
    rows: list[list[float]] = []
    while (start := _next_data(physical, index)) is not None:
        row_number = len(rows) + 1
        tokens, index = _record(physical, start, separator, row_number, limits)
        if len(tokens) != width:
            raise ReferenceError_(row_number, None)
        rows.append([_number(t, row_number, c, limits) for c, t in enumerate(tokens, start=1)])
    if not rows:
        raise ReferenceError_(None, None)
    return labels, rows


def reference_literal(text: str) -> Outcome:
    """A literal vector by the README's rules."""
    limits = _limits()
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1].strip()
    tokens = re.split(r"\s*,\s*|\s+", body) if body else []
    if not tokens or len(tokens) > limits["MAX_ROW_VALUES"]:
        return Outcome(error=(None, None))
    try:
        row = [_number(t, None, c, limits) for c, t in enumerate(tokens, start=1)]
    except ReferenceError_ as error:
        return Outcome(error=(error.row, error.column))
    return Outcome(values=np.array([row], dtype=np.float64))


def parse_batch(data: bytes) -> Outcome:
    """What nncalc's reader makes of a batch (as stdin or an @file)."""
    from nncalc.errors import NncalcError
    from nncalc.io.operands import StdinClaim, open_operand

    # Through the front door: the bytes as an @file, opened as a command opens it.
    BATCH_FILE.write_bytes(data)
    chunks = []
    try:
        operand = open_operand(f"@{BATCH_FILE}", "X", StdinClaim())
        reader = operand.reader
        assert reader is not None
        try:
            while (chunk := reader.read_chunk()) is not None:
                chunks.append(chunk.values)
            labels = operand.labels
        finally:
            reader.stream.close()
    except NncalcError as error:
        return Outcome(error=(error.where.row, error.where.column), message=str(error))
    if not chunks:
        return Outcome(error=(None, None), message="X: input has no data rows")
    return Outcome(values=np.concatenate(chunks), labels=labels)


def parse_literal(text: str) -> Outcome:
    from nncalc.errors import NncalcError
    from nncalc.io.tokens import parse_literal as parse

    try:
        return Outcome(values=parse(text, "X"))
    except NncalcError as error:
        return Outcome(error=(error.where.row, error.where.column), message=str(error))


def same_values(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype == np.float64 and a.shape == b.shape and np.array_equal(a, b, True)


def check(got: Outcome, want: Outcome, what: str) -> None:
    """Raise AssertionError when nncalc and the reference disagree."""
    if got.error is not None:
        lines = got.message.splitlines()
        assert len(lines) == 1 and lines[0] == got.message, f"{what}: multi-line {got.message!r}"
        assert "X" in got.message, f"{what}: error does not name the operand: {got.message!r}"
    if want.anything:
        return
    if want.error is None:
        assert got.error is None, f"{what}: rejected valid input: {got.message}"
        assert got.values is not None and want.values is not None
        assert same_values(got.values, want.values), f"{what}: {got.values!r} != {want.values!r}"
        assert got.labels == want.labels, f"{what}: labels {got.labels!r} != {want.labels!r}"
        assert got.values.ndim == 2 and got.values.shape[1] >= 1
        return
    assert got.error is not None, f"{what}: accepted invalid input as {got.values!r}"
    if not want.unordered:
        assert got.error == want.error, f"{what}: error at {got.error}, expected {want.error}"


def check_batch(data: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would reach the user's stderr
        got = parse_batch(data)
    check(got, reference_batch(data), f"batch {data!r}")


def check_literal(text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = parse_literal(text)
    check(got, reference_literal(text), f"literal {text!r}")


def check_input(data: bytes) -> None:
    """One fuzz input: the first byte picks literal or batch."""
    if not data:
        return
    if data[0] & 1:
        check_literal(data[1:].decode("utf-8", "replace").replace("\x00", ""))
    else:
        check_batch(data[1:])


def lower_limits() -> dict[tuple[Any, str], int]:
    """Set FUZZ_LIMITS in every reader module; return what they were."""
    from nncalc.io import columns, csvtext, layout, operands, reader, textlines, tokens, values

    saved: dict[tuple[Any, str], int] = {}
    # Each module of the reader holds its own binding of a limit.
    for module in (tokens, reader, operands, textlines, csvtext, layout, columns, values):
        for name, value in FUZZ_LIMITS.items():
            if hasattr(module, name):
                saved[module, name] = getattr(module, name)
                setattr(module, name, value)
    return saved


def restore_limits(saved: dict[tuple[Any, str], int]) -> None:
    for (module, name), value in saved.items():
        setattr(module, name, value)


def run_atheris(argv: list[str]) -> None:
    import atheris

    # Coverage comes from the package's own bytecode, so it is imported
    # (every module the reader uses) inside the instrumenting block.
    with atheris.instrument_imports(include=["nncalc"]):
        import nncalc.io.compressed
        import nncalc.io.operands
        import nncalc.io.tensors
        import nncalc.io.tokens  # noqa: F401

    lower_limits()
    atheris.Setup(argv, check_input)
    atheris.Fuzz()


def run_hypothesis(examples: int) -> None:
    """The fallback without atheris: a bounded, random (not coverage-guided) run."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    alphabet = st.sampled_from([*'0123456789.,;\t -+eEinfaINFty#\n\r[]x\x00\x0b"|%', "\u2212"])
    inputs = st.one_of(
        st.binary(max_size=200),
        st.text(alphabet, max_size=300).map(lambda t: b"\x00" + t.encode()),
        st.text(alphabet, max_size=60).map(lambda t: b"\x01" + t.encode()),
    )

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(inputs)
    def fuzz(data: bytes) -> None:
        check_input(data)

    lower_limits()
    fuzz()
    print(f"fuzz_operands: {examples} hypothesis inputs, no failure")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--hypothesis":
        run_hypothesis(int(sys.argv[2]) if len(sys.argv) > 2 else 2000)
    else:
        run_atheris(sys.argv)
