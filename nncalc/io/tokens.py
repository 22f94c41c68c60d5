"""Operand text -> numbers: tokens, literal vectors, separators, negative literals."""

from __future__ import annotations

import re

import numpy as np

from nncalc.core.arrays import FloatArray
from nncalc.errors import NncalcError

NUMBER = re.compile(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)",
    re.IGNORECASE | re.ASCII,
)


LITERAL_SPLIT = re.compile(r"\s*,\s*|\s+")


NEGATIVE_LITERAL = re.compile(r"-(?:\d|\.\d|inf|nan)", re.IGNORECASE)


SEPARATORS = (",", "\t", ";", "|")


# What a separator is called in messages.
SEPARATOR_NAMES = {",": "','", "\t": "tab", ";": "';'", "|": "'|'", None: "whitespace"}


PERCENT = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))\s*%", re.ASCII)


INTEGER = re.compile(r"[+-]?\d+", re.ASCII)


# A quoted section of a line, up to its closing quote or the end of the line.
QUOTED = re.compile(r'"[^"]*(?:"|$)')


# Input limits (README, "Limits"): a clear error instead of unbounded memory.
MAX_TOKEN_CHARS = 400


MAX_ROW_VALUES = 1_000_000


MAX_LINE_CHARS = 32_000_000


# Bytes that can make up a number NumPy's reader accepts ("1.5e-3", "-inf", "nan").
NUMBER_BYTES = np.zeros(256, dtype=bool)


NUMBER_BYTES[list(b"0123456789+-.eEiInNfFaAtTyY")] = True


# Look-alikes of ASCII digits and minus signs, for the hint in the message.
MINUS_LOOKALIKES = "\u2212\u2010\u2011\u2012\u2013\u2014\ufe63\uff0d"


def is_number(token: str) -> bool:
    return NUMBER.fullmatch(token) is not None


# Numbers, one a line: a block of a row's fields checked in one match, not a call a field.
NUMBER_LINES = re.compile(rf"(?:{NUMBER.pattern})(?:\n(?:{NUMBER.pattern}))*", NUMBER.flags)


# Fields a match: the regex engine keeps state for every repetition within a
# match (a row of 200,000 numbers in one match peaked at 161 MB, 1,000,000 at 540).
NUMBERS_A_MATCH = 1024


def all_numbers(tokens: list[str]) -> bool:
    """Whether every token is a number of at most MAX_TOKEN_CHARS characters."""
    if not tokens or max(map(len, tokens)) > MAX_TOKEN_CHARS:
        return not tokens
    for start in range(0, len(tokens), NUMBERS_A_MATCH):
        block = tokens[start : start + NUMBERS_A_MATCH]
        text = "\n".join(block)  # a quoted field may hold a newline: then no match
        if text.count("\n") != len(block) - 1 or NUMBER_LINES.fullmatch(text) is None:
            return False
    return True


def looks_numeric(token: str) -> bool:
    """A number, or a cell meant as one (``10%``): never taken for a name."""
    return NUMBER.fullmatch(token) is not None or PERCENT.fullmatch(token) is not None


def parse_token(
    token: str,
    operand: str,
    column: int,
    row: int | None = None,
    line: int | None = None,
) -> float:
    """One number; anything else is an error naming the token and its place."""
    problem = None
    if len(token) > MAX_TOKEN_CHARS:
        problem = f"token longer than {MAX_TOKEN_CHARS} characters"
    elif token == "":
        problem = "empty value (two separators in a row?)"
    elif not is_number(token):
        problem = "not a number"
    if problem is not None:
        raise NncalcError(
            problem,
            operand=operand,
            row=row,
            column=column,
            token=token,
            line=line,
            hint=_ascii_hint(token),
        )
    return float(token)


def _ascii_hint(token: str) -> str | None:
    """The fix for numbers written with non-ASCII minus signs or digits, or as percentages."""
    percent = PERCENT.fullmatch(token)
    if percent is not None:
        return f"percentages are not read: write {float(percent.group(1)) / 100!r} for {token}"
    if any(char in MINUS_LOOKALIKES for char in token):
        return "write the minus sign as ASCII '-'"
    if any(char.isdigit() and not char.isascii() for char in token):
        return "write digits as ASCII 0-9"
    return None


