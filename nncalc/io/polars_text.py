"""Plain lines of numbers parsed by polars' CSV reader, when polars is installed and loaded.

polars parses on every core without holding the GIL, several times faster
than NumPy's reader, which holds it throughout. It is used for a whole read
of narrow rows (at most MAX_WIDTH values, one separator character) once
polars is loaded: by the output side, which imports it for large outputs
(:mod:`nncalc.output.fastcsv`), or here, once an input passed
IMPORT_AFTER characters. ``NNCALC_NO_POLARS=1`` turns it off.

Only texts made of digits, ``. + - e E``, the separator and newlines go to
polars: no spaces, no quotes, no ``inf``/``nan`` spellings. Over those
bytes polars takes exactly the tokens NumPy's reader takes and reads the
same float64 (both round correctly; tests/io/test_polars_text.py checks
this with hypothesis). A text polars refuses, or one with a missing value
(an empty field, a short row: polars gives a null, here a NaN, which the
bytes rule out otherwise), goes NumPy's way, which words the errors as
before.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

from nncalc.core.arrays import FloatArray

MAX_WIDTH = 64
IMPORT_AFTER = 32 << 20
NUMBER_TEXT = b"0123456789.+-eE\n"
SEPARATORS = (",", "\t", ";", "|")
# Tokens at the edges of the number grammar, parsed both ways to check a polars version once.
PROBE = (
    "1,-1,+1,1.,.5,-.5,+.5,00012,1e5,1E+5,1e-5,1.5e0005,-0,1e400,-1e400,1e-400,"
    "2.2250738585072011e-308,4.9406564584124654e-324,9007199254740993,"
    "0.1000000000000000055511151231257827021181583404541015625,"
    "179769313486231580793728971405303415079934132710037826936173778980444968292764750946"
    "64972254962178437466879939640592046082658148813599227394627394566813424862441838624"
    "03215585958046138054625282047244416087186424316094426826498101478547815066066041829"
    "37728069888012836993632806768346521591\n"
)

_polars: Any = None
_checked = False


def turned_off() -> bool:
    return os.environ.get("NNCALC_NO_POLARS", "") not in ("", "0")


def loaded(separator: str | None, width: int, characters_read: int) -> Any:
    """polars when it may parse rows ``width`` wide split by ``separator``:
    such rows (see :func:`parse`), and polars loaded already (or worth
    loading after ``characters_read``), installed, not turned off and
    reading like NumPy; else None."""
    global _polars, _checked
    if separator not in SEPARATORS or width > MAX_WIDTH or turned_off():
        return None
    if _checked:
        return _polars
    module = sys.modules.get("polars")
    if module is None and characters_read < IMPORT_AFTER:
        return None
    if getattr(getattr(module, "__spec__", None), "_initializing", False):
        return None  # another thread is importing it: try again at the next read
    _checked = True
    try:
        import polars
    except ImportError:
        return None
    if reads_like_numpy(polars):
        _polars = polars
    return _polars


def reads_like_numpy(pl: Any) -> bool:
    """Whether this polars reads PROBE exactly as NumPy's reader does (and
    Python's ``float``: both round correctly)."""
    tokens = PROBE.strip().split(",")
    expected = np.array([[float(token) for token in tokens]])
    try:
        got = parse(pl, PROBE, ",", len(tokens))
    except Exception:  # a polars without some of the arguments used
        return False
    return got is not None and got.tobytes() == expected.tobytes()


def parse(pl: Any, text: str, separator: str | None, width: int) -> FloatArray | None:
    """The rows of ``text``, ``width`` values each, as NumPy's reader gives
    them; None for any text this path does not take (see the module)."""
    if separator not in SEPARATORS or width > MAX_WIDTH or not text:
        return None
    data = text.encode("utf-8", "surrogatepass")
    if data.translate(None, NUMBER_TEXT + separator.encode()):
        return None  # another byte: spaces, letters, quotes
    if not data.endswith(b"\n"):
        data += b"\n"  # polars drops an empty last field of a last line without one
    schema = {f"c{i}": pl.Float64 for i in range(width)}
    try:
        frame = pl.read_csv(
            data, has_header=False, separator=separator, quote_char=None, schema=schema
        )
    except Exception:  # polars' errors have no common base but Exception
        return None
    values: FloatArray = frame.to_numpy(order="c", writable=True)
    if values.dtype != np.float64 or values.shape[1] != width or np.isnan(values).any():
        return None
    # Every line had exactly ``width`` fields: one row a line, and no field
    # dropped (a missing one would have been a null, here a NaN).
    bytes_ = np.frombuffer(data, dtype=np.uint8)
    lines = int(np.count_nonzero(bytes_ == ord("\n")))
    separators = int(np.count_nonzero(bytes_ == ord(separator)))
    if len(values) != lines or separators != lines * (width - 1):
        return None
    return values
