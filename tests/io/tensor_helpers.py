"""Test data for tensor operands: .safetensors written by the documented layout, bf16 bits."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

from nncalc.io.tensor_rows import TensorReader
from nncalc.io.tensors import open_tensor

# safetensors dtype names of NumPy dtypes (bf16 has none: see bf16_bits).
DTYPE_NAMES = {
    "float16": "F16",
    "float32": "F32",
    "float64": "F64",
    "int64": "I64",
    "int32": "I32",
    "uint8": "U8",
    "bool": "BOOL",
}


def safetensors_bytes(
    tensors: dict[str, tuple[str, tuple[int, ...], bytes]],
    *,
    metadata: dict[str, str] | None = None,
) -> bytes:
    """A .safetensors file: 8-byte LE header size, JSON header, data in order."""
    header: dict[str, Any] = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    data = b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {
            "dtype": dtype,
            "shape": list(shape),
            "data_offsets": [len(data), len(data) + len(raw)],
        }
        data += raw
    return raw_safetensors(header, data)


def raw_safetensors(header: Any, data: bytes = b"", *, length: int | None = None) -> bytes:
    """Header (a JSON value, or its bytes) and data, with a given or the true header size."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    size = len(text) if length is None else length
    return struct.pack("<Q", size) + text + data


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write NumPy arrays as .safetensors by the documented layout (little-endian, C order)."""
    entries = {
        name: (
            DTYPE_NAMES[a.dtype.name],
            a.shape,
            np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes(),
        )
        for name, a in arrays.items()
    }
    path.write_bytes(safetensors_bytes(entries))
    return path


def bf16_bits(values: np.ndarray) -> np.ndarray:
    """The bfloat16 bit patterns of float32 values (truncated: exact when the low half is 0)."""
    return (np.asarray(values, np.float32).view(np.uint32) >> 16).astype("<u2")


def bf16_reference(bits: np.ndarray) -> np.ndarray:
    """bfloat16 bits widened one at a time with struct (independent of the reader's shift)."""
    return np.array(
        [struct.unpack("<f", struct.pack("<I", int(b) << 16))[0] for b in bits.ravel()]
    ).reshape(bits.shape)


def read_all(
    text: str, limit: int | None = None, **options: Any
) -> tuple[TensorReader, np.ndarray]:
    """Open a tensor operand and read every chunk; the reader and the rows stacked."""
    reader = open_tensor(text, "P", **options)
    parts = []
    with reader:
        while (chunk := reader.read_chunk(limit)) is not None:
            assert chunk.first_row == sum(len(p) for p in parts) + 1
            parts.append(chunk.values.copy())  # the reader reuses its buffer
    rows = np.vstack(parts) if parts else np.empty((0, reader.columns))
    return reader, rows
