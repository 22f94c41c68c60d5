"""Tensor file headers (.npy, .safetensors), read and checked before any data.

Every header is treated as hostile: sizes, shapes and byte ranges are checked
against each other and against the file size with Python integers (no
overflow), and each problem is a :class:`NncalcError` saying what is wrong.
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any, BinaryIO

import numpy as np

from nncalc.errors import NncalcError

# The reference safetensors implementation refuses larger headers.
MAX_HEADER_BYTES = 100_000_000

# safetensors dtype -> (NumPy dtype read from the file, bytes per element).
# BF16 is read as raw 16-bit words and widened by a shift (Layout.bfloat16);
# BOOL is read as bytes, so a byte other than 0 or 1 stays visible to the caller.
READABLE = {
    "F16": "<f2",
    "BF16": "<u2",
    "F32": "<f4",
    "F64": "<f8",
    "BOOL": "u1",
    "U8": "u1",
    "I8": "i1",
    "I16": "<i2",
    "U16": "<u2",
    "I32": "<i4",
    "U32": "<u4",
    "I64": "<i8",
    "U64": "<u8",
}
# Known to the format, but not read here: their sizes still let the header be checked.
UNREADABLE = {"F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1, "C64": 8, "C128": 16}

SUPPORTED_NPY = "float16, float32, float64, integers and bool"


class Layout:
    """Where one tensor's data sits in a file: byte offset, dtype, shape, order."""

    def __init__(
        self,
        offset: int,
        dtype: np.dtype[Any],
        shape: tuple[int, ...],
        *,
        fortran: bool = False,
        bfloat16: bool = False,
        dtype_name: str = "",
    ) -> None:
        self.offset = offset  # of the first data byte, from the start of the file
        self.dtype = dtype
        self.shape = shape
        self.fortran = fortran
        self.bfloat16 = bfloat16
        self.dtype_name = dtype_name or dtype.name

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def quoted(name: str, limit: int = 60) -> str:
    """A name from a file, quoted for a one-line message (long names shortened)."""
    return repr(name if len(name) <= limit else name[: limit - 3] + "...")


def name_list(names: list[str], limit: int = 20) -> str:
    shown = ", ".join(quoted(name) for name in names[:limit])
    more = len(names) - limit
    return shown + (f" and {more:,} more" if more > 0 else "")


def check_row_dtype(dtype: np.dtype[Any]) -> None:
    """Refuse a dtype that does not widen exactly to float64 rows."""
    if dtype.kind in "biu" or (dtype.kind == "f" and dtype.itemsize in (2, 4, 8)):
        return
    raise NncalcError(f"dtype {dtype.str!r} is not supported ({SUPPORTED_NPY} are)")


