"""The text ``repr`` gives float64 numbers, for a whole array at once, with NumPy.

Python's ``repr`` of a float (the shortest decimal that reads back as the same
float64) costs about 0.4 us a number, most of the time of a large batch.
:func:`rows_text` gives exactly the same text in a few dozen vectorised passes.

How. The shortest decimal of a float64 has at most 17 significant digits;
with 15 or fewer it is the 15-digit rounding with its trailing zeros dropped
(15-digit decimals are more than an ulp apart), else the 16-digit rounding if
that reads back, else the 17-digit one. For x with decimal exponent E, the
n-digit rounding is D = rint(y), y = |x| * 10**(n-1-E), computed in 80-bit
long double (64-bit mantissa: at most two roundings, an error below
2**-62 * y). D reads back as x when |y - D| is below half an ulp of x scaled
the same way, and it is the nearest n-digit decimal when |y - D| < 1/2. Each
comparison keeps a margin (0.02 of the last digit for 17 digits); a number
whose answer falls inside a margin (near a tie or the edge of its rounding
interval) is formatted by ``repr`` itself, as are powers of two (whose
interval is lopsided), subnormal numbers (whose ulp is wider than 15-digit
steps), zeros, infinities and NaN. So the result is always exactly repr's.

Layout follows ``repr``: positional for 1e-4 <= |x| < 1e16 (``0.000123``,
``1234.5``, ``12.0``), otherwise ``d.ddde-05`` with at least two exponent
digits. Without an 80-bit long double (Windows, ARM macOS) :data:`USABLE` is
False and callers use ``repr``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from nncalc.core.arrays import FloatArray

LONG = np.longdouble
USABLE = np.finfo(LONG).nmant >= 63 and np.finfo(LONG).maxexp >= 16384
# 10**k for k in -350..350 as long double: exact up to 10**27, else rounded once.
POW10 = np.array([LONG(f"1e{k}") for k in range(-350, 351)], dtype=LONG)
POW10_OFFSET = 350
SMALLEST_NORMAL = float(np.finfo(np.float64).smallest_normal)
FIELD = 26  # the longest text ('-1.2345678901234567e-308') and a separator fit
DIGIT_COLUMNS = 17
POINT, ZERO, MINUS = 17, 18, 19  # extra source columns after the 17 digits
U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]


def rows_text(values: FloatArray) -> str:
    """Comma-separated lines of ``values``, each number exactly as ``repr`` writes it."""
    return numbers_text(np.ascontiguousarray(values, dtype=np.float64).reshape(-1), values.shape[1])


def numbers_text(flat: FloatArray, width: int, at: int = 0) -> str:
    """:func:`rows_text` of numbers of rows ``width`` wide, ``flat`` starting at
    number ``at`` of the rows (it may start and end mid-row): a comma after
    each number but a row's last, a line end after that."""
    count = flat.size
    out = np.zeros((count, FIELD), dtype=np.uint8)
    lengths = np.zeros(count, dtype=np.int64)
    magnitude = np.abs(flat)
    with np.errstate(all="ignore"):
        # Normal numbers only: a subnormal's ulp is wider than 15-digit steps.
        regular = (
            np.isfinite(flat) & (magnitude >= SMALLEST_NORMAL) & (np.frexp(magnitude)[0] != 0.5)
        )
    candidates = np.flatnonzero(regular)
    exponent = np.floor(np.log10(magnitude[candidates])).astype(np.int64)
    digits, significant, decided = _shortest_digits(magnitude[candidates], exponent)
    fast = candidates[decided]
    order, text, size = _lay_out(
        np.signbit(flat[fast]), exponent[decided], digits[decided], significant[decided]
    )
    out[fast[order]] = text
    lengths[fast[order]] = size
    slow = np.ones(count, dtype=bool)
    slow[fast] = False
    _with_repr(out, lengths, np.flatnonzero(slow), flat)
    separators = np.full(count, ord(","), dtype=np.uint8)
    separators[(width - 1 - at) % width :: width] = ord("\n")
    out[np.arange(count), lengths] = separators
    text = out.reshape(-1)
    return str(text[text != 0].tobytes().decode("ascii"))


def _shortest_digits(magnitude: FloatArray, exponent: I64) -> tuple[U8, I64, npt.NDArray[np.bool_]]:
    """The shortest round-trip digits (17 ASCII digits, zero-padded) where certain.

    Only y17 = |x| * 10**(16-E) is computed in long double; the 16- and
    15-digit roundings are y17 / 10 and y17 / 100, taken exactly from its
    integer part and fraction in int64 and float64.
    """
    count = len(magnitude)
    y = magnitude.astype(LONG) * POW10[np.clip(16 - exponent + POW10_OFFSET, 0, len(POW10) - 1)]
    y = np.where(y < LONG(2.0**62), y, LONG(0))  # a wrong E: not in range below
    whole_int = y.astype(np.int64)  # floor, as y >= 0 (np.floor is slow in long double)
    fraction = (y - whole_int.astype(LONG)).astype(np.float64)  # within 0.02 of exact
    y17 = y.astype(np.float64)
    with np.errstate(all="ignore"):
        # Half the gap to the next float64 towards zero (the same as above, as
        # powers of two are left out), relative first: subnormal gaps are tiny.
        reach17 = y17 * ((magnitude - np.nextafter(magnitude, 0)) / magnitude / 2)
    chosen = np.zeros(count, dtype=np.int64)  # the digits as a 17-digit integer
    length = np.zeros(count, dtype=np.int64)  # how many of them are significant
    shorter_fails = np.ones(count, dtype=bool)  # no decimal with fewer digits reads back
    for n, divisor, margin in ((15, 100, 2e-4), (16, 10, 2e-3), (17, 1, 2e-2)):
        head = whole_int // divisor if divisor > 1 else whole_int
        part = (whole_int - head * divisor + fraction) / divisor  # y_n - head, in [0, 1)
        up = part >= 0.5
        rounded = head + up
        off = np.abs(part - up)
        reach = reach17 / divisor
        in_range = (rounded >= 10 ** (n - 1)) & (rounded < 10**n)
        nearest = np.abs(part - 0.5) > margin
        reads_back = off < reach - margin
        take = shorter_fails & in_range & nearest & reads_back & (length == 0)
        chosen = np.where(take, rounded * 10 ** (17 - n), chosen)
        length = np.where(take, n, length)
        shorter_fails &= in_range & nearest & (off > reach + margin)
    digits = _digit_chars(chosen)
    significant = DIGIT_COLUMNS - np.argmax(digits[:, ::-1] != ord("0"), axis=1)
    # 15 digits: the zeros at the end go. 16 or 17: a zero at the end would
    # mean fewer digits read back, which the 15-digit test excluded: unsure.
    decided = (length == 15) | ((length > 15) & (significant == length))
    return digits, significant, decided


