"""Size limits for inputs that are read whole or turned into exact integers.

Each limit is enforced while reading, so an endless input (``/dev/zero``)
stops at the limit in flat memory, and a number too large to be a size is an
error naming it, never an internal error. The command line and the README
cite these constants.
"""

from __future__ import annotations

import math

from nncalc.errors import NncalcError

# A config file (``config.json``) is read with one bounded read of this many
# bytes plus one; a larger file is refused. Real configs are a few KiB.
MAX_CONFIG_BYTES = 16 * 1024 * 1024

# The largest size (vocabulary, width, context length, batch, padding
# multiple) accepted from a config or an argument: far above any real model,
# and small enough that every count and byte total stays an exact integer
# that prints (Python refuses ``str()`` of an int over 4300 digits).
MAX_SIZE = 10**18
MAX_SIZE_TEXT = "10**18"

# Labels read from a labels file (``--labels @vocab.txt``), counted while
# reading: an endless file stops here. Real vocabularies are ~10**5.
MAX_LABELS = 10_000_000

# Digits of the largest JSON integer parsed as a number; a longer one is
# kept as a :class:`LongNumber` (never converted, so never slow).
MAX_JSON_INT_DIGITS = len(str(MAX_SIZE))

# Integers with more digits than this are described, not printed.
_SHOWN_DIGITS = 40


class LongNumber:
    """A JSON integer with more than :data:`MAX_JSON_INT_DIGITS` digits, not converted.

    Configs are parsed with :func:`parse_json_int`, which returns this instead
    of an ``int`` for such a number, so a 5,000-digit ``vocab_size`` costs
    nothing to parse and is refused by name when its field is read.
    """

    __slots__ = ("digits", "negative")

    def __init__(self, digits: int, *, negative: bool) -> None:
        self.digits = digits
        self.negative = negative

    def __repr__(self) -> str:
        sign = "negative " if self.negative else ""
        return f"<a {sign}whole number of {self.digits:,} digits>"


def parse_json_int(text: str) -> int | LongNumber:
    """``json.loads``'s ``parse_int`` hook: an int, or a :class:`LongNumber` when too long."""
    negative = text.startswith("-")
    digits = len(text) - negative
    if digits > MAX_JSON_INT_DIGITS:
        return LongNumber(digits, negative=negative)
    return int(text)


def int_text(value: int) -> str:
    """``str(value)``, or a description such as ``a whole number of 5,000 digits``.

    Safe for any int: the number of digits of a long one is found from its
    bit length (exact to within one digit), never by converting it.
    """
    magnitude = abs(value)
    if magnitude < 10**_SHOWN_DIGITS:
        return str(value)
    digits = int(magnitude.bit_length() * math.log10(2)) + 1
    sign = "negative " if value < 0 else ""
    return f"a {sign}whole number of about {digits:,} digits"


def check_size(name: str, value: int, *, minimum: int = 1) -> int:
    """``value`` if it is a Python int (not bool) in [minimum, :data:`MAX_SIZE`] (minimum 0 or 1).

    Else :class:`NncalcError` with ``param=name`` and the value as its token
    (described in the message instead when it is too long to print).
    """
    need = "a positive whole number" if minimum == 1 else "a whole number, zero or more"
    if isinstance(value, bool) or not isinstance(value, int):
        raise NncalcError(f"{name} must be {need}", param=name, token=str(value)[:80])
    if minimum <= value <= MAX_SIZE:
        return value
    message = (
        f"{name} must be {need}" if value < minimum else f"{name} must be at most {MAX_SIZE_TEXT}"
    )
    shown = int_text(value)
    if shown.startswith("a "):
        raise NncalcError(f"{message}, got {shown}", param=name)
    raise NncalcError(message, param=name, token=shown)