# A run of more than MAX_TOKEN_CHARS number bytes covers a whole aligned
# block of MAX_TOKEN_CHARS // 2 + 1 bytes; a block whose first HEAD_BYTES
# hold a byte no number has (a separator) cannot be part of one.
HEAD_BYTES = 32


def count_newlines(text: str) -> int:
    """``text.count("\\n")``, five times faster on a long text (``str.count``
    looks at a character at a time; NumPy compares many at once)."""
    if len(text) < 4096:
        return text.count("\n")
    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    return int(np.count_nonzero(data == ord("\n")))


def has_long_token(lines: list[str]) -> bool:
    """Whether lines NumPy parsed hold a number longer than MAX_TOKEN_CHARS."""
    return text_has_long_token("\n".join(lines))


def text_has_long_token(text: str) -> bool:
    """Whether text holds a number longer than MAX_TOKEN_CHARS.

    Such a number is a run of more than MAX_TOKEN_CHARS bytes that can occur
    in numbers. Rather than every byte, the check looks at the head of each
    aligned block the run would have to cover (a few bytes in six of the
    text, where a separator shows up); only blocks with no separator in
    their head are looked at whole, and only when one is all number bytes
    is every run measured.
    """
    if len(text) <= MAX_TOKEN_CHARS:
        return False
    data = np.frombuffer(text.encode("utf-8", "replace"), dtype=np.uint8)
    size = MAX_TOKEN_CHARS // 2 + 1
    blocks = data[: len(data) // size * size].reshape(-1, size)
    # Comparisons, not a table look-up: twice as fast. A head with a byte
    # below '+' (controls, space, '"', '#'), ',' ';' or '|' rules its block out.
    heads = blocks[:, :HEAD_BYTES]
    separated = (heads < ord("+")) | (heads == ord(","))
    separated |= heads == ord(";")
    separated |= heads == ord("|")
    suspects = blocks[~separated.any(axis=1)]
    if not len(suspects) or not NUMBER_BYTES[suspects].all(axis=1).any():
        return False
    breaks = np.flatnonzero(~NUMBER_BYTES[data])
    edges = np.concatenate(([-1], breaks, [len(data)]))
    return bool((np.diff(edges) - 1 > MAX_TOKEN_CHARS).any())


def split_literal(text: str) -> list[str]:
    """Tokens of a literal vector: commas and/or whitespace, optional brackets."""
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1].strip()
    if not body:
        return []
    return LITERAL_SPLIT.split(body)


def _too_wide(operand: str, line: int | None = None, row: int | None = None) -> NncalcError:
    where = f"line {line} has" if row is None and line is not None else "row has"
    return NncalcError(
        f"{where} more than {MAX_ROW_VALUES:,} values (the limit of a row)",
        operand=operand,
        row=row,
        line=line,
    )


def parse_literal(text: str, operand: str) -> FloatArray:
    """A literal vector operand as one row."""
    tokens = split_literal(text)
    if not tokens:
        raise NncalcError("empty vector", operand=operand, token=text)
    if len(tokens) > MAX_ROW_VALUES:
        raise _too_wide(operand)
    values = [parse_token(t, operand, i + 1) for i, t in enumerate(tokens)]
    return np.array([values], dtype=np.float64)


def detect_separator(line: str) -> str | None:
    """The separator of an input, from its first data line (None: whitespace).

    The first of ``, TAB ; |`` the line holds outside double quotes.
    """
    if '"' in line:
        line = QUOTED.sub("", line)
    for separator in SEPARATORS:
        if separator in line:
            return separator
    return None


def other_separator(token: str, separator: str | None) -> str | None:
    """A separator other than the input's inside a token (mixed separators), if any."""
    for other in SEPARATORS:
        if other != separator and other in token:
            return other
    return None


def split_line(line: str, separator: str | None) -> list[str]:
    if separator is None:
        return line.split()
    return [token.strip() for token in line.split(separator)]


def protect_negative_literals(args: list[str]) -> list[str]:
    """Let ``-1,0,1`` through the option parser as an operand.

    A token that starts like a negative number gets a leading space: the
    option parser no longer sees a dash first, and the operand parser and
    float options ignore surrounding whitespace.
    """
    return [" " + arg if NEGATIVE_LITERAL.match(arg) else arg for arg in args]