def _digit_chars(number: I64) -> U8:
    """17 ASCII digits of each number below 10**17 (two uint32 halves: fast division)."""
    out = np.empty((len(number), DIGIT_COLUMNS), dtype=np.uint8)
    high = (number // 1_000_000_000).astype(np.uint32)
    low = (number % 1_000_000_000).astype(np.uint32)
    ten = np.uint32(10)
    for part, columns in ((low, range(16, 7, -1)), (high, range(7, -1, -1))):
        for column in columns:
            quotient = part // ten
            out[:, column] = part - quotient * ten
            part = quotient
    out += ord("0")
    return out


def _lay_out(
    negative: npt.NDArray[np.bool_], exponent: I64, digits: U8, significant: I64
) -> tuple[I64, U8, I64]:
    """The numbers laid out as repr does: (their order, text rows, lengths).

    Numbers are grouped by layout (sign and, for positional ones, the
    exponent), so each group is one column gather from the same template.
    """
    sign = negative.astype(np.int64)
    positional = (exponent >= -4) & (exponent < 16)
    key = (np.where(positional, exponent + 4, 20) * 2 + sign).astype(np.int16)
    order = np.argsort(key, kind="stable")  # a radix sort for 16-bit keys
    key, sign, exponent, significant = key[order], sign[order], exponent[order], significant[order]
    positional = positional[order]
    source = np.empty((len(order), 20), dtype=np.uint8)
    source[:, :DIGIT_COLUMNS] = digits[order]
    source[:, POINT] = ord(".")
    source[:, ZERO] = ord("0")
    source[:, MINUS] = ord("-")
    # Positional: the digits with a point after E+1 of them ("12.0" keeps one
    # decimal), or "0." and -E-1 zeros before them.
    body = np.where(
        exponent >= 0,
        exponent + 2 + np.maximum(significant - exponent - 1, 1),
        1 - exponent + significant,
    )
    # Scientific: d.ddd (just d for one digit), then e, a sign and 2-3 digits.
    mantissa = np.where(significant > 1, significant + 1, 1)
    exponent_digits = np.where(np.abs(exponent) >= 100, 3, 2)
    size = sign + np.where(positional, body, mantissa + 2 + exponent_digits)
    text = np.zeros((len(order), FIELD), dtype=np.uint8)
    if not len(order):
        return order, text, size
    bounds = np.flatnonzero(np.diff(key)) + 1
    for start, stop in zip([0, *bounds.tolist()], [*bounds.tolist(), len(key)], strict=True):
        e, minus = divmod(int(key[start]), 2)
        e -= 4
        if e == 16:  # scientific
            template = [0, POINT, *range(1, DIGIT_COLUMNS)]
        elif e >= 0:
            template = [*range(e + 1), POINT, *range(e + 1, DIGIT_COLUMNS)]
        else:
            template = [ZERO, POINT, *[ZERO] * (-e - 1), *range(DIGIT_COLUMNS)]
        if minus:
            template = [MINUS, *template]
        text[start:stop, : len(template)] = source[start:stop][:, template]
    text *= np.arange(FIELD) < size[:, None]  # cut each number to its length
    sci = np.flatnonzero(~positional)
    if len(sci):
        columns = (sign[sci] + mantissa[sci])[:, None] + np.arange(5)
        sci_exponent = exponent[sci]
        power = np.abs(sci_exponent)
        three = exponent_digits[sci] == 3
        tail = np.zeros((len(sci), 5), dtype=np.uint8)
        tail[:, 0] = ord("e")
        tail[:, 1] = np.where(sci_exponent < 0, ord("-"), ord("+"))
        tail[:, 2] = np.where(three, power // 100, power // 10) + 48
        tail[:, 3] = np.where(three, power // 10 % 10, power % 10) + 48
        tail[:, 4] = np.where(three, power % 10 + 48, 0)
        text[sci[:, None], columns] = tail
    return order, text, size


def _with_repr(out: U8, lengths: I64, where: I64, flat: FloatArray) -> None:
    """Write the numbers at rows ``where`` with ``repr`` itself, in one pass."""
    if not len(where):
        return
    numbers = flat[where].tolist()
    text = np.frombuffer((("%r," * len(numbers)) % tuple(numbers)).encode("ascii"), np.uint8)
    ends = np.flatnonzero(text == ord(","))
    size = np.diff(ends, prepend=-1) - 1
    owner = np.repeat(np.arange(len(where)), size)
    column = np.arange(len(owner)) - np.repeat(np.cumsum(size) - size, size)
    out[where[owner], column] = np.delete(text, ends)
    lengths[where] = size
