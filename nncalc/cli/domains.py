"""The domain of every numeric option, checked when the command line is parsed.

One :class:`Domain` per option: the README's "Numeric options" table shows
each one's :attr:`Domain.text`, and a value outside it is a one-line error
naming the option, the value as typed and the domain (``--top: '0': must be
a whole number >= 1``), exit 2, before any input is read. Integer options
take their domain from their ``min``/``max`` (what ``--help`` shows); the
others are listed in :data:`DOMAINS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

from nncalc.errors import NncalcError

# Whole numbers longer than this are refused by their length, never converted.
MAX_INT_DIGITS = 40


def _bound(value: float) -> str:
    """A bound as the README writes it (10**18, 0.5, 1)."""
    if isinstance(value, int) and value >= 10**6 and math.log10(value).is_integer():
        return f"10**{int(math.log10(value))}"
    return format(value, "g") if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Domain:
    """An interval of numbers (whole numbers when ``integer``); None: unbounded.

    Real options are finite unless said otherwise: no option takes an
    infinite or NaN value.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False

    @property
    def text(self) -> str:
        """``a whole number >= 1``, ``a number in [0, 1)``, ``a finite number > 0`` ..."""
        kind = "a whole number" if self.integer else "a number"
        if self.low is not None and self.high is not None:
            left = "(" if self.low_open else "["
            right = ")" if self.high_open else "]"
            return f"{kind} in {left}{_bound(self.low)}, {_bound(self.high)}{right}"
        if not self.integer:
            kind = "a finite number"
        if self.low is not None:
            return f"{kind} {'>' if self.low_open else '>='} {_bound(self.low)}"
        if self.high is not None:
            return f"{kind} {'<' if self.high_open else '<='} {_bound(self.high)}"
        return kind

    def contains(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return not (
            self.high is not None and (value >= self.high if self.high_open else value > self.high)
        )

    def parse(self, flag: str, value: Any) -> int | float:
        """``value`` (text as typed, or a number) in this domain, or a one-line error."""
        text = str(value).strip()
        number: int | float | None = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = value
        elif self.integer:
            digits = text.removeprefix("-").removeprefix("+")
            if digits.isascii() and digits.isdigit() and len(digits) <= MAX_INT_DIGITS:
                number = int(text)
        else:
            try:
                number = float(text) if text.isascii() and "_" not in text else None
            except ValueError:
                number = None
        if number is None or not self.contains(number):
            raise NncalcError(f"must be {self.text}", operand=flag, token=text)
        return number if self.integer else float(number)


@dataclass(frozen=True)
class Choices:
    """The values of a choice option (--format, --base, ...), as help lists them."""

    names: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"one of {', '.join(self.names)}"

    def parse(self, flag: str, value: Any) -> Any:
        """Called with a value that is none of the choices: the one-line error."""
        raise NncalcError(f"must be {self.text}", operand=flag, token=str(value).strip())


# The real options (and integer options declared without min/max), by flag.
DOMAINS: dict[str, Domain] = {
    "--temperature": Domain(low=0, low_open=True),
    "--tol": Domain(low=0, high=1, high_open=True),
    "--eps": Domain(low=0, high=0.5, high_open=True),
    "--label-smoothing": Domain(low=0, high=1),
    "--alpha": Domain(low=0, high=1),
    "--max": Domain(),
    "--min": Domain(),
    "--recon": Domain(),
    "--beta": Domain(low=0),
    "--noise": Domain(low=0),
    "--lr": Domain(low=0, low_open=True),
    "--ignore-index": Domain(integer=True),
}


def domain_of(param: Any) -> Domain | Choices | None:
    """The domain of a Typer option, or None when it is not a numeric one.

    A numeric option is one of int or float values, or one whose callback
    carries a ``domain`` (sizes given as text, read by the callback).
    """
    callback_domain = getattr(getattr(param, "callback", None), "domain", None)
    if isinstance(callback_domain, Domain):
        return callback_domain
    descriptor = getattr(param, "type_descriptor", None)
    annotation = getattr(descriptor, "annotation", None)
    if not getattr(param, "opts", None):
        return None
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return Choices(tuple(str(member.value) for member in annotation))
    if annotation not in (int, float):
        return None
    flag = max(param.opts, key=len)
    if flag in DOMAINS:
        return DOMAINS[flag]
    if annotation is int:
        return Domain(low=param.min, high=param.max, integer=True)
    return None