def npy_layout(handle: BinaryIO, size: int) -> Layout:
    """The layout of a .npy file from its header (format versions 1.0 and 2.0)."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(handle)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(handle)
        else:
            raise NncalcError(f".npy format version {version[0]}.{version[1]} is not supported")
    except (ValueError, EOFError) as error:
        if isinstance(error, NncalcError):
            raise
        reason = " ".join(str(error).split())[:120]
        raise NncalcError(f"not a valid .npy file ({reason})") from None
    check_row_dtype(dtype)
    layout = Layout(handle.tell(), dtype, tuple(shape), fortran=bool(fortran))
    present = size - layout.offset
    if layout.nbytes > present:
        raise NncalcError(
            f"truncated: its header promises {layout.nbytes:,} bytes of data "
            f"(shape {layout.shape}, {dtype.name}), the file holds {present:,}"
        )
    return layout


def safetensors_layouts(handle: BinaryIO, size: int) -> dict[str, Layout | str]:
    """Every tensor of a .safetensors file: its layout, or why it cannot be read.

    The header is checked whole, as the reference implementation does: its
    size (at most 100 MB and within the file), JSON syntax, each entry's
    dtype, shape and ``data_offsets`` (inside the data, of exactly dtype x
    shape bytes), and that no two ranges overlap. Gaps between ranges are
    allowed. A tensor of a dtype known to the format but not read here
    (F8_*, complex) maps to the reason instead of a layout.
    """
    head = handle.read(8)
    if len(head) < 8:
        raise NncalcError("truncated: shorter than the 8-byte header size of .safetensors")
    length = int.from_bytes(head, "little")
    if length > MAX_HEADER_BYTES:
        raise NncalcError(f"header of {length:,} bytes is over the 100 MB limit")
    if 8 + length > size:
        raise NncalcError(
            f"truncated: the header size says {length:,} bytes, the file holds {size - 8:,} "
            "after it"
        )
    header = _parse_header(handle.read(length))
    data_size = size - 8 - length
    ranges: list[tuple[int, int, str]] = []
    layouts: dict[str, Layout | str] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype, shape, begin, end = _entry(name, entry, data_size)
        ranges.append((begin, end, name))
        if dtype in READABLE:
            layouts[name] = Layout(
                8 + length + begin,
                np.dtype(READABLE[dtype]),
                shape,
                bfloat16=dtype == "BF16",
                dtype_name=dtype,
            )
        else:
            layouts[name] = f"tensor {quoted(name)} has dtype {dtype}, which is not read here"
    _check_overlaps(ranges)
    if not layouts:
        raise NncalcError("holds no tensors")
    return layouts


def _parse_header(raw: bytes) -> dict[str, Any]:
    import json

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        names = [name for name, _ in pairs]
        if len(set(names)) != len(names):
            twice = sorted({name for name in names if names.count(name) > 1})
            raise NncalcError(f"header names {name_list(twice)} more than once")
        return dict(pairs)

    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicates)
    except UnicodeDecodeError:
        raise NncalcError("header is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise NncalcError(f"header is not valid JSON ({error.msg} at byte {error.pos})") from None
    except RecursionError:
        raise NncalcError("header is not valid JSON (nested too deeply)") from None
    except ValueError as error:
        if isinstance(error, NncalcError):
            raise
        raise NncalcError("header is not valid JSON (a number with too many digits)") from None
    if not isinstance(header, dict):
        raise NncalcError("header is not a JSON object")
    return header


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _entry(name: str, entry: object, data_size: int) -> tuple[str, tuple[int, ...], int, int]:
    """A header entry's dtype, shape and data range, checked."""
    tensor = f"tensor {quoted(name)}"
    if not isinstance(entry, dict):
        raise NncalcError(f"{tensor}: its header entry is not a JSON object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str) or (dtype not in READABLE and dtype not in UNREADABLE):
        shown = quoted(dtype) if isinstance(dtype, str) else repr(dtype)[:60]
        known = ", ".join(READABLE)
        raise NncalcError(f"{tensor}: unknown dtype {shown} (nncalc reads {known})")
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise NncalcError(f"{tensor}: shape is not a list of non-negative integers")
    if not (
        isinstance(offsets, list)
        and len(offsets) == 2
        and all(_is_count(o) for o in offsets)
        and offsets[0] <= offsets[1]
    ):
        raise NncalcError(f"{tensor}: data_offsets is not [begin, end] with begin <= end")
    begin, end = offsets
    if end > data_size:
        raise NncalcError(
            f"truncated: {tensor} ends at byte {end:,} of the data, which holds {data_size:,}"
        )
    itemsize = np.dtype(READABLE[dtype]).itemsize if dtype in READABLE else UNREADABLE[dtype]
    needed = math.prod(shape) * itemsize
    if end - begin != needed:
        raise NncalcError(
            f"{tensor}: data_offsets span {end - begin:,} bytes, but {dtype} of shape "
            f"{tuple(shape)} takes {needed:,}"
        )
    return dtype, tuple(shape), begin, end


def _check_overlaps(ranges: list[tuple[int, int, str]]) -> None:
    """Refuse two tensors sharing bytes (empty tensors share nothing)."""
    filled = sorted(r for r in ranges if r[1] > r[0])
    for (begin, end, name), (next_begin, next_end, next_name) in pairwise(filled):
        if next_begin < end:
            raise NncalcError(
                f"tensors {quoted(name)} (bytes {begin:,}-{end:,}) and {quoted(next_name)} "
                f"(bytes {next_begin:,}-{next_end:,}) overlap"
            )
