"""Byte counts as people read them, for tables: ``1.23 GiB (1.32 GB)``.

Only tables use this; plain, CSV and JSON output keep the exact integer.
"""

from __future__ import annotations

BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
DECIMAL_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


def _three_digits(value: float) -> str:
    """``value`` to 3 significant digits, trailing zeros kept: 1.20, 12.3, 123, 0.977."""
    text = f"{value:#.3g}"
    return text[:-1] if text.endswith(".") else text


def _scaled(count: int, base: int, units: tuple[str, ...]) -> str:
    """``count`` bytes in the largest unit whose 3-digit value stays below 1000."""
    for power, unit in enumerate(units):
        text = _three_digits(count / base**power)
        if float(text) < 1000 or power == len(units) - 1:
            return f"{text} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def format_bytes(count: int) -> str:
    """A byte count in binary and decimal units: ``1.23 GiB (1.32 GB)``.

    Below 1 KiB the exact count alone: ``512 B``. Otherwise each part has 3
    significant digits, in the largest unit that keeps it below 1000 (so
    1,024,000 bytes is ``0.977 MiB (1.02 MB)``, never ``1000 KiB``); beyond
    the largest unit (YiB, YB) the number grows (``8.27e+05 YiB``). The
    division is correctly rounded (Python's int / int) before the 3-digit
    rounding, at any size. ``count`` must be an int >= 0 (else ``ValueError``).
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"a byte count must be a whole number >= 0, got {count!r}")
    if count < 1024:
        return f"{count} B"
    return f"{_scaled(count, 1024, BINARY_UNITS)} ({_scaled(count, 1000, DECIMAL_UNITS)})"
